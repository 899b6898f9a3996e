"""The Stripe and Coinbase Commerce adapters against the fake servers: sessions, idempotency, signatures
(valid, tampered, wrong secret, stale, missing), look-ups, listing, outages."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.adapters.coinbase_commerce import CoinbaseCommerce
from propdesk.adapters.stripe_payments import StripePayments, StripeRejectedError
from propdesk.purchases import coinbase_events, stripe_events
from propdesk.purchases.payments import PaidCard
from propdesk.purchases.ports import CheckoutRequest, ProviderUnavailableError, WebhookRejectedError

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.signing import body_of, stripe_signature_header
from fakes.stripe import FakeStripe


def checkout(order_id: str = "ord_1", total: str = "540.00", currency: str = "USD") -> CheckoutRequest:
    return CheckoutRequest(
        order_id=order_id,
        trader_id="trader-1",
        email="ada@example.com",
        description="2-Step 100K: Phase 1",
        currency=currency,
        lines=(("2-Step 100K: Phase 1", Decimal(total)),),
        total=Decimal(total),
        success_url="https://app.example/ok",
        cancel_url="https://app.example/cancel",
    )


# ---- Stripe ----


def test_a_checkout_session_carries_the_order_in_minor_units(
    stripe_payments: StripePayments, fake_stripe: FakeStripe
) -> None:
    session = stripe_payments.create_session(checkout(total="540.00"))
    stored = fake_stripe.sessions[session.session_reference]
    assert session.url == stored["url"]
    assert (stored["amount_total"], stored["currency"]) == (54000, "usd")
    assert stored["metadata"] == {"order_id": "ord_1", "trader_id": "trader-1"}
    assert stored["client_reference_id"] == "ord_1"
    assert stored["_payment_intent_metadata"]["order_id"] == "ord_1"


def test_repeating_a_session_for_the_same_order_returns_the_same_session(
    stripe_payments: StripePayments, fake_stripe: FakeStripe
) -> None:
    first = stripe_payments.create_session(checkout())
    again = stripe_payments.create_session(checkout())
    assert again == first
    assert len(fake_stripe.sessions) == 1
    assert fake_stripe.requests[-1].header("idempotency-key") == "checkout-ord_1"


def test_stripe_outages_and_refusals_are_told_apart(
    stripe_payments: StripePayments, fake_stripe: FakeStripe
) -> None:
    fake_stripe.fail_next(1, 503)
    with pytest.raises(ProviderUnavailableError):
        stripe_payments.create_session(checkout("ord_2"))
    fake_stripe.fail_next(1, 429)
    with pytest.raises(ProviderUnavailableError):
        stripe_payments.create_session(checkout("ord_3"))
    fake_stripe.fail_next(1, 400)
    with pytest.raises(StripeRejectedError):
        stripe_payments.create_session(checkout("ord_4"))


def test_a_valid_stripe_signature_verifies_and_normalizes(
    stripe_payments: StripePayments, fake_stripe: FakeStripe
) -> None:
    session = stripe_payments.create_session(checkout())
    body, headers = fake_stripe.delivery(fake_stripe.pay(session.session_reference))
    event = stripe_events.normalize(stripe_payments.verify_webhook(body, headers))
    assert event is not None and (event.kind, event.order_id) == ("paid", "ord_1")


@pytest.mark.parametrize("forgery", ["tampered body", "wrong secret", "stale timestamp", "missing header"])
def test_a_bad_stripe_signature_is_rejected(
    stripe_payments: StripePayments, fake_stripe: FakeStripe, forgery: str
) -> None:
    session = stripe_payments.create_session(checkout())
    event = fake_stripe.pay(session.session_reference)
    body, headers = fake_stripe.delivery(event)
    if forgery == "tampered body":
        body = body.replace(b"54000", b"54001")
    elif forgery == "wrong secret":
        headers = fake_stripe.delivery(event, secret="whsec_someone_else")[1]
    elif forgery == "stale timestamp":
        headers = fake_stripe.delivery(event, timestamp=int(time.time()) - 301)[1]
    else:
        headers = {}
    with pytest.raises(WebhookRejectedError):
        stripe_payments.verify_webhook(body, headers)


def test_any_of_several_v1_signatures_may_match(
    stripe_payments: StripePayments, fake_stripe: FakeStripe
) -> None:
    body = body_of(fake_stripe.event("charge.refunded", {"id": "ch_1"}))
    good = stripe_signature_header(body, fake_stripe.webhook_secret)
    bad = stripe_signature_header(body, "whsec_rolled_secret")
    header = f"{good},v1={bad.split('v1=')[1]}"
    assert stripe_payments.verify_webhook(body, {"stripe-signature": header})["type"] == "charge.refunded"


def test_a_payment_intent_names_its_order(stripe_payments: StripePayments, fake_stripe: FakeStripe) -> None:
    session = stripe_payments.create_session(checkout())
    paid = fake_stripe.pay(session.session_reference)
    intent = paid["data"]["object"]["payment_intent"]
    assert stripe_payments.order_id_for_payment(intent) == "ord_1"


def test_the_card_that_paid_is_read_from_the_intents_latest_charge_in_one_call(
    stripe_payments: StripePayments, fake_stripe: FakeStripe
) -> None:
    session = stripe_payments.create_session(checkout())
    paid = fake_stripe.pay(session.session_reference, card_fingerprint="fp_ada", card_country="gb")
    before = len(fake_stripe.requests)

    card = stripe_payments.paid_card(paid["data"]["object"]["payment_intent"])

    assert card == PaidCard(fingerprint="fp_ada", country="GB")
    assert len(fake_stripe.requests) == before + 1
    assert fake_stripe.requests[-1].query.get("expand[0]") == "latest_charge"


def test_sessions_of_a_period_are_listed_across_pages(fake_stripe: FakeStripe) -> None:
    from propdesk.adapters.stripe_payments import StripeCredentials

    credentials = StripeCredentials(fake_stripe.api_key, fake_stripe.webhook_secret)
    adapter = StripePayments(
        lambda: credentials, api_base=fake_stripe.url, max_network_retries=0, page_size=2
    )
    references = [adapter.create_session(checkout(f"ord_{n}")).session_reference for n in range(5)]
    fake_stripe.pay(references[0])
    now = datetime.now(UTC)
    payments = adapter.payments_between(now - timedelta(hours=1), now + timedelta(minutes=1))
    assert sorted(p.reference for p in payments) == sorted(references)
    paid = next(p for p in payments if p.reference == references[0])
    assert (paid.status, paid.amount, paid.order_id) == ("paid", Decimal("540.00"), "ord_0")


# ---- Coinbase Commerce ----


def test_a_coinbase_charge_carries_the_order_and_its_local_price(
    coinbase: CoinbaseCommerce, fake_coinbase: FakeCoinbaseCommerce
) -> None:
    session = coinbase.create_session(checkout(total="499.00", currency="EUR"))
    charge = fake_coinbase.charge(session.session_reference)
    assert charge["pricing"]["local"] == {"amount": "499.00", "currency": "EUR"}
    assert charge["metadata"]["order_id"] == "ord_1"
    assert session.payment_reference == charge["code"]
    assert coinbase.order_id_for_payment(charge["code"]) == "ord_1"


def test_a_signed_coinbase_delivery_verifies_and_a_forged_one_does_not(
    coinbase: CoinbaseCommerce, fake_coinbase: FakeCoinbaseCommerce
) -> None:
    session = coinbase.create_session(checkout())
    body, headers = fake_coinbase.delivery(fake_coinbase.confirm(session.session_reference))
    event = coinbase_events.normalize(coinbase.verify_webhook(body, headers))
    assert event is not None and (event.kind, event.order_id, event.amount) == (
        "paid",
        "ord_1",
        Decimal("540.00"),
    )
    with pytest.raises(WebhookRejectedError):
        coinbase.verify_webhook(body + b" ", headers)
    _, wrong = fake_coinbase.delivery(fake_coinbase.expire(session.session_reference), secret="other")
    with pytest.raises(WebhookRejectedError):
        coinbase.verify_webhook(body, wrong)
    with pytest.raises(WebhookRejectedError):
        coinbase.verify_webhook(body, {})


def test_coinbase_outages_are_retryable(
    coinbase: CoinbaseCommerce, fake_coinbase: FakeCoinbaseCommerce
) -> None:
    fake_coinbase.fail_next(1, 502)
    with pytest.raises(ProviderUnavailableError):
        coinbase.create_session(checkout())


def test_coinbase_charges_of_a_period_are_listed(
    coinbase: CoinbaseCommerce, fake_coinbase: FakeCoinbaseCommerce
) -> None:
    paid = coinbase.create_session(checkout("ord_a"))
    coinbase.create_session(checkout("ord_b"))
    fake_coinbase.confirm(paid.session_reference)
    now = datetime.now(UTC)
    payments = {
        p.order_id: p for p in coinbase.payments_between(now - timedelta(hours=1), now + timedelta(minutes=1))
    }
    assert payments["ord_a"].status == "paid" and payments["ord_a"].amount == Decimal("540.00")
    assert payments["ord_b"].status == "unpaid"
