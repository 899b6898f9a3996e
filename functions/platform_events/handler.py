"""REST `POST /v1/platform/events` (signed per platform): a trading-platform connection pushes an account's
normalized events.

Headers: `X-Propdesk-Platform` (which platform pushes) and `X-Propdesk-Signature` (`t=<unix>,v1=<hex
HMAC-SHA256("t.<raw body>")>` with that platform's own secret). The signature is checked over the raw body
before the body is read: 401 naming the header for a missing, forged or stale signature (outside the replay
window) or an unknown platform; 403 naming `account_id` for an account that lives on another platform.

Body: `{"account_id": "...", "events": [<engine event>, ...]}` (1-100 events, at most 256 KiB). Each event may
carry `event_id` (the platform's deal/tick id); without one, an id is derived from the event itself. Answers
202 with the ids accepted and those already stored. Nothing is stored on any refusal. The table's stream
then drives `risk_recalc`. Pending orders (`order_placed`) are stored apart, for the abuse detectors only.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PlatformEventsSettings
from propdesk.http.app import build_rest_app, parse_json, raw_body, resolve
from propdesk.http.schemas.platform import PlatformEventsRequest
from propdesk.observability import metrics, observe
from propdesk.platforms.push_auth import PLATFORM_HEADER
from propdesk.platforms.signing import SIGNATURE_HEADER

if TYPE_CHECKING:
    from propdesk.platforms.push_auth import PushAuthentication
    from propdesk.ports import Clock
    from propdesk.services.ingestion import EventIngestion

MAX_BODY_BYTES = 256 * 1024
app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    ingestion: EventIngestion
    authentication: PushAuthentication
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PlatformEventsSettings.from_env(os.environ)
    from datetime import timedelta

    from propdesk.adapters.clock import SystemClock
    from propdesk.data.abuse_orders import PendingOrderRepository
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.events import TradingEventRepository
    from propdesk.platforms.push_auth import PushAuthentication
    from propdesk.services.ingestion import EventIngestion
    from propdesk.wiring.ingestion import signing_secrets

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Dependencies(
        ingestion=EventIngestion(
            AccountRepository(),
            TradingEventRepository(),
            max_clock_skew=timedelta(seconds=settings.max_clock_skew_seconds),
            orders=PendingOrderRepository(),
        ),
        authentication=PushAuthentication(
            signing_secrets(settings.platform_signing_secret_arns),
            window=timedelta(seconds=settings.replay_window_seconds),
        ),
        clock=SystemClock(),
    )


@app.post("/v1/platform/events")
def post_events() -> Response[Any]:
    deps: Dependencies = app.context["deps"]
    received_at = deps.clock.now()
    body = raw_body(app.current_event.raw_event)
    headers = app.current_event.headers
    platform = deps.authentication.authenticate(
        _header(headers, PLATFORM_HEADER), _header(headers, SIGNATURE_HEADER), body, received_at
    )
    request = PlatformEventsRequest.model_validate(parse_json(body))
    report = deps.ingestion.ingest(request.account_id, request.events, received_at, platform)
    metrics.add_metric(name="TradingEventsAccepted", unit="Count", value=len(report.accepted))
    return Response(
        status_code=202,
        content_type="application/json",
        body={"account_id": request.account_id, "accepted": report.accepted, "duplicates": report.duplicates},
    )


def _header(headers: Any, name: str) -> str | None:
    """A header whatever its case (API Gateway passes them as the client spelled them)."""
    value = headers.get(name) or headers.get(name.lower())
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return None if value is None else str(value)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
