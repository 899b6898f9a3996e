"""Provider payloads (the samples in `events/stripe` and `events/coinbase`) → normalized payment events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.purchases import coinbase_events, stripe_events
from propdesk.purchases.payments import PaidCard, PayloadError, PaymentEvent

from events import load_event


@pytest.mark.parametrize(
    ("sample", "kind", "amount"),
    [
        ("checkout_session_completed", "paid", Decimal("540.00")),
        ("checkout_session_async_payment_succeeded", "paid", Decimal("540.00")),
        ("checkout_session_async_payment_failed", "payment_failed", None),
        ("payment_intent_succeeded", "paid", Decimal("540.00")),
        ("charge_succeeded", "paid", Decimal("540.00")),
        ("charge_refunded", "refunded", Decimal("540.00")),
        ("charge_dispute_created", "dispute_opened", Decimal("540.00")),
        ("charge_dispute_closed", "dispute_closed", Decimal("540.00")),
    ],
)
def test_stripe_events_name_the_order_and_the_amount_in_major_units(
    sample: str, kind: str, amount: Decimal | None
) -> None:
    event = stripe_events.normalize(load_event(f"stripe/{sample}"))
    assert event is not None
    assert event.kind == kind
    assert event.amount == amount
    assert event.payment_reference == "pi_3QaPaymentIntent0001"
    if kind.startswith("dispute"):
        assert event.order_id is None  # disputes name the payment intent only
        assert event.dispute_id == "dp_1QaDispute000000001"
    else:
        assert event.order_id == "ord-1"


def test_the_card_that_paid_is_read_from_the_charge_and_the_billing_country_from_checkout() -> None:
    charge = stripe_events.normalize(load_event("stripe/charge_succeeded"))
    assert charge is not None
    assert charge.card == PaidCard(fingerprint="Xt5EWLLDS7FJjR1c", country="GB")
    assert charge.billing_country == "GB"
    session = stripe_events.normalize(load_event("stripe/checkout_session_completed"))
    assert session is not None and session.card is None  # a session does not carry the charge: asked for
    assert session.billing_country == "GB"  # customer_details.address.country
    intent = load_event("stripe/payment_intent_succeeded")
    assert stripe_events.normalize(intent).card is None  # type: ignore[union-attr]  # latest_charge is an id
    intent["data"]["object"]["latest_charge"] = load_event("stripe/charge_succeeded")["data"]["object"]
    assert stripe_events.normalize(intent).card == PaidCard("Xt5EWLLDS7FJjR1c", "GB")  # type: ignore[union-attr]


def test_a_card_country_that_is_not_an_iso_code_counts_as_unknown() -> None:
    payload = load_event("stripe/charge_succeeded")
    payload["data"]["object"]["payment_method_details"]["card"]["country"] = None
    event = stripe_events.normalize(payload)
    assert event is not None and event.card == PaidCard("Xt5EWLLDS7FJjR1c", None)


def test_an_authorized_charge_not_yet_captured_is_not_a_payment() -> None:
    payload = load_event("stripe/charge_succeeded")
    payload["data"]["object"].update(captured=False, amount_captured=0)
    event = stripe_events.normalize(payload)
    assert event is not None and event.kind == "awaiting_payment" and event.amount is None


def test_a_checkout_completed_without_the_money_yet_is_awaiting_payment() -> None:
    payload = load_event("stripe/checkout_session_completed")
    payload["data"]["object"]["payment_status"] = "unpaid"
    event = stripe_events.normalize(payload)
    assert event is not None and event.kind == "awaiting_payment"
    assert event.session_reference == "cs_test_a1B2c3D4e5F6g7H8i9J0"


def test_a_partial_refund_and_the_dispute_outcome_are_read() -> None:
    refund = load_event("stripe/charge_refunded")
    refund["data"]["object"].update(refunded=False, amount_refunded=10000)
    partial = stripe_events.normalize(refund)
    assert (
        partial is not None and partial.kind == "partially_refunded" and partial.amount == Decimal("100.00")
    )
    closed = load_event("stripe/charge_dispute_closed")
    closed["data"]["object"]["status"] = "lost"
    lost = stripe_events.normalize(closed)
    assert lost is not None and lost.dispute_outcome == "lost"


def test_stripe_event_types_propdesk_ignores_normalize_to_none() -> None:
    assert (
        stripe_events.normalize({"id": "evt_1", "type": "customer.created", "data": {"object": {}}}) is None
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "evt_1", "type": "checkout.session.completed", "created": 1, "data": {}},
        {"id": "evt_1", "type": "charge.refunded", "created": 1, "data": {"object": {"currency": "usd"}}},
        {"type": "checkout.session.completed", "created": 1, "data": {"object": {"id": "cs_1"}}},
    ],
)
def test_a_stripe_payload_missing_what_its_type_needs_is_a_payload_error(broken: dict[str, object]) -> None:
    with pytest.raises(PayloadError):
        stripe_events.normalize(broken)


@pytest.mark.parametrize(
    ("sample", "kind", "amount"),
    [
        ("charge_confirmed", "paid", Decimal("540.00")),
        ("charge_resolved_underpaid", "paid", Decimal("538.50")),
        ("charge_pending", "awaiting_payment", Decimal("540.00")),
        ("charge_failed_expired", "expired", None),
        ("charge_delayed_underpaid", "partially_paid", Decimal("500.00")),
    ],
)
def test_coinbase_charges_map_to_paid_only_when_confirmed_or_resolved(
    sample: str, kind: str, amount: Decimal | None
) -> None:
    event = coinbase_events.normalize(load_event(f"coinbase/{sample}"))
    assert event is not None
    assert (event.kind, event.amount, event.order_id) == (kind, amount, "ord-2")
    assert event.payment_reference == "XA6G6ZFR"
    assert event.event_id.startswith("24934862")


def test_a_pending_coinbase_charge_is_a_payment_seen_not_a_payment_made() -> None:
    event = coinbase_events.normalize(load_event("coinbase/charge_pending"))

    assert event is not None and event.kind == "awaiting_payment"
    assert event.reason == "crypto payment seen on chain, waiting for its confirmation"


def test_a_charge_the_merchant_resolved_accepts_its_shortfall_and_nothing_else_does() -> None:
    resolved = coinbase_events.normalize(load_event("coinbase/charge_resolved_underpaid"))
    confirmed = coinbase_events.normalize(load_event("coinbase/charge_confirmed"))

    assert resolved is not None and resolved.shortfall_accepted
    assert confirmed is not None and not confirmed.shortfall_accepted


@pytest.mark.parametrize("sample", ["charge_confirmed", "charge_resolved_underpaid"])
@pytest.mark.parametrize(
    "damage",
    [
        lambda charge: charge.update(payments=[]),
        lambda charge: charge.pop("payments"),
        lambda charge: charge["payments"][0]["value"]["local"].pop("currency"),
        lambda charge: charge["payments"][0]["value"].pop("local"),
    ],
    ids=["no payments", "payments missing", "no currency", "no local value"],
)
def test_a_paid_coinbase_event_without_the_amount_and_currency_received_is_refused(
    sample: str, damage: Callable[[dict[str, Any]], object]
) -> None:
    payload = load_event(f"coinbase/{sample}")
    damage(payload["event"]["data"])

    with pytest.raises(PayloadError):
        coinbase_events.normalize(payload)


def test_a_paid_event_of_any_provider_must_say_how_much_arrived() -> None:
    with pytest.raises(PayloadError, match="amount and currency"):
        PaymentEvent("stripe", "evt_1", "x", "paid", datetime(2026, 11, 25, tzinfo=UTC), "ord-1")
    with pytest.raises(PayloadError, match="amount and currency"):
        PaymentEvent(
            "stripe", "evt_1", "x", "paid", datetime(2026, 11, 25, tzinfo=UTC), "ord-1", amount=Decimal(1)
        )


def test_a_late_coinbase_payment_is_held_for_the_merchant_to_resolve() -> None:
    payload = load_event("coinbase/charge_delayed_underpaid")
    payload["event"]["data"]["payments"][0]["value"]["local"]["amount"] = "540.00"
    payload["event"]["data"]["timeline"][-1]["context"] = "DELAYED"

    event = coinbase_events.normalize(payload)

    assert event is not None and event.kind == "held"
    assert "resolve the charge in Coinbase Commerce" in event.reason


def test_a_coinbase_failure_without_an_expiry_is_a_failed_payment() -> None:
    payload = load_event("coinbase/charge_failed_expired")
    payload["event"]["data"]["timeline"][-1]["status"] = "CANCELED"
    event = coinbase_events.normalize(payload)
    assert event is not None and event.kind == "payment_failed"
    assert event.reason == "the crypto charge failed (canceled)"


def test_coinbase_charge_created_is_ignored() -> None:
    payload = load_event("coinbase/charge_confirmed")
    payload["event"]["type"] = "charge:created"
    assert coinbase_events.normalize(payload) is None


def test_a_coinbase_failure_after_full_payment_is_held_not_paid() -> None:
    payload = load_event("coinbase/charge_confirmed")
    payload["event"]["type"] = "charge:failed"
    payload["event"]["data"]["timeline"].append({"status": "EXPIRED", "time": "2026-11-25T12:50:00Z"})
    event = coinbase_events.normalize(payload)
    assert event is not None and event.kind == "held"


@pytest.mark.parametrize(
    ("sample", "kind", "reason"),
    [
        ("checkout_session_expired", "expired", ""),
        (
            "payment_intent_payment_failed",
            "payment_failed",
            "payment failed: Your card has insufficient funds.",
        ),
    ],
)
def test_an_expired_checkout_and_a_declined_payment_fail_the_order_they_name(
    sample: str, kind: str, reason: str
) -> None:
    event = stripe_events.normalize(load_event(f"stripe/{sample}"))
    assert event is not None
    assert (event.kind, event.order_id, event.amount, event.reason) == (kind, "ord-1", None, reason)
