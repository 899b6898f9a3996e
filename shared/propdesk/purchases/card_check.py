"""The checks that need the card that paid, run when a payment would make a pending (or failed) order paid:
- card-fingerprint velocity: the purchases paid with the card in the policy's window;
- the firm's country rules on the card's issuing country (`FraudPolicy.country_rules`);
- country mismatch between the card's country and the billing country the customer gave the provider.

The card comes from the provider, never from the buyer's client: from the event when it carries the charge
(Stripe `charge.succeeded`), else from one look-up of the payment (`CardPayments.paid_card`). A blocking
finding refunds the payment before the order is stored (the provider's refund is idempotent per order, so a
redelivery never refunds twice). The reasons go to staff (`firm.alert`, the order's flags), never to the
buyer. The card that paid is also an identity signal of the buyer (`signals`: a keyed hash, for the abuse
detectors' shared-identity graph)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from propdesk.abuse.signals import NoSignals, SignalSink
from propdesk.domain_events import FirmAlert, stable_id
from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.fraud import (
    Finding,
    FraudPolicy,
    PurchaseSignals,
    card_country,
    card_velocity,
    country_mismatch,
)
from propdesk.purchases.orders import Order, Outcome
from propdesk.purchases.payments import PaidCard, PaymentEvent
from propdesk.purchases.ports import CardPayments, ProviderUnavailableError
from propdesk.purchases.store import VelocityCounter

VELOCITY_KIND = "card"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CardVerdict:
    card: PaidCard
    findings: tuple[Finding, ...] = ()

    @property
    def blocking(self) -> Finding | None:
        return next((finding for finding in self.findings if finding.action == "block"), None)


class CardCheck:
    def __init__(
        self,
        cards: Mapping[str, CardPayments],
        velocity: VelocityCounter,
        policy: FraudPolicy,
        signals: SignalSink | None = None,
    ) -> None:
        self._cards = cards
        self._velocity = velocity
        self._policy = policy
        self._signals = signals or NoSignals()

    def verdict(self, order: Order, event: PaymentEvent, now: datetime) -> CardVerdict | None:
        """The card's verdict for a payment that would make a pending (or failed) order paid, else None."""
        cards = self._cards.get(event.provider)
        if cards is None or not self._any_check_on():
            return None
        if event.kind != "paid" or order.status not in ("pending", "failed") or not event.payment_reference:
            return None
        card = event.card or self._call(lambda: cards.paid_card(event.payment_reference or ""))
        if card is None:
            return None
        billing = event.billing_country
        countries = PurchaseSignals(order.email, card_country=card.country, billing_country=billing)
        found: list[Finding | None] = [
            card_country(card.country, self._policy),
            country_mismatch(countries, self._policy),
        ]
        if card.fingerprint and self._policy.action("card_velocity") != "off":
            recent = self._velocity.count(VELOCITY_KIND, card.fingerprint, now - self._policy.window, now)
            found.insert(0, card_velocity(recent, self._policy))
        return CardVerdict(card, tuple(finding for finding in found if finding is not None))

    def refund_if_blocked(self, verdict: CardVerdict, order: Order, event: PaymentEvent) -> None:
        blocking = verdict.blocking
        if blocking is None or not event.payment_reference:
            return
        reason = f"{blocking.check}: {blocking.reason}"  # Stripe's refund metadata: the firm's eyes only
        cards = self._cards[event.provider]
        self._call(lambda: cards.refund(event.payment_reference or "", order.order_id, reason))

    def record(self, verdict: CardVerdict, applied: Outcome, now: datetime) -> None:
        """Count the purchase once its payment is stored (paid, or refunded because blocked)."""
        if verdict.card.fingerprint and _acted(applied):
            self._velocity.record(VELOCITY_KIND, verdict.card.fingerprint, now)
            self._signals.capture(applied.order.trader_id, "card", verdict.card.fingerprint, now)

    @staticmethod
    def alerts(verdict: CardVerdict, applied: Outcome, now: datetime) -> tuple[FirmAlert, ...]:
        """The staff's alert for findings that acted on the order (one per order: its id is stable, so a
        redelivery or a second paid event does not alert twice)."""
        if not verdict.findings or not _acted(applied):
            return ()
        order = applied.order
        refunded = verdict.blocking is not None
        outcome = "the payment was refunded and no account opened" if refunded else "provisioned; review"
        findings = "; ".join(f"{f.check} ({f.action}): {f.reason}" for f in verdict.findings)
        return (
            FirmAlert(
                event_id=stable_id("firm.alert", "card-check", order.order_id),
                occurred_at=now,
                severity="warning",
                subject=f"Order {order.order_id} {'refunded' if refunded else 'flagged'} by the card check",
                message=f"{outcome}: {findings}",
                order_id=order.order_id,
                trader_id=order.trader_id,
            ),
        )

    def _any_check_on(self) -> bool:
        return (
            self._policy.action("card_velocity") != "off"
            or self._policy.action("country_mismatch") != "off"
            or any(action != "off" for action in self._policy.country_rules.values())
        )

    @staticmethod
    def _call(operation: Callable[[], T]) -> T:
        try:
            return operation()
        except ProviderUnavailableError as error:
            raise RetryLaterError(
                "the card check cannot reach the provider yet", internal=(str(error),)
            ) from error


def _acted(applied: Outcome) -> bool:
    return applied.transition.from_status in ("pending", "failed") and applied.status_changed
