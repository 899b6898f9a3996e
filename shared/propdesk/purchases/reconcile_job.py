"""The scheduled reconciliation: each provider's payments of the last period against our orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from propdesk.domain_events import FirmAlert, stable_id
from propdesk.ports import EventPublisher
from propdesk.purchases.ports import PaymentProvider, ProviderUnavailableError
from propdesk.purchases.reconciliation import Mismatch, ProviderPayment, reconcile
from propdesk.purchases.store import OrderStore

ALERT_LINES = 20


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    start: datetime
    end: datetime
    payments: int
    orders: int
    mismatches: tuple[Mismatch, ...]
    unavailable: tuple[str, ...]  # providers that could not be listed (retried next run)


class ReconciliationJob:
    def __init__(
        self,
        orders: OrderStore,
        providers: Mapping[str, PaymentProvider],
        publisher: EventPublisher,
        grace: timedelta = timedelta(minutes=15),
    ) -> None:
        self._orders = orders
        self._providers = providers
        self._publisher = publisher
        self._grace = grace

    def run(self, now: datetime, period: timedelta = timedelta(days=1)) -> ReconciliationReport:
        start = now - period
        payments: list[ProviderPayment] = []
        listed: set[str] = set()
        unavailable: list[str] = []
        for name, provider in sorted(self._providers.items()):
            try:
                payments.extend(provider.payments_between(start, now))
                listed.add(name)
            except ProviderUnavailableError:
                unavailable.append(name)
        orders = {order.order_id: order for order in self._orders.created_between(start, now)}
        for payment in payments:  # an order placed before the period but paid within it
            if payment.order_id and payment.order_id not in orders:
                found = self._orders.get(payment.order_id)
                if found is not None:
                    orders[found.order_id] = found
        mismatches = tuple(reconcile(payments, orders, frozenset(listed), now, self._grace))
        report = ReconciliationReport(start, now, len(payments), len(orders), mismatches, tuple(unavailable))
        if mismatches or unavailable:
            self._publisher.publish([_alert(report)])
        return report


def _alert(report: ReconciliationReport) -> FirmAlert:
    lines = [
        f"{m.kind}: order {m.order_id or '-'} ({m.reference or '-'}): {m.detail}" for m in report.mismatches
    ]
    if len(lines) > ALERT_LINES:
        lines = [*lines[:ALERT_LINES], f"... and {len(lines) - ALERT_LINES} more"]
    if report.unavailable:
        lines.append("could not list payments at: " + ", ".join(report.unavailable))
    return FirmAlert(
        event_id=stable_id("firm.alert", "reconciliation", report.start.isoformat(), report.end.isoformat()),
        occurred_at=report.end,
        severity="critical" if report.mismatches else "warning",
        subject=f"Reconciliation: {len(report.mismatches)} mismatches over {report.payments} payments",
        message="\n".join(lines),
    )
