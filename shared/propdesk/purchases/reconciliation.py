"""Reconciliation: the provider's payments of a period against our orders; every mismatch is reported.

Pure comparison: the caller lists the provider's payments (through the payment port) and loads the orders
of the period plus any order a payment names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from propdesk.money import money_text
from propdesk.purchases.orders import MONEY_KEPT, Order

PaymentStatus = Literal["paid", "refunded", "unpaid"]
MismatchKind = Literal[
    "paid_not_provisioned",  # the provider has the money, the order still has no account
    "paid_not_recorded",  # the provider has the money, the order never saw it (a webhook went missing)
    "provisioned_not_paid",  # the order has an account (or counts as paid) without a payment at the provider
    "amount_differs",
    "refund_not_recorded",
    "payment_without_order",
]


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider: str
    reference: str
    order_id: str | None
    amount: Decimal
    currency: str
    status: PaymentStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Mismatch:
    kind: MismatchKind
    order_id: str | None
    reference: str | None
    detail: str


def reconcile(
    payments: Iterable[ProviderPayment],
    orders: Mapping[str, Order],
    providers: frozenset[str],
    now: datetime,
    grace: timedelta = timedelta(minutes=15),
) -> list[Mismatch]:
    """Every mismatch between the payments and the orders (`providers`: those whose payments were listed;
    orders paid through another provider are not judged)."""
    mismatches: list[Mismatch] = []
    settled: set[str] = set()
    for payment in payments:
        if payment.status == "unpaid":
            continue
        order = orders.get(payment.order_id) if payment.order_id else None
        if order is None:
            mismatches.append(
                Mismatch(
                    "payment_without_order",
                    payment.order_id,
                    payment.reference,
                    f"{money_text(payment.amount, payment.currency)} {payment.status} at {payment.provider} "
                    "matches no order",
                )
            )
            continue
        settled.add(order.order_id)
        mismatches.extend(_compare(payment, order, now, grace))
    for order in orders.values():
        if order.provider in providers and order.order_id not in settled and order.status in MONEY_KEPT:
            mismatches.append(
                Mismatch(
                    "provisioned_not_paid",
                    order.order_id,
                    order.session_reference,
                    f"the order is {order.status} but {order.provider} lists no payment for it",
                )
            )
    return mismatches


def _compare(payment: ProviderPayment, order: Order, now: datetime, grace: timedelta) -> list[Mismatch]:
    found: list[Mismatch] = []

    def report(kind: MismatchKind, detail: str) -> None:
        found.append(Mismatch(kind, order.order_id, payment.reference, detail))

    if payment.currency.upper() != order.currency or payment.amount != order.total:
        report(
            "amount_differs",
            f"{payment.provider} has {money_text(payment.amount, payment.currency.upper())}, "
            f"the order {money_text(order.total, order.currency)}",
        )
    if payment.status == "refunded":
        if order.status in MONEY_KEPT:
            report("refund_not_recorded", f"refunded at {payment.provider}, the order is {order.status}")
        return found
    if order.status in ("pending", "failed"):
        report("paid_not_recorded", f"paid at {payment.provider}, the order is {order.status}")
    elif order.status == "paid" and order.account_id is None and now - payment.created_at > grace:
        minutes = int((now - payment.created_at).total_seconds() // 60)
        report(
            "paid_not_provisioned",
            f"paid {minutes} min ago, no account yet ({order.provisioning_attempts} attempts"
            + (f", last error: {order.provisioning_error}" if order.provisioning_error else "")
            + ")",
        )
    return found
