"""What the two webhook functions share: the route body and the 503 answer for retry-later, so that each
handler only says which providers it serves."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from propdesk.http.app import raw_body
from propdesk.http.error_format import error_body
from propdesk.http.errors import log_internal
from propdesk.purchases.errors import RetryLaterError

if TYPE_CHECKING:
    from propdesk.purchases.webhooks import WebhookService

MAX_BODY_BYTES = 256 * 1024


def receive(
    app: APIGatewayRestResolver, webhooks: WebhookService, provider: str, now: datetime
) -> dict[str, Any]:
    """Verify and apply one delivery; 200 tells the provider to stop retrying it."""
    event = app.current_event.raw_event
    headers = {str(name): str(value) for name, value in (event.get("headers") or {}).items()}
    outcome = webhooks.handle(provider, raw_body(event), headers, now)
    return {
        "received": True,
        "result": outcome.result,
        "event_id": outcome.event_id,
        "order_id": outcome.order_id,
        "order_status": outcome.order_status,
    }


def answer_retry_later(app: APIGatewayRestResolver) -> None:
    """RetryLaterError → 503 with Retry-After (the provider redelivers; nothing was lost)."""

    def retry_later(error: RetryLaterError) -> Response[Any]:
        log_internal(error)
        return Response(
            status_code=503,
            content_type=content_types.APPLICATION_JSON,
            body=error_body(error.code, error.message),
            headers={"Retry-After": "5"},
        )

    app.exception_handler(RetryLaterError)(retry_later)
