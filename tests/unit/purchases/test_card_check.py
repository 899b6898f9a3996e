"""The card checks, run when the payment succeeds: card-fingerprint velocity, the firm's country rules on the
card's issuing country, country mismatch with the billing country; their effect on the order (flag keeps the
payment and flags; block refunds and never provisions), what the buyer sees (no check, no threshold) and what
staff get (a `firm.alert` with the reasons), and the webhook service counting each paid order's card once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from propdesk.domain_events import STAFF_ONLY, FirmAlert
from propdesk.purchases import stripe_events
from propdesk.purchases.card_check import CardCheck
from propdesk.purchases.fraud import Finding, FraudPolicy, card_country, card_velocity
from propdesk.purchases.orders import PAYMENT_NOT_ACCEPTED, apply_payment
from propdesk.purchases.payments import PaidCard
from propdesk.purchases.webhooks import WebhookService

from events import load_event
from tests.doubles.purchases import InMemoryOrderStore, InMemoryVelocity
from tests.unit.purchases.builders import T0, order, payment

FLAG = FraudPolicy(actions={"card_velocity": "flag"}, max_purchases_per_card=2)
BLOCK = FraudPolicy(actions={"card_velocity": "block"}, max_purchases_per_card=2)
COUNTRIES = FraudPolicy(actions={}, country_rules={"KP": "block", "NG": "flag"})


def test_the_card_check_fires_at_the_limit_with_the_firms_action_and_a_reason() -> None:
    assert card_velocity(1, FLAG) is None
    assert card_velocity(2, FLAG) == Finding(
        "card_velocity", "flag", "2 purchases with this card in the last 24 h (limit 2)"
    )
    assert card_velocity(9, BLOCK) is not None and card_velocity(9, BLOCK).action == "block"  # type: ignore[union-attr]
    assert card_velocity(9, FraudPolicy(actions={"card_velocity": "off"})) is None


def test_a_flagged_card_keeps_the_payment_and_flags_the_order() -> None:
    finding = card_velocity(2, FLAG)
    assert finding is not None
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0, [finding])

    assert outcome.order.status == "paid"
    assert outcome.order.flags == ("card_velocity: 2 purchases with this card in the last 24 h (limit 2)",)
    assert [e.detail_type for e in outcome.events] == ["purchase.completed", "purchase.flagged"]


def test_a_blocked_card_refunds_the_order_and_nothing_is_provisioned() -> None:
    finding = card_velocity(2, BLOCK)
    assert finding is not None
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0, [finding])

    assert outcome.order.status == "refunded" and not outcome.order.awaits_provisioning
    assert outcome.order.flags[0].startswith("payment refunded, blocked by card_velocity: 2 purchases")
    assert [e.detail_type for e in outcome.events] == ["purchase.refunded", "purchase.flagged"]
    late = apply_payment(outcome.order, payment("refunded", "evt_2"), T0)
    assert late.order.status == "refunded" and not late.events  # Stripe's own refund event changes nothing


def test_what_the_buyer_sees_of_a_blocked_payment_names_no_check_and_no_threshold() -> None:
    finding = card_country("KP", COUNTRIES)
    assert finding is not None
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0, [finding])

    refunded, flagged = outcome.events
    assert outcome.transition.note == PAYMENT_NOT_ACCEPTED  # the order's history, which the buyer reads
    assert refunded.model_dump()["reason"] == PAYMENT_NOT_ACCEPTED  # in the buyer's notifications
    assert "KP" not in PAYMENT_NOT_ACCEPTED and "card" not in PAYMENT_NOT_ACCEPTED
    assert flagged.detail_type in STAFF_ONLY  # the reasons travel in staff-only events
    assert flagged.model_dump()["reasons"] == ["card_country: the card was issued in KP, a blocked country"]


def test_with_a_blocking_and_a_flagging_finding_the_payment_is_refunded_and_both_reasons_kept() -> None:
    blocked, flagged = card_country("KP", COUNTRIES), card_velocity(2, FLAG)
    assert blocked is not None and flagged is not None
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0, [flagged, blocked])

    assert outcome.order.status == "refunded"
    assert outcome.order.flags == (
        "card_velocity: 2 purchases with this card in the last 24 h (limit 2)",
        "payment refunded, blocked by card_country: the card was issued in KP, a blocked country",
    )


def test_the_finding_only_acts_on_a_payment_that_makes_the_order_paid() -> None:
    finding = card_velocity(2, BLOCK)
    assert finding is not None
    refunded = order("refunded")
    assert apply_payment(refunded, payment("paid"), T0, [finding]).order.status == "refunded"
    paid = order("paid")
    assert apply_payment(paid, payment("paid"), T0, [finding]).order.status == "paid"


def test_the_firms_country_rules_block_or_flag_the_cards_issuing_country_and_pass_the_rest() -> None:
    assert card_country("KP", COUNTRIES) == Finding(
        "card_country", "block", "the card was issued in KP, a blocked country"
    )
    assert card_country("ng", COUNTRIES) == Finding(
        "card_country", "flag", "the card was issued in NG, a review-listed country"
    )
    assert card_country("GB", COUNTRIES) is None
    assert card_country(None, COUNTRIES) is None  # a card without a country (some wallets) passes
    assert card_country("KP", FraudPolicy()) is None  # no rules: nothing is blocked


@dataclass
class FakeCards:
    cards: dict[str, PaidCard]
    refunds: list[tuple[str, str]] = field(default_factory=list)
    look_ups: int = 0

    def paid_card(self, payment_reference: str) -> PaidCard | None:
        self.look_ups += 1
        return self.cards.get(payment_reference)

    def refund(self, payment_reference: str, order_id: str, reason: str) -> None:
        self.refunds.append((payment_reference, order_id))


@dataclass
class Bus:
    published: list[object] = field(default_factory=list)

    def publish(self, events: list[object]) -> None:
        self.published.extend(events)


def service(
    policy: FraudPolicy, country: str = "US"
) -> tuple[WebhookService, InMemoryOrderStore, FakeCards, InMemoryVelocity]:
    webhooks, orders, cards, velocity, _ = service_with_bus(policy, country)
    return webhooks, orders, cards, velocity


def service_with_bus(
    policy: FraudPolicy, country: str = "US"
) -> tuple[WebhookService, InMemoryOrderStore, FakeCards, InMemoryVelocity, Bus]:
    orders, velocity, bus = InMemoryOrderStore(), InMemoryVelocity(), Bus()
    cards = FakeCards({f"pi_{n}": PaidCard("fp_same", country) for n in range(5)})
    check = CardCheck({"stripe": cards}, velocity, policy)
    return WebhookService(orders, bus, {}, check), orders, cards, velocity, bus


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


def test_a_card_from_a_blocked_country_is_refunded_once_and_staff_are_alerted_once() -> None:
    webhooks, orders, cards, _, bus = service_with_bus(COUNTRIES, country="KP")
    orders.create(order())
    paid = payment("paid", payment_reference="pi_1")

    first = webhooks.apply(paid, T0)
    again = webhooks.apply(paid, T0 + timedelta(minutes=1))  # Stripe redelivers

    assert (first.result, first.order_status, again.result) == ("applied", "refunded", "duplicate")
    assert cards.refunds == [("pi_1", "ord-1")]
    (alert,) = [event for event in bus.published if isinstance(event, FirmAlert)]
    assert alert.order_id == "ord-1" and alert.trader_id == "trader-1"
    assert "card_country (block): the card was issued in KP, a blocked country" in alert.message
    assert "refunded" in alert.message
    assert [step.to_status for step in orders.history("ord-1")] == ["refunded"]


def test_a_card_from_a_review_listed_country_is_provisioned_and_flagged_for_staff() -> None:
    webhooks, orders, cards, _, bus = service_with_bus(COUNTRIES, country="NG")
    orders.create(order())

    assert webhooks.apply(payment("paid", payment_reference="pi_1"), T0).order_status == "paid"

    assert cards.refunds == []
    assert orders.get("ord-1").flags == (  # type: ignore[union-attr]
        "card_country: the card was issued in NG, a review-listed country",
    )
    types = [getattr(event, "detail_type", None) for event in bus.published]
    assert types == ["purchase.completed", "purchase.flagged", "firm.alert"]


def test_a_second_paid_event_for_a_refunded_order_does_not_refund_or_alert_again() -> None:
    webhooks, orders, cards, _, bus = service_with_bus(COUNTRIES, country="KP")
    orders.create(order())
    webhooks.apply(payment("paid", "evt_session", payment_reference="pi_1"), T0)
    webhooks.apply(payment("paid", "evt_intent", payment_reference="pi_1"), T0)  # payment_intent.succeeded

    assert len(cards.refunds) == 1
    assert len([event for event in bus.published if isinstance(event, FirmAlert)]) == 1


def test_the_card_in_a_charge_succeeded_event_is_used_without_asking_stripe() -> None:
    event = stripe_events.normalize(load_event("stripe/charge_succeeded"))
    assert event is not None and event.card == PaidCard("Xt5EWLLDS7FJjR1c", "GB")
    webhooks, orders, cards, _ = service(FraudPolicy(country_rules={"GB": "block"}))
    orders.create(order())

    assert webhooks.apply(event, T0).order_status == "refunded"
    assert cards.look_ups == 0
    assert cards.refunds == [("pi_3QaPaymentIntent0001", "ord-1")]


def test_a_card_country_other_than_the_billing_country_is_flagged_as_a_mismatch() -> None:
    webhooks, orders, _, _ = service(FraudPolicy(), country="BR")
    orders.create(order())

    paid = payment("paid", payment_reference="pi_1", billing_country="GB")
    assert webhooks.apply(paid, T0).order_status == "paid"

    assert orders.get("ord-1").flags == (  # type: ignore[union-attr]
        "country_mismatch: countries differ: billing address GB, card BR",
    )


def test_without_any_card_check_on_stripe_is_not_asked() -> None:
    off = FraudPolicy(actions={"card_velocity": "off", "country_mismatch": "off"})
    webhooks, orders, cards, _ = service(off)
    orders.create(order())
    webhooks.apply(payment("paid", payment_reference="pi_1"), T0)
    assert cards.look_ups == 0
