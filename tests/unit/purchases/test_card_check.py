"""Card-fingerprint velocity, checked when the payment succeeds: the rule, its effect on the order (flag keeps
the payment and flags; block refunds and never provisions) and the webhook service counting each paid
order's card once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from propdesk.purchases.card_check import CardCheck
from propdesk.purchases.fraud import Finding, FraudPolicy, card_velocity
from propdesk.purchases.orders import apply_payment
from propdesk.purchases.webhooks import WebhookService

from tests.doubles.purchases import InMemoryOrderStore, InMemoryVelocity
from tests.unit.purchases.builders import T0, order, payment

FLAG = FraudPolicy(actions={"card_velocity": "flag"}, max_purchases_per_card=2)
BLOCK = FraudPolicy(actions={"card_velocity": "block"}, max_purchases_per_card=2)


def test_the_card_check_fires_at_the_limit_with_the_firms_action_and_a_reason() -> None:
    assert card_velocity(1, FLAG) is None
    assert card_velocity(2, FLAG) == Finding(
        "card_velocity", "flag", "2 purchases with this card in the last 24 h (limit 2)"
    )
    assert card_velocity(9, BLOCK) is not None and card_velocity(9, BLOCK).action == "block"  # type: ignore[union-attr]
    assert card_velocity(9, FraudPolicy(actions={"card_velocity": "off"})) is None


def test_a_flagged_card_keeps_the_payment_and_flags_the_order() -> None:
    finding = card_velocity(2, FLAG)
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0, finding)

    assert outcome.order.status == "paid"
    assert outcome.order.flags == ("card_velocity: 2 purchases with this card in the last 24 h (limit 2)",)
    assert [e.detail_type for e in outcome.events] == ["purchase.completed", "purchase.flagged"]


def test_a_blocked_card_refunds_the_order_and_nothing_is_provisioned() -> None:
    finding = card_velocity(2, BLOCK)
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0, finding)

    assert outcome.order.status == "refunded" and not outcome.order.awaits_provisioning
    assert outcome.transition.note.startswith("payment refunded, blocked by card_velocity: 2 purchases")
    assert [e.detail_type for e in outcome.events] == ["purchase.refunded", "purchase.flagged"]
    late = apply_payment(outcome.order, payment("refunded", "evt_2"), T0)
    assert late.order.status == "refunded" and not late.events  # Stripe's own refund event changes nothing


def test_the_finding_only_acts_on_a_payment_that_makes_the_order_paid() -> None:
    finding = card_velocity(2, BLOCK)
    refunded = order("refunded")
    assert apply_payment(refunded, payment("paid"), T0, finding).order.status == "refunded"
    paid = order("paid")
    assert apply_payment(paid, payment("paid"), T0, finding).order.status == "paid"


@dataclass
class FakeCards:
    fingerprints: dict[str, str]
    refunds: list[tuple[str, str]] = field(default_factory=list)

    def card_fingerprint(self, payment_reference: str) -> str | None:
        return self.fingerprints.get(payment_reference)

    def refund(self, payment_reference: str, order_id: str, reason: str) -> None:
        self.refunds.append((payment_reference, order_id))


class QuietBus:
    def publish(self, events: object) -> None:
        pass


def service(policy: FraudPolicy) -> tuple[WebhookService, InMemoryOrderStore, FakeCards, InMemoryVelocity]:
    orders, velocity = InMemoryOrderStore(), InMemoryVelocity()
    cards = FakeCards({f"pi_{n}": "fp_same" for n in range(5)})
    check = CardCheck({"stripe": cards}, velocity, policy)
    return WebhookService(orders, QuietBus(), {}, check), orders, cards, velocity


def test_the_webhook_counts_each_card_once_and_blocks_past_the_limit() -> None:
    webhooks, orders, cards, velocity = service(BLOCK)
    for n in range(3):
        orders.create(order(order_id=f"ord-{n}"))
        paid = payment("paid", f"evt_{n}", order_id=f"ord-{n}", payment_reference=f"pi_{n}")
        webhooks.apply(paid, T0 + timedelta(minutes=n))
        webhooks.apply(paid, T0 + timedelta(minutes=n))  # a redelivery is not counted again

    assert [orders.get(f"ord-{n}").status for n in range(3)] == ["paid", "paid", "refunded"]  # type: ignore[union-attr]
    assert cards.refunds == [("pi_2", "ord-2")]
    assert len(velocity.seen) == 3


def test_purchases_outside_the_window_do_not_count() -> None:
    webhooks, orders, cards, _ = service(BLOCK)
    for n, at in enumerate((T0, T0 + timedelta(hours=1), T0 + timedelta(hours=30))):
        orders.create(order(order_id=f"ord-{n}"))
        webhooks.apply(payment("paid", f"evt_{n}", order_id=f"ord-{n}", payment_reference=f"pi_{n}"), at)

    assert orders.get("ord-2").status == "paid"  # type: ignore[union-attr]
    assert cards.refunds == []
