"""Public REST routes (no authorizer): `GET /v1/programs` (the programs on sale, paginated),
`GET /v1/programs/{program_id}` (one program with its current version's rule pack), each program with
its prices and the add-ons sold with it (discount codes stay private), and
`GET /v1/leaderboards/{program_id}?period=` (top accounts by return, display names only)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import CatalogueApiSettings
from propdesk.errors import NotFoundError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.catalogue_views import leaderboard_view, program_version_view, program_view
from propdesk.http.routing import Call, route
from propdesk.http.schemas import catalogue as schema
from propdesk.http.schemas.common import PageQuery
from propdesk.leaderboards import period_key
from propdesk.observability import observe

if TYPE_CHECKING:
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.leaderboards import LeaderboardRepository
    from propdesk.data.sales import SalesCatalogueRepository
    from propdesk.ports import Clock

app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    catalogue: CatalogueRepository
    leaderboards: LeaderboardRepository
    sales: SalesCatalogueRepository
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = CatalogueApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.leaderboards import LeaderboardRepository
    from propdesk.data.sales import SalesCatalogueRepository

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    programs = CatalogueRepository()
    return Dependencies(programs, LeaderboardRepository(), SalesCatalogueRepository(programs), SystemClock())


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "listPrograms")
def list_programs(call: Call) -> schema.ProgramList:
    query = call.query_as(PageQuery)
    deps = _deps()
    page = deps.catalogue.list_programs(limit=query.limit, cursor=query.cursor)
    add_ons = deps.sales.add_ons().values() if page.items else ()
    programs = [program_view(program, add_ons) for program in page.items]
    return schema.ProgramList(programs=programs, next_cursor=page.next_cursor)


@route(app, "getProgram")
def get_program(call: Call, program_id: str) -> schema.ProgramDetail:
    deps = _deps()
    summary = deps.catalogue.get_program(program_id)
    version = deps.catalogue.get_version(program_id, summary.current_version) if summary else None
    if summary is None or version is None:
        raise NotFoundError(f"no program {program_id!r}", "program_id")
    program = program_view(summary, deps.sales.add_ons().values())
    return schema.ProgramDetail(program=program, current_version=program_version_view(version))


@route(app, "getLeaderboard")
def get_leaderboard(call: Call, program_id: str) -> schema.Leaderboard:
    query = call.query_as(schema.LeaderboardQuery)
    key = period_key(query.period, call.now)
    standings = _deps().leaderboards.top(program_id, key, limit=query.limit)
    return leaderboard_view(program_id, query.period, key, standings)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
