"""REST `POST /v1/webhooks/stripe`, no authorizer: Stripe's signed events (`Stripe-Signature`, verified over
the raw body by `stripe.Webhook.construct_event` with its 300 s tolerance before anything is parsed).

Checkout completed / async payment succeeded or failed / expired, payment_intent.succeeded, charge.refunded,
charge.dispute.created/closed move the order once per Stripe event id; other types are acknowledged and
ignored. 400 for a bad or stale signature or an unreadable event (nothing changes); 503 when the bus or
Stripe is unavailable (Stripe redelivers; the stored effect is published then); 200 otherwise.
A payment that makes an order paid is checked with the card that paid: fingerprint velocity
(`FRAUD_ACTIONS`' card_velocity), the issuing country (`FRAUD_COUNTRIES`) and country mismatch: flag keeps
the order and flags it, block refunds the payment and the order ends refunded; the reasons go to staff.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import StripeWebhookSettings
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
    settings = StripeWebhookSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.orders import OrderRepository
    from propdesk.data.sales import VelocityRepository
    from propdesk.purchases.card_check import CardCheck
    from propdesk.purchases.webhooks import WebhookService
    from propdesk.wiring import purchases as production

    production.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    stripe = production.stripe_provider(settings, production.secrets())
    providers = {stripe.name: stripe} if stripe else {}
    policy = production.fraud_policy(settings.fraud_actions, settings.fraud_countries)
    from propdesk.wiring.abuse import signal_sink

    cards = {stripe.name: stripe} if stripe else {}
    card_check = CardCheck(cards, VelocityRepository(policy.window), policy, signal_sink(settings))
    publisher = EventBridgePublisher(settings.event_bus_name)
    webhooks = WebhookService(OrderRepository(), publisher, providers, card_check)
    return Dependencies(webhooks, SystemClock())


@app.post("/v1/webhooks/stripe")
def stripe_event() -> dict[str, Any]:
    deps: Dependencies = app.context["deps"]
    answer = receive(app, deps.webhooks, "stripe", deps.clock.now())
    metrics.add_metric(name=f"StripeWebhook_{answer['result']}", unit="Count", value=1)
    return answer


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
