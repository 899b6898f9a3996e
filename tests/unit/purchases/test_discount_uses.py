"""A discount code's use is held by every order that is not failed: released when the payment fails or the
checkout expires, once however often the provider delivers it, and taken back by a late payment (even past
the code's limit: the money is in)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propdesk.purchases.discount_uses import use_change
from propdesk.purchases.orders import OrderStatus, Transition
from propdesk.purchases.pricing import DiscountCode, PriceLine

from tests.doubles.purchases import InMemoryOrderStore
from tests.unit.purchases.builders import T0, order
from tests.unit.purchases.purchase_world import World, intent_failed, session_expired, session_paid

CODED = (
    PriceLine("program", "p", "program", Decimal("540.00")),
    PriceLine("discount", "ONCE", "discount ONCE", Decimal("-54.00")),
)


def step(from_status: OrderStatus, to_status: OrderStatus) -> Transition:
    return Transition("ord-1", 2, from_status, to_status, "test", "", T0)


@pytest.mark.parametrize(
    ("from_status", "to_status", "change"),
    [
        ("pending", "failed", -1),
        ("failed", "paid", 1),
        ("failed", "failed", 0),  # a redelivered expiry is a note
        ("pending", "paid", 0),
        ("paid", "refunded", 0),
        ("failed", "disputed", 1),
        ("disputed", "failed", -1),  # a dispute on a late payment won, back to failed
    ],
)
def test_the_use_moves_only_when_the_order_enters_or_leaves_failed(
    from_status: OrderStatus, to_status: OrderStatus, change: int
) -> None:
    assert use_change(order(to_status, lines=CODED), step(from_status, to_status)) == change
    assert use_change(order(to_status), step(from_status, to_status)) == 0  # no code, nothing to count
    assert use_change(order(to_status, lines=CODED), None) == 0


def coded_world(max_uses: int | None = 1) -> World:
    store = InMemoryOrderStore(
        {"ONCE": DiscountCode("ONCE", "percent", percent=Decimal("10"), max_uses=max_uses)}
    )
    return World(store=store)


def uses(world: World) -> int:
    return int(world.store.discounts["ONCE"].uses)


@pytest.mark.parametrize("failure", [session_expired, intent_failed])
def test_a_failed_order_gives_its_use_back_once_and_the_code_can_be_used_again(failure: object) -> None:
    world = coded_world()
    first = world.buy("trader-1", discount_code="ONCE").order.order_id
    assert uses(world) == 1
    event = failure(first, f"{first}-failed")  # type: ignore[operator]
    assert world.deliver(event).order_status == "failed"
    assert uses(world) == 0
    assert world.deliver(event).result == "duplicate"
    world.deliver(failure(first, f"{first}-failed-again"))  # type: ignore[operator]
    assert uses(world) == 0  # never below zero, never twice
    world.buy("trader-2", discount_code="ONCE")
    assert uses(world) == 1


def test_a_late_payment_takes_the_use_back_even_past_the_limit() -> None:
    world = coded_world()
    late = world.buy("trader-1", discount_code="ONCE").order.order_id
    world.deliver(session_expired(late, "expired"))
    world.buy("trader-2", discount_code="ONCE")  # the released use is taken by another trader
    assert world.deliver(session_paid(late, "late-payment", amount=48600)).order_status == "paid"
    assert uses(world) == 2  # over max_uses=1: both traders paid the discounted price
    world.deliver(session_expired(late, "expired-redelivered"))
    assert uses(world) == 2  # a paid order never fails


def test_a_code_reset_to_zero_meanwhile_does_not_stop_the_order_failing() -> None:
    world = coded_world(max_uses=None)
    placed = world.buy("trader-1", discount_code="ONCE").order.order_id
    world.store.discounts["ONCE"] = DiscountCode("ONCE", "percent", percent=Decimal("10"))  # staff reset
    assert world.deliver(intent_failed(placed, "declined")).order_status == "failed"
    assert uses(world) == 0
