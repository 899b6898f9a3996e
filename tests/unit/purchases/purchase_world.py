"""The purchase path wired in memory: checkout, webhooks, fulfilment and a bus that delivers purchase events
to fulfilment the way the SQS queue does (a failed message is delivered again)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.domain_events import DomainEvent
from propdesk.mail.delivery import OnceOnlyMail
from propdesk.mail.letter import Firm
from propdesk.purchases.checkout import CheckoutService, Placed, PlaceOrder, RedirectUrls
from propdesk.purchases.fraud import FraudPolicy
from propdesk.purchases.fulfilment import Fulfilment, LoginMail, ProvisioningPendingError
from propdesk.purchases.pricing import AddOn
from propdesk.purchases.webhooks import WebhookOutcome, WebhookService

from tests.doubles.mail import InMemoryMailMarks, RecordingMailService
from tests.doubles.ports import InMemoryEventPublisher, ManualClock
from tests.doubles.purchases import (
    FakePaymentProvider,
    FakePlatform,
    InMemoryAccounts,
    InMemoryCatalogue,
    InMemoryLogins,
    InMemoryOrderStore,
    InMemoryReviews,
    InMemoryTraders,
    InMemoryVelocity,
    demo_version,
)
from tests.unit.purchases.builders import PROGRAM, T0


@dataclass
class World:
    store: Any = field(default_factory=InMemoryOrderStore)
    provider: FakePaymentProvider = field(default_factory=FakePaymentProvider)
    platform: FakePlatform = field(default_factory=FakePlatform)
    accounts: Any = field(default_factory=InMemoryAccounts)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    email: RecordingMailService = field(default_factory=RecordingMailService)
    marks: InMemoryMailMarks = field(default_factory=InMemoryMailMarks)
    logins: InMemoryLogins = field(default_factory=InMemoryLogins)
    reviews: Any = field(default_factory=InMemoryReviews)
    velocity: Any = field(default_factory=InMemoryVelocity)
    catalogue: Any = None  # SalesCatalogue + ProgramVersions; in memory unless given
    versions: Any = None
    traders: Any = field(default_factory=InMemoryTraders)
    delivered: int = 0

    def __post_init__(self) -> None:
        if self.catalogue is None:
            split = AddOn("split-90", "90% split", {"USD": Decimal("99.00")}, effects={"split": "90"})
            self.catalogue = InMemoryCatalogue(
                programs={PROGRAM.program_id: (PROGRAM, 3)},
                extras={"split-90": split},
                store=self.store,
                versions={(PROGRAM.program_id, 3): demo_version(PROGRAM.program_id, 3)},
            )
        if self.versions is None:
            self.versions = self.catalogue
        ids = itertools.count(1)
        self.checkout = CheckoutService(
            self.store,
            self.catalogue,
            self.velocity,
            {"card": self.provider},
            self.publisher,
            FraudPolicy(),
            RedirectUrls("https://app.example/ok", "https://app.example/cancel"),
            lambda: f"ord_{next(ids):04d}",
        )
        self.webhooks = WebhookService(self.store, self.publisher, {self.provider.name: self.provider})
        self.fulfilment = Fulfilment(
            self.store,
            self.accounts,
            self.versions,
            self.traders,
            self.platform,
            LoginMail(
                OnceOnlyMail(self.email, self.marks, ManualClock(T0)),
                self.logins,
                Firm("Acme Funding"),
                "https://trade.example/login",
            ),
            self.publisher,
            self.reviews,
        )

    def buy(self, trader_id: str = "trader-1", key: str | None = None, **changes: Any) -> Placed:
        values: dict[str, Any] = {
            "trader_id": trader_id,
            "email": f"{trader_id}@example.com",
            "program_id": PROGRAM.program_id,
            "currency": "USD",
            "payment_method": "card",
            "idempotency_key": key,
        }
        values.update(changes)
        return self.checkout.place(PlaceOrder(**values), T0)

    def deliver(self, event: dict[str, Any], at: datetime = T0) -> WebhookOutcome:
        body = json.dumps(event).encode()
        return self.webhooks.handle(self.provider.name, body, {"X-Signature": self.provider.sign(body)}, at)

    def run_bus(self, at: datetime = T0, max_rounds: int = 50) -> None:
        """Deliver every published purchase event to fulfilment, again and again until none fails."""
        for _ in range(max_rounds):
            pending = self.publisher.published[self.delivered :]
            self.delivered = len(self.publisher.published)
            failed: list[DomainEvent] = []
            for event in pending:
                try:
                    self.consume(event, at)
                except ProvisioningPendingError:
                    failed.append(event)
            if failed:
                self.publisher.published.extend(failed)
            elif self.delivered == len(self.publisher.published):
                return
        raise AssertionError("the bus never drained")

    def consume(self, event: DomainEvent, at: datetime) -> None:
        detail = event.model_dump()
        if event.detail_type == "purchase.completed":
            self.fulfilment.provision(detail["order_id"], at)
        elif event.detail_type == "purchase.refunded":
            self.fulfilment.disable(detail["order_id"], at)
        elif event.detail_type == "purchase.disputed":
            self.fulfilment.suspend(detail["order_id"], detail["dispute_id"], detail["reason"], at)
        elif event.detail_type == "purchase.dispute_closed":
            self.fulfilment.reinstate(detail["order_id"], at)


def stripe_event(
    event_id: str, event_type: str, obj: dict[str, Any], created: int = 1795435200
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created,
        "data": {"object": obj},
    }


def session_paid(order_id: str, event_id: str, amount: int = 54000) -> dict[str, Any]:
    return stripe_event(
        event_id,
        "checkout.session.completed",
        {
            "id": f"sess_{order_id}",
            "object": "checkout.session",
            "metadata": {"order_id": order_id},
            "payment_intent": f"pi_{order_id}",
            "payment_status": "paid",
            "amount_total": amount,
            "currency": "usd",
        },
    )


def intent_succeeded(order_id: str, event_id: str) -> dict[str, Any]:
    return stripe_event(
        event_id,
        "payment_intent.succeeded",
        {
            "id": f"pi_{order_id}",
            "metadata": {"order_id": order_id},
            "amount_received": 54000,
            "currency": "usd",
        },
    )


def refunded(order_id: str, event_id: str) -> dict[str, Any]:
    charge: dict[str, Any] = {"id": f"ch_{order_id}", "payment_intent": f"pi_{order_id}"}
    charge["metadata"] = {"order_id": order_id}
    charge.update(amount=54000, amount_refunded=54000, refunded=True, currency="usd")
    return stripe_event(event_id, "charge.refunded", charge)


def dispute(order_id: str, event_id: str, closed: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": f"dp_{order_id}",
        "payment_intent": f"pi_{order_id}",
        "amount": 54000,
        "currency": "usd",
    }
    obj.update(metadata={}, reason="fraudulent", status=closed or "needs_response")
    return stripe_event(event_id, "charge.dispute.closed" if closed else "charge.dispute.created", obj)


def session_expired(order_id: str, event_id: str) -> dict[str, Any]:
    return stripe_event(
        event_id,
        "checkout.session.expired",
        {
            "id": f"sess_{order_id}",
            "object": "checkout.session",
            "metadata": {"order_id": order_id},
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "expired",
            "amount_total": 54000,
            "currency": "usd",
        },
    )


def intent_failed(order_id: str, event_id: str) -> dict[str, Any]:
    return stripe_event(
        event_id,
        "payment_intent.payment_failed",
        {
            "id": f"pi_{order_id}",
            "object": "payment_intent",
            "metadata": {"order_id": order_id},
            "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
            "status": "requires_payment_method",
        },
    )
