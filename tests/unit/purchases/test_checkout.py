"""Placing orders: priced, checked, stored once per Idempotency-Key, with a payment page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propdesk.errors import NotFoundError
from propdesk.purchases.errors import (
    PURCHASE_REFUSED,
    IdempotencyKeyReusedError,
    PricingError,
    PurchaseBlockedError,
    RetryLaterError,
)
from propdesk.purchases.pricing import DiscountCode

from tests.unit.purchases.purchase_world import World


def test_an_order_is_pending_with_a_payment_page_and_pinned_to_the_version_on_sale() -> None:
    world = World()
    placed = world.buy(add_ons=("split-90",))
    order = placed.order
    assert (order.status, order.program_version, order.total) == ("pending", 3, Decimal("639.00"))
    assert order.payment_url == f"https://pay.example/sess_{order.order_id}"
    assert order.add_on_effects == {"split": "90"}
    assert world.store.order_for_payment("stripe", f"sess_{order.order_id}") == order.order_id
    assert not placed.replayed


def test_the_same_idempotency_key_returns_the_same_order_and_page() -> None:
    world = World()
    first = world.buy(key="k-1")
    again = world.buy(key="k-1")
    assert again.replayed
    assert again.order.order_id == first.order.order_id
    assert again.order.payment_url == first.order.payment_url
    assert len(world.store.orders) == 1
    assert len(world.provider.sessions) == 1


def test_the_same_key_from_another_trader_is_another_order() -> None:
    world = World()
    assert world.buy("t1", key="k").order.order_id != world.buy("t2", key="k").order.order_id


def test_reusing_a_key_for_a_different_request_is_refused() -> None:
    world = World()
    world.buy(key="k-1")
    with pytest.raises(IdempotencyKeyReusedError):
        world.buy(key="k-1", currency="EUR")


def test_a_provider_outage_keeps_the_order_and_the_repeat_gets_the_page() -> None:
    world = World()
    world.provider.unavailable = True
    with pytest.raises(RetryLaterError, match="same Idempotency-Key"):
        world.buy(key="k-1")
    (stored,) = world.store.orders.values()
    assert stored.payment_url is None
    world.provider.unavailable = False
    assert world.buy(key="k-1").order.payment_url is not None
    assert len(world.store.orders) == 1


def test_unknown_programs_and_codes_are_refused_by_field() -> None:
    world = World()
    with pytest.raises(NotFoundError):
        world.buy(program_id="nope")
    with pytest.raises(PricingError) as refused:
        world.buy(discount_code="NOPE")
    assert refused.value.field == "discount_code"


def test_a_discount_codes_usage_limit_is_enforced_across_orders() -> None:
    world = World()
    world.store.discounts["ONCE"] = DiscountCode("ONCE", "percent", percent=Decimal("10"), max_uses=1)
    assert world.buy(discount_code="once").order.total == Decimal("486.00")
    with pytest.raises(PricingError, match="used up"):
        world.buy(discount_code="ONCE")


def test_a_blocking_fraud_check_refuses_without_telling_the_buyer_which_check_fired() -> None:
    world = World()
    with pytest.raises(PurchaseBlockedError) as refused:
        world.buy(email="x@mailinator.com")
    assert refused.value.message == PURCHASE_REFUSED and refused.value.field is None
    assert refused.value.internal == ("mailinator.com is a disposable e-mail domain",)  # for staff
    assert world.store.orders == {}


def test_a_flagging_check_stores_the_reason_and_announces_it() -> None:
    world = World()
    order = world.buy(billing_country="GB", ip_country="NG").order
    assert order.flags == ("country_mismatch: countries differ: IP address NG, billing address GB",)
    assert [e.detail_type for e in world.publisher.published] == ["purchase.flagged"]


def test_purchase_velocity_per_email_is_counted() -> None:
    world = World()
    for _ in range(5):
        world.buy()
    assert world.buy().order.flags[0].startswith("email_velocity: 5 purchases with this e-mail")
