"""REST `GET /v1/programs` (the firm's programs on sale, paginated) and `GET /v1/programs/{program_id}`
(one program with the document of its current version). Public: no authorizer."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import CatalogueApiSettings
from propdesk.http.app import build_rest_app, query_int, query_str, resolve
from propdesk.http.views import program_version_view, program_view
from propdesk.observability import observe
from propdesk.services.errors import NotFoundError

if TYPE_CHECKING:
    from propdesk.data.catalogue import CatalogueRepository

app = build_rest_app()


@functools.cache
def production_dependencies() -> CatalogueRepository:
    settings = CatalogueApiSettings.from_env(os.environ)
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return CatalogueRepository()


def _catalogue() -> CatalogueRepository:
    catalogue: CatalogueRepository = app.context["catalogue"]
    return catalogue


@app.get("/v1/programs")
def list_programs() -> dict[str, Any]:
    limit = query_int(app, "limit", default=50, minimum=1, maximum=100)
    page = _catalogue().list_programs(limit=limit, cursor=query_str(app, "cursor"))
    return {"programs": [program_view(p) for p in page.items], "next_cursor": page.next_cursor}


@app.get("/v1/programs/<program_id>")
def get_program(program_id: str) -> dict[str, Any]:
    catalogue = _catalogue()
    summary = catalogue.get_program(program_id)
    version = catalogue.get_version(program_id, summary.current_version) if summary else None
    if summary is None or version is None:
        raise NotFoundError(f"no program {program_id!r}", "program_id")
    return {"program": program_view(summary), "current_version": program_version_view(version)}


def process(event: dict[str, Any], context: LambdaContext, catalogue: CatalogueRepository) -> dict[str, Any]:
    app.context["catalogue"] = catalogue
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
