"""REST `POST /v1/platform/events` (API key): a trading-platform bridge pushes an account's normalized events.

Body: `{"account_id": "...", "events": [<engine event>, ...]}` (1-100 events, at most 256 KiB). Each event may
carry `event_id` (the platform's deal/tick id); without one, an id is derived from the event itself. Answers
202 with the ids accepted and those already stored. The table's stream then drives `risk_recalc`.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PlatformEventsSettings
from propdesk.http.app import body_as, build_rest_app, resolve
from propdesk.http.schemas.platform import PlatformEventsRequest
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.services.ingestion import EventIngestion

MAX_BODY_BYTES = 256 * 1024
app = build_rest_app()


@functools.cache
def production_dependencies() -> tuple[EventIngestion, Clock]:
    settings = PlatformEventsSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.events import TradingEventRepository
    from propdesk.services.ingestion import EventIngestion

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return EventIngestion(AccountRepository(), TradingEventRepository()), SystemClock()


@app.post("/v1/platform/events")
def post_events() -> Response[Any]:
    request = body_as(app, PlatformEventsRequest)
    ingestion, clock = app.context["deps"]
    report = ingestion.ingest(request.account_id, request.events, received_at=clock.now())
    metrics.add_metric(name="TradingEventsAccepted", unit="Count", value=len(report.accepted))
    return Response(
        status_code=202,
        content_type="application/json",
        body={"account_id": request.account_id, "accepted": report.accepted, "duplicates": report.duplicates},
    )


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[EventIngestion, Clock]
) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
