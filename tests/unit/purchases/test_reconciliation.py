"""Reconciliation reports every mismatch between the provider's payments and the orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from propdesk.purchases.reconciliation import ProviderPayment, reconcile

from tests.unit.purchases.builders import T0, order

NOW = T0 + timedelta(hours=1)


def paid(order_id: str | None, amount: str = "540.00", status: str = "paid") -> ProviderPayment:
    return ProviderPayment("stripe", f"cs_{order_id}", order_id, Decimal(amount), "USD", status, T0)  # type: ignore[arg-type]


def kinds(result: list) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    return [(m.kind, m.order_id) for m in result]


def test_matching_payments_and_orders_report_nothing() -> None:
    orders = {"o1": order("provisioned", "o1", account_id="a1")}
    assert reconcile([paid("o1")], orders, frozenset({"stripe"}), NOW) == []


def test_every_kind_of_mismatch_is_reported() -> None:
    orders = {
        "stuck": order("paid", "stuck", provisioning_attempts=3, provisioning_error="platform down"),
        "missed": order("pending", "missed"),
        "ghost": order("provisioned", "ghost", account_id="a2"),
        "short": order("provisioned", "short", account_id="a3"),
        "refund": order("provisioned", "refund", account_id="a4"),
        "crypto": order("provisioned", "crypto", provider="coinbase", account_id="a5"),
    }
    payments = [
        paid("stuck"),
        paid("missed"),
        paid("short", "500.00"),
        paid("refund", status="refunded"),
        paid("nobody"),
        paid(None),
    ]
    result = reconcile(payments, orders, frozenset({"stripe"}), NOW)
    assert sorted(kinds(result), key=str) == sorted(
        [
            ("paid_not_provisioned", "stuck"),
            ("paid_not_recorded", "missed"),
            ("amount_differs", "short"),
            ("refund_not_recorded", "refund"),
            ("payment_without_order", "nobody"),
            ("payment_without_order", None),
            ("provisioned_not_paid", "ghost"),
        ],
        key=str,
    )
    stuck = next(m for m in result if m.order_id == "stuck")
    assert stuck.detail == "paid 60 min ago, no account yet (3 attempts, last error: platform down)"


def test_a_fresh_payment_gets_a_grace_period_before_it_counts_as_stuck() -> None:
    orders = {"o1": order("paid", "o1")}
    assert reconcile([paid("o1")], orders, frozenset({"stripe"}), T0 + timedelta(minutes=5)) == []
