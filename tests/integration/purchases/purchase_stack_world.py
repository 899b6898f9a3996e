"""The purchase functions in-process, wired the production way from their environment, against DynamoDB Local
and the fake Stripe, Coinbase Commerce and Match-Trader servers. Secrets Manager and EventBridge are the only
stand-ins: a static secret source and a bus that keeps what it was given (and turns it into the SQS
messages the provisioning queue would deliver)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.catalogue import demo_programs
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.sales import SalesCatalogueRepository
from propdesk.domain_events import DomainEvent
from propdesk.purchases.pricing import AddOn, DiscountCode

from events import load_event
from fakes.coinbase import FakeCoinbaseCommerce
from fakes.match_trader import FakeMatchTrader
from fakes.stripe import FakeStripe
from functions.crypto_webhook import handler as crypto_webhook
from functions.orders_api import handler as orders_api
from functions.provisioning import handler as provisioning
from functions.reconciliation import handler as reconciliation
from functions.stripe_webhook import handler as stripe_webhook
from tests.doubles.mail import RecordingSes
from tests.doubles.ports import StaticSecrets
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

CONTEXT: Any = LambdaContextStub()  # stands in for LambdaContext
MODULES = (orders_api, stripe_webhook, crypto_webhook, provisioning, reconciliation)
SECRETS = {
    "stripe": "arn:aws:secretsmanager:us-east-1:000000000000:secret:propdesk/test/stripe",
    "coinbase": "arn:aws:secretsmanager:us-east-1:000000000000:secret:propdesk/test/coinbase-commerce",
    "match_trader": "arn:aws:secretsmanager:us-east-1:000000000000:secret:propdesk/test/match-trader",
}


@dataclass
class RecordingBus:
    """Stands in for EventBridge: keeps the events; `take()` hands out those not yet consumed."""

    published: list[DomainEvent] = field(default_factory=list)
    taken: int = 0
    fail_next: int = 0

    def __call__(self, event_bus_name: str) -> RecordingBus:  # constructed like EventBridgePublisher
        return self

    def publish(self, events: Any) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("EventBridge unavailable (test)")
        self.published.extend(events)

    def of_type(self, detail_type: str) -> list[DomainEvent]:
        return [event for event in self.published if event.detail_type == detail_type]

    def take(self, *detail_types: str) -> list[DomainEvent]:
        fresh = self.published[self.taken :]
        self.taken = len(self.published)
        return [event for event in fresh if event.detail_type in detail_types]


def sqs_batch(events: list[DomainEvent]) -> dict[str, Any]:
    """The provisioning queue's delivery of these EventBridge events (one message each)."""
    template = load_event("sqs/provisioning_purchase_completed")["Records"][0]
    records = []
    for event in events:
        record = json.loads(json.dumps(template))
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": event.detail_type,
                "source": "propdesk",
                "account": "123456789012",
                "time": event.occurred_at.isoformat(),
                "region": "us-east-1",
                "resources": [],
                "detail": event.model_dump(mode="json"),
            }
        )
        records.append(record)
    return {"Records": records}


@dataclass
class PurchaseStack:
    stripe: FakeStripe
    coinbase: FakeCoinbaseCommerce
    match_trader: FakeMatchTrader
    bus: RecordingBus
    ses: RecordingSes = field(default_factory=RecordingSes)

    # ---- the REST functions ----
    def order(
        self,
        trader: str,
        body: dict[str, Any] | None = None,
        key: str | None = None,
        email: str | None = None,
        raw: str | None = None,
        email_verified: str = "true",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        payload = {"program_id": "two-step-100k-phase-1", "currency": "USD", "payment_method": "card"}
        payload.update(body or {})
        event = rest_request(
            "post_order",
            body=raw if raw is not None else json.dumps(payload),
            headers={**(headers or {}), **({"Idempotency-Key": key} if key else {})},
            claims={
                "sub": trader,
                "email": email or f"{trader}@example.com",
                "email_verified": email_verified,
                "cognito:groups": "trader",
            },
        )
        if not key:
            event["headers"].pop("Idempotency-Key", None)
            event["multiValueHeaders"].pop("Idempotency-Key", None)
        return orders_api.handler(event, CONTEXT)

    def get_order(self, trader: str, order_id: str, groups: str = "trader") -> dict[str, Any]:
        event = rest_request(
            "get_accounts",
            path=f"/v1/orders/{order_id}",
            path_parameters={"order_id": order_id},
            claims={"sub": trader, "cognito:groups": groups, "email": f"{trader}@example.com"},
        )
        return orders_api.handler(event, CONTEXT)

    def stripe_delivery(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        event = rest_request("post_stripe_webhook", body=body.decode())
        event["headers"] = {
            **{k: v for k, v in event["headers"].items() if k != "Stripe-Signature"},
            **headers,
        }
        return stripe_webhook.handler(event, CONTEXT)

    def deliver_stripe(self, stripe_event: dict[str, Any], **signing: Any) -> dict[str, Any]:
        body, headers = self.stripe.delivery(stripe_event, **signing)
        return self.stripe_delivery(body, headers)

    def deliver_coinbase(
        self, delivery: dict[str, Any], provider: str = "coinbase", **signing: Any
    ) -> dict[str, Any]:
        body, headers = self.coinbase.delivery(delivery, **signing)
        event = rest_request(
            "post_crypto_webhook",
            path=f"/v1/webhooks/crypto/{provider}",
            path_parameters={"provider": provider},
            body=body.decode(),
        )
        event["headers"] = {
            **{k: v for k, v in event["headers"].items() if not k.startswith("X-CC")},
            **headers,
        }
        return crypto_webhook.handler(event, CONTEXT)

    # ---- the asynchronous functions ----
    def run_provisioning(self) -> dict[str, Any]:
        events = self.bus.take(
            "purchase.completed", "purchase.refunded", "purchase.disputed", "purchase.dispute_closed"
        )
        if not events:
            return {"batchItemFailures": []}
        return provisioning.handler(sqs_batch(events), CONTEXT)

    def reconcile(self) -> dict[str, Any]:
        return reconciliation.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, CONTEXT)


def start_stack(monkeypatch: pytest.MonkeyPatch) -> PurchaseStack:
    """Fakes started, the environment set as the stack sets it, the catalogue seeded (on fresh tables)."""
    stripe, coinbase, match_trader = FakeStripe(), FakeCoinbaseCommerce(), FakeMatchTrader()
    for fake in (stripe, coinbase, match_trader):
        fake.start()
    bus = RecordingBus()
    environment = {
        "EVENT_BUS_NAME": "propdesk-test",
        "STRIPE_SECRET_ARN": SECRETS["stripe"],
        "STRIPE_API_BASE": stripe.url,
        "COINBASE_SECRET_ARN": SECRETS["coinbase"],
        "COINBASE_API_BASE": coinbase.url,
        "MATCH_TRADER_SECRET_ARN": SECRETS["match_trader"],
        "MATCH_TRADER_BASE_URL": match_trader.url,
        "MATCH_TRADER_SERVER": "MatchTrader-Demo",
        "CHECKOUT_SUCCESS_URL": "https://app.example/purchase/ok",
        "CHECKOUT_CANCEL_URL": "https://app.example/purchase/cancel",
        "MAIL_FROM": "Acme Funding <no-reply@acme.example>",
        "FIRM_NAME": "Acme Funding",
        "PLATFORM_LOGIN_URL": "https://mtr.acme.example",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    secrets = StaticSecrets(
        {
            SECRETS["stripe"]: json.dumps(
                {"api_key": stripe.api_key, "webhook_secret": stripe.webhook_secret}
            ),
            SECRETS["coinbase"]: json.dumps(
                {"api_key": coinbase.api_key, "webhook_secret": coinbase.webhook_secret}
            ),
            SECRETS["match_trader"]: json.dumps(
                {"base_url": "https://unused.example", "api_token": match_trader.token}
            ),
        }
    )
    monkeypatch.setattr("propdesk.wiring.purchases.secrets", lambda: secrets)
    monkeypatch.setattr("propdesk.adapters.eventbridge.EventBridgePublisher", bus)
    ses = RecordingSes()
    monkeypatch.setattr("propdesk.adapters.ses.default_client", ses.client)
    for module in MODULES:
        module.production_dependencies.cache_clear()
    catalogue = CatalogueRepository()
    for program in demo_programs():
        catalogue.publish(program.summary, program.document, datetime(2026, 1, 1, tzinfo=UTC))
    sales = SalesCatalogueRepository()
    sales.put_add_on(
        AddOn("split-90", "90% profit split", {"USD": Decimal("99.00"), "EUR": Decimal("89.00")})
    )
    sales.put_discount(DiscountCode("LAUNCH10", "percent", percent=Decimal("10"), max_uses=2))
    return PurchaseStack(stripe, coinbase, match_trader, bus, ses)


def stop_stack(stack: PurchaseStack) -> None:
    for fake in (stack.stripe, stack.coinbase, stack.match_trader):
        fake.stop()
    for module in MODULES:
        module.production_dependencies.cache_clear()


__all__ = ["PurchaseStack", "json_of", "start_stack", "stop_stack"]
