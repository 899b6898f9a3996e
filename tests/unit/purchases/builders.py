"""Small builders for purchase tests: an order, payment events, add-ons and codes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.purchases.orders import Order, OrderStatus
from propdesk.purchases.payments import PaymentEvent, PaymentKind
from propdesk.purchases.pricing import PriceLine, ProgramOnSale

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PROGRAM = ProgramOnSale(
    program_id="two-step-100k-phase-1",
    name="2-Step 100K: Phase 1",
    prices={"USD": Decimal("540.00"), "EUR": Decimal("499.00"), "GBP": Decimal("429.00")},
)


def order(status: OrderStatus = "pending", order_id: str = "ord-1", **changes: Any) -> Order:
    values: dict[str, Any] = {
        "order_id": order_id,
        "trader_id": "trader-1",
        "email": "ada@example.com",
        "program_id": PROGRAM.program_id,
        "program_version": 1,
        "currency": "USD",
        "total": Decimal("540.00"),
        "lines": (PriceLine("program", PROGRAM.program_id, PROGRAM.name, Decimal("540.00")),),
        "payment_method": "card",
        "provider": "stripe",
        "status": status,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(changes)
    return Order(**values)


def payment(kind: PaymentKind, event_id: str = "evt_1", **changes: Any) -> PaymentEvent:
    values: dict[str, Any] = {
        "provider": "stripe",
        "event_id": event_id,
        "event_type": kind,
        "kind": kind,
        "occurred_at": T0,
        "order_id": "ord-1",
    }
    if kind == "paid":
        values.update(amount=Decimal("540.00"), currency="USD")
    if kind.startswith("dispute"):
        values["dispute_id"] = "dp_1"
    if kind == "dispute_closed":
        values["dispute_outcome"] = "won"
    values.update(changes)
    return PaymentEvent(**values)
