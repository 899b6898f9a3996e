"""REST `POST /v1/webhooks/crypto/{provider}`, no authorizer: a crypto processor's signed callbacks. First
provider: `coinbase` (Coinbase Commerce, `X-CC-Webhook-Signature` = hex HMAC-SHA256 of the raw body);
Match2pay or NOWPayments plug in as further providers behind the same payment port.

Paid, partially paid (flagged), expired and failed charges move the order once per event id. 404 for an
unknown provider, 400 for a bad signature or an unreadable event, 503 when the bus is down, else 200.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import CryptoWebhookSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.webhooks import MAX_BODY_BYTES, answer_retry_later, receive
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.purchases.webhooks import WebhookService

app = build_rest_app()
answer_retry_later(app)


@dataclass(frozen=True)
class Dependencies:
    webhooks: WebhookService
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = CryptoWebhookSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.orders import OrderRepository
    from propdesk.purchases.webhooks import WebhookService
    from propdesk.wiring import purchases as production

    production.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    coinbase = production.coinbase_provider(settings, production.secrets())
    providers = {coinbase.name: coinbase} if coinbase else {}
    webhooks = WebhookService(OrderRepository(), EventBridgePublisher(settings.event_bus_name), providers)
    return Dependencies(webhooks, SystemClock())


@app.post("/v1/webhooks/crypto/<provider>")
def crypto_event(provider: str) -> dict[str, Any]:
    deps: Dependencies = app.context["deps"]
    answer = receive(app, deps.webhooks, provider, deps.clock.now())
    metrics.add_metric(name=f"CryptoWebhook_{answer['result']}", unit="Count", value=1)
    return answer


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
