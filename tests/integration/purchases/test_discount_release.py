"""A discount code's use comes back when its order fails, against DynamoDB Local: through the Stripe webhook
function with Stripe's own event shapes (`checkout.session.expired`, `payment_intent.payment_failed`),
once however often and however concurrently they are delivered; a late payment takes it again; and in the
store, a code deleted or reset meanwhile never blocks the order's transition."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.models import DiscountCodeItem
from propdesk.data.orders import OrderRepository
from propdesk.data.sales import SalesCatalogueRepository
from propdesk.purchases.orders import apply_payment
from propdesk.purchases.pricing import DiscountCode, PriceLine

from events import load_event
from tests.integration.dynamodb_local import TableNames
from tests.integration.purchases.purchase_stack_world import PurchaseStack, json_of, start_stack, stop_stack
from tests.unit.purchases.builders import T0, order, payment

pytestmark = pytest.mark.integration

CODE = "LAUNCH10"  # seeded by the stack with max_uses=2


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def uses(code: str = CODE) -> int:
    found = SalesCatalogueRepository().discount(code)
    assert found is not None
    return found.uses


def place_with_code(stack: PurchaseStack, trader: str) -> str:
    response = stack.order(trader, {"discount_code": CODE.lower()})
    assert response["statusCode"] == 201, response["body"]
    return str(json_of(response)["order"]["order_id"])


def session_of(stack: PurchaseStack, order_id: str) -> str:
    return str(next(s["id"] for s in stack.stripe.sessions.values() if s["metadata"]["order_id"] == order_id))


def expired(stack: PurchaseStack, order_id: str) -> dict[str, Any]:
    """Stripe's `checkout.session.expired` for the order's session (the sample's shape, a fresh event id)."""
    sample = load_event("stripe/checkout_session_expired")
    session = sample["data"]["object"]
    session.update(id=session_of(stack, order_id), client_reference_id=order_id)
    session["metadata"]["order_id"] = order_id
    return stack.stripe.event(sample["type"], session)


def declined(stack: PurchaseStack, order_id: str) -> dict[str, Any]:
    """Stripe's `payment_intent.payment_failed` (a card declined in Checkout), from the sample."""
    sample = load_event("stripe/payment_intent_payment_failed")
    intent = sample["data"]["object"]
    intent.update(id=f"pi_test_declined_{order_id}")
    intent["metadata"]["order_id"] = order_id
    return stack.stripe.event(sample["type"], intent)


def status_of(stack: PurchaseStack, trader: str, order_id: str) -> str:
    return str(json_of(stack.get_order(trader, order_id))["order"]["status"])


def test_an_expired_checkout_gives_the_use_back_once_and_a_late_payment_takes_it_again(
    stack: PurchaseStack,
) -> None:
    first, second = place_with_code(stack, "trader-1"), place_with_code(stack, "trader-2")
    assert uses() == 2
    assert stack.order("trader-3", {"discount_code": CODE})["statusCode"] == 422  # used up

    expiry = expired(stack, first)
    answers = [json_of(stack.deliver_stripe(expiry)) for _ in range(3)]
    assert [a["result"] for a in answers] == ["applied", "duplicate", "duplicate"]
    assert answers[0]["order_status"] == "failed"
    assert json_of(stack.deliver_stripe(expired(stack, first)))["result"] == "applied"  # another event id
    assert uses() == 1

    third = place_with_code(stack, "trader-3")  # the abandoned checkout no longer blocks the code
    assert uses() == 2

    late = stack.stripe.pay(session_of(stack, first))  # the trader paid after all
    assert json_of(stack.deliver_stripe(late))["order_status"] == "paid"
    assert uses() == 3  # past max_uses=2: the money is in, the quoted price is honoured
    assert status_of(stack, "trader-1", first) == "paid"
    assert {status_of(stack, "trader-2", second), status_of(stack, "trader-3", third)} == {"pending"}


def test_a_declined_payment_redelivered_concurrently_releases_exactly_one_use(stack: PurchaseStack) -> None:
    order_id = place_with_code(stack, "trader-1")
    events = [declined(stack, order_id) for _ in range(4)]  # Stripe retries and distinct failure events
    answers: list[dict[str, Any]] = []

    def deliver(event: dict[str, Any]) -> None:
        answers.append(stack.deliver_stripe(event))

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events + events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer["statusCode"] == 200 for answer in answers), [a["body"] for a in answers]
    assert status_of(stack, "trader-1", order_id) == "failed"
    assert uses() == 0
    history = OrderRepository().history(order_id)
    assert [(step.from_status, step.to_status) for step in history].count(("pending", "failed")) == 1


CODED = PriceLine("discount", "GONE", "discount GONE", Decimal("-54.00"))


@pytest.mark.parametrize("meanwhile", ["deleted", "reset to zero"])
def test_a_code_deleted_or_reset_meanwhile_never_blocks_the_order_failing(
    fresh_tables: TableNames, unique_id: str, meanwhile: str
) -> None:
    sales, repo = SalesCatalogueRepository(), OrderRepository()
    sales.put_discount(DiscountCode("GONE", "percent", percent=Decimal("10"), max_uses=5))
    placed = repo.create(order(order_id=unique_id, lines=(CODED,)))
    if meanwhile == "deleted":
        DiscountCodeItem(keys.CATALOGUE_PK, keys.discount_sk("GONE")).delete()
    else:
        sales.put_discount(DiscountCode("GONE", "percent", percent=Decimal("10"), max_uses=5, uses=0))
    outcome = apply_payment(placed, payment("expired", "evt-expired"), T0)
    repo.put(outcome.order, placed.revision, outcome.transition)
    stored = repo.get(unique_id)
    assert stored is not None and stored.status == "failed"
    code = sales.discount("GONE")
    assert code is None if meanwhile == "deleted" else (code is not None and code.uses == 0)
