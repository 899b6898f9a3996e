"""Card-fingerprint velocity, checked when the payment succeeds (the fingerprint is unknown at checkout):
count the purchases paid with the card in the policy's window, and refund the payment first when the firm
blocks (the provider's refund is idempotent per order, so a redelivery never refunds twice)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.fraud import Finding, FraudPolicy, card_velocity
from propdesk.purchases.orders import Order, Outcome
from propdesk.purchases.payments import PaymentEvent
from propdesk.purchases.ports import CardPayments, ProviderUnavailableError
from propdesk.purchases.store import VelocityCounter

VELOCITY_KIND = "card"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CardVerdict:
    fingerprint: str
    finding: Finding | None


class CardCheck:
    def __init__(
        self, cards: Mapping[str, CardPayments], velocity: VelocityCounter, policy: FraudPolicy
    ) -> None:
        self._cards = cards
        self._velocity = velocity
        self._policy = policy

    def verdict(self, order: Order, event: PaymentEvent, now: datetime) -> CardVerdict | None:
        """The card's verdict for a payment that would make a pending (or failed) order paid, else None."""
        cards = self._cards.get(event.provider)
        if cards is None or self._policy.action("card_velocity") == "off":
            return None
        if event.kind != "paid" or order.status not in ("pending", "failed") or not event.payment_reference:
            return None
        fingerprint = self._call(lambda: cards.card_fingerprint(event.payment_reference or ""))
        if fingerprint is None:
            return None
        recent = self._velocity.count(VELOCITY_KIND, fingerprint, now - self._policy.window, now)
        return CardVerdict(fingerprint, card_velocity(recent, self._policy))

    def refund_if_blocked(self, verdict: CardVerdict, order: Order, event: PaymentEvent) -> None:
        if verdict.finding is None or verdict.finding.action != "block" or not event.payment_reference:
            return
        reason = f"{verdict.finding.check}: {verdict.finding.reason}"
        cards = self._cards[event.provider]
        self._call(lambda: cards.refund(event.payment_reference or "", order.order_id, reason))

    def record(self, verdict: CardVerdict, applied: Outcome, now: datetime) -> None:
        """Count the purchase once its payment is stored (paid, or refunded because blocked)."""
        if applied.transition.from_status in ("pending", "failed") and applied.status_changed:
            self._velocity.record(VELOCITY_KIND, verdict.fingerprint, now)

    @staticmethod
    def _call(operation: Callable[[], T]) -> T:
        try:
            return operation()
        except ProviderUnavailableError as error:
            raise RetryLaterError(
                "the card check cannot reach the provider yet", internal=(str(error),)
            ) from error
