"""The firm's card-country rules through the Stripe webhook function, in-process against DynamoDB Local and
the fake Stripe, with deliveries signed as Stripe signs them (`Stripe-Signature`, HMAC-SHA256 over
`t.body`). The country is the paying card's issuing country as Stripe reports it: looked up from the
PaymentIntent's latest charge for `checkout.session.completed`, read from the charge in `charge.succeeded`.
A blocked country's payment is refunded and no account opened; a review-listed one is provisioned and
flagged; either way the reason goes to staff (`firm.alert`), never to the buyer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.purchases.orders import PAYMENT_NOT_ACCEPTED

from events import load_event
from tests.integration.dynamodb_local import TableNames
from tests.integration.purchases.purchase_stack_world import PurchaseStack, json_of, start_stack, stop_stack

pytestmark = pytest.mark.integration


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    monkeypatch.setenv("FRAUD_COUNTRIES", "KP=block,IR=block,NG=flag")
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def place(stack: PurchaseStack, trader: str) -> tuple[str, str]:
    placed = stack.order(trader)
    assert placed["statusCode"] == 201, placed["body"]
    order_id = str(json_of(placed)["order"]["order_id"])
    sessions = stack.stripe.sessions.values()
    session_id = next(s["id"] for s in sessions if s["metadata"]["order_id"] == order_id)
    return order_id, session_id


def buyer_view(stack: PurchaseStack, trader: str, order_id: str) -> dict[str, Any]:
    answer = stack.get_order(trader, order_id)
    assert answer["statusCode"] == 200, answer["body"]
    return json_of(answer)


def test_a_card_from_a_blocked_country_is_refunded_once_no_account_is_opened_and_only_staff_learn_why(
    stack: PurchaseStack,
) -> None:
    order_id, session_id = place(stack, "trader-kp")
    completed = stack.stripe.pay(session_id, card_country="KP")

    first = stack.deliver_stripe(completed)
    again = stack.deliver_stripe(completed)  # Stripe redelivers (signed afresh)

    assert first["statusCode"] == 200 and json_of(first)["order_status"] == "refunded"
    assert again["statusCode"] == 200 and json_of(again)["result"] == "duplicate"
    (refund,) = stack.stripe.refunds
    assert refund["metadata"]["order_id"] == order_id
    (alert,) = stack.bus.of_type("firm.alert")
    assert alert.model_dump()["order_id"] == order_id
    assert "the card was issued in KP, a blocked country" in alert.model_dump()["message"]
    stack.run_provisioning()
    assert not stack.match_trader.accounts_named(f"propdesk:{order_id}")
    seen = buyer_view(stack, "trader-kp", order_id)
    assert seen["order"]["status"] == "refunded"
    assert [step["note"] for step in seen["history"]] == [PAYMENT_NOT_ACCEPTED]
    assert "KP" not in json.dumps(seen) and "card_country" not in json.dumps(seen)
    (refunded,) = stack.bus.of_type("purchase.refunded")
    assert refunded.model_dump()["reason"] == PAYMENT_NOT_ACCEPTED
    # Stripe then reports the refund and the payment intent's success: nothing more happens
    assert json_of(stack.deliver_stripe(stack.stripe.refund(session_id)))["order_status"] == "refunded"
    succeeded = stack.stripe.payment_intent_succeeded(session_id)
    assert json_of(stack.deliver_stripe(succeeded))["order_status"] == "refunded"
    assert len(stack.stripe.refunds) == 1 and len(stack.bus.of_type("firm.alert")) == 1


def test_a_card_from_a_review_listed_country_is_provisioned_and_staff_are_alerted(
    stack: PurchaseStack,
) -> None:
    order_id, session_id = place(stack, "trader-ng")

    answer = stack.deliver_stripe(stack.stripe.pay(session_id, card_country="NG"))

    assert json_of(answer)["order_status"] == "paid"
    assert stack.stripe.refunds == []
    (alert,) = stack.bus.of_type("firm.alert")
    assert "NG, a review-listed country" in alert.model_dump()["message"]
    assert stack.run_provisioning() == {"batchItemFailures": []}
    assert buyer_view(stack, "trader-ng", order_id)["order"]["status"] == "provisioned"


def test_a_card_from_elsewhere_is_provisioned_without_an_alert(stack: PurchaseStack) -> None:
    _, session_id = place(stack, "trader-gb")

    answer = stack.deliver_stripe(stack.stripe.pay(session_id, card_country="GB"))

    assert json_of(answer)["order_status"] == "paid"
    assert stack.bus.of_type("firm.alert") == [] and stack.bus.of_type("purchase.flagged") == []


def test_the_signed_charge_succeeded_sample_carries_the_country_and_blocks_without_a_look_up(
    stack: PurchaseStack,
) -> None:
    order_id, session_id = place(stack, "trader-ir")
    stack.stripe.pay(session_id, card_country="IR")  # the payment exists at Stripe (for the refund)
    intent_id = stack.stripe.sessions[session_id]["payment_intent"]
    sample = load_event("stripe/charge_succeeded")
    charge = sample["data"]["object"]
    charge.update(payment_intent=intent_id, metadata={"order_id": order_id, "trader_id": "trader-ir"})
    charge["amount"] = charge["amount_captured"] = stack.stripe.sessions[session_id]["amount_total"]
    charge["payment_method_details"]["card"]["country"] = "IR"
    looked_up = len([r for r in stack.stripe.requests if "/v1/payment_intents/" in r.path])

    answer = stack.deliver_stripe(sample)

    assert answer["statusCode"] == 200, answer["body"]
    assert json_of(answer)["order_status"] == "refunded"
    assert len([r for r in stack.stripe.requests if "/v1/payment_intents/" in r.path]) == looked_up
    assert [refund["metadata"]["order_id"] for refund in stack.stripe.refunds] == [order_id]


def test_a_delivery_whose_signature_does_not_match_changes_nothing(stack: PurchaseStack) -> None:
    order_id, session_id = place(stack, "trader-forged")
    completed = stack.stripe.pay(session_id, card_country="GB")

    forged = stack.deliver_stripe(completed, secret="whsec_not_stripes")

    assert forged["statusCode"] == 400
    assert buyer_view(stack, "trader-forged", order_id)["order"]["status"] == "pending"
