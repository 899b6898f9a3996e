"""Card-fingerprint velocity through the Stripe webhook function (DynamoDB Local, the fake Stripe): the
fingerprint of the PaymentIntent's latest charge is counted when the payment succeeds; past the limit the
firm's `flag` keeps the order (provisioned, `purchase.flagged`) and `block` refunds it (no account)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from propdesk.data.sales import VelocityRepository
from propdesk.purchases.fraud import FraudPolicy
from propdesk.purchases.orders import PAYMENT_NOT_ACCEPTED

from tests.integration.dynamodb_local import TableNames
from tests.integration.purchases.purchase_stack_world import PurchaseStack, json_of, start_stack, stop_stack

pytestmark = pytest.mark.integration

LIMIT = FraudPolicy().max_purchases_per_card
CARD = "fp_stolen_card"


def stack_with(monkeypatch: pytest.MonkeyPatch, action: str) -> Iterator[PurchaseStack]:
    monkeypatch.setenv("FRAUD_ACTIONS", f"card_velocity={action}")
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


@pytest.fixture()
def flagging(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    yield from stack_with(monkeypatch, "flag")


@pytest.fixture()
def blocking(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    yield from stack_with(monkeypatch, "block")


def buy_with_card(
    stack: PurchaseStack, trader: str, fingerprint: str = CARD
) -> tuple[str, dict[str, object]]:
    """A trader orders and pays by card (each trader its own e-mail: only the card repeats)."""
    placed = stack.order(trader)
    assert placed["statusCode"] == 201, placed["body"]
    order_id = str(json_of(placed)["order"]["order_id"])
    session_id = next(
        s["id"] for s in stack.stripe.sessions.values() if s["metadata"]["order_id"] == order_id
    )
    completed = stack.stripe.pay(session_id, card_fingerprint=fingerprint)
    answer = stack.deliver_stripe(completed)
    assert answer["statusCode"] == 200, answer["body"]
    assert stack.deliver_stripe(completed)["statusCode"] == 200  # redelivered: counted once
    return order_id, json_of(answer)


def status_of(stack: PurchaseStack, trader: str, order_id: str) -> str:
    return str(json_of(stack.get_order(trader, order_id))["order"]["status"])


def test_past_the_limit_a_flagged_card_is_still_provisioned_and_the_order_is_flagged(
    flagging: PurchaseStack,
) -> None:
    for n in range(LIMIT):
        buy_with_card(flagging, f"trader-{n}")
    assert not flagging.bus.of_type("purchase.flagged")

    order_id, answer = buy_with_card(flagging, "trader-last")

    assert answer["order_status"] == "paid"
    (flagged,) = flagging.bus.of_type("purchase.flagged")
    assert flagged.model_dump()["order_id"] == order_id
    assert flagged.model_dump()["reasons"][0].startswith(f"card_velocity: {LIMIT} purchases with this card")
    assert flagging.run_provisioning() == {"batchItemFailures": []}
    assert status_of(flagging, "trader-last", order_id) == "provisioned"
    assert flagging.match_trader.accounts_named(f"propdesk:{order_id}")


def test_past_the_limit_a_blocked_card_is_refunded_and_no_account_is_opened(blocking: PurchaseStack) -> None:
    for n in range(LIMIT):
        buy_with_card(blocking, f"trader-{n}")
    buy_with_card(blocking, "other-card", fingerprint="fp_another_card")  # another card is not counted

    order_id, answer = buy_with_card(blocking, "trader-last")

    assert answer["order_status"] == "refunded"
    (refund,) = blocking.stripe.refunds
    assert refund["metadata"]["order_id"] == order_id
    assert refund["metadata"]["reason"].startswith("card_velocity:")
    (refunded,) = blocking.bus.of_type("purchase.refunded")
    assert refunded.model_dump()["reason"] == PAYMENT_NOT_ACCEPTED  # the buyer is not told which check
    (alert,) = blocking.bus.of_type("firm.alert")  # staff are
    assert "card_velocity (block)" in alert.model_dump()["message"]
    blocking.run_provisioning()
    assert not blocking.match_trader.accounts_named(f"propdesk:{order_id}")
    history = json_of(blocking.get_order("trader-last", order_id))["history"]
    assert [step["to_status"] for step in history] == ["refunded"]
    assert history[0]["note"] == PAYMENT_NOT_ACCEPTED
    # Stripe then reports its refund: nothing more happens
    session_id = next(
        s["id"] for s in blocking.stripe.sessions.values() if s["metadata"]["order_id"] == order_id
    )
    assert json_of(blocking.deliver_stripe(blocking.stripe.refund(session_id)))["order_status"] == "refunded"
    assert len(blocking.bus.of_type("purchase.refunded")) == 1


def test_the_card_is_counted_in_the_velocity_table(blocking: PurchaseStack) -> None:
    buy_with_card(blocking, "trader-1")
    buy_with_card(blocking, "trader-2")
    now = datetime.now(UTC)
    assert VelocityRepository().count("card", CARD, now - timedelta(hours=1), now + timedelta(minutes=1)) == 2
