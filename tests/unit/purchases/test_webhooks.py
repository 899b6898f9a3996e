"""Webhook handling: signatures first, one effect per provider event id, late and repeated deliveries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from propdesk.errors import MalformedRequestError
from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.webhooks import BadSignatureError, WebhookService

from events import load_event
from tests.doubles.purchases import FakePaymentProvider
from tests.unit.purchases.builders import T0
from tests.unit.purchases.purchase_world import World, dispute, intent_succeeded, refunded, session_paid


def test_a_paid_checkout_is_applied_once_and_announced_once() -> None:
    world = World()
    order_id = world.buy().order.order_id
    assert world.deliver(session_paid(order_id, "evt_1")).result == "applied"
    for _ in range(10):
        assert world.deliver(session_paid(order_id, "evt_1")).result == "duplicate"
    assert world.store.orders[order_id].status == "paid"
    assert [e.detail_type for e in world.publisher.published] == ["purchase.completed"]
    assert len(world.store.history(order_id)) == 1


def test_a_bad_signature_changes_nothing() -> None:
    world = World()
    order_id = world.buy().order.order_id
    body = json.dumps(session_paid(order_id, "evt_1")).encode()
    with pytest.raises(BadSignatureError):
        world.webhooks.handle("stripe", body, {"X-Signature": "00" * 32}, T0)
    with pytest.raises(BadSignatureError):
        world.webhooks.handle("stripe", body + b" ", {"X-Signature": world.provider.sign(body)}, T0)
    assert world.store.orders[order_id].status == "pending"
    assert world.store.receipts == {}


def test_a_signed_but_unreadable_event_is_a_400_not_a_crash() -> None:
    world = World()
    body = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {}}).encode()
    with pytest.raises(MalformedRequestError):
        world.webhooks.handle("stripe", body, {"X-Signature": world.provider.sign(body)}, T0)


def test_events_for_unknown_orders_are_recorded_as_unmatched() -> None:
    world = World()
    assert world.deliver(session_paid("ord_unknown", "evt_1")).result == "unmatched"
    assert world.deliver(session_paid("ord_unknown", "evt_1")).result == "duplicate"


def test_a_dispute_is_matched_through_the_payment_intent_seen_earlier() -> None:
    world = World()
    order_id = world.buy().order.order_id
    world.deliver(session_paid(order_id, "evt_1"))
    outcome = world.deliver(dispute(order_id, "evt_2"))
    assert (outcome.result, outcome.order_status) == ("applied", "disputed")


def test_a_dispute_arriving_first_is_matched_by_asking_the_provider() -> None:
    world = World()
    order_id = world.buy().order.order_id
    world.provider.payment_orders[f"pi_{order_id}"] = order_id
    assert world.deliver(dispute(order_id, "evt_2")).order_status == "disputed"


def test_a_bus_outage_stores_the_effect_and_the_redelivery_publishes_it() -> None:
    world = World()
    order_id = world.buy().order.order_id
    world.publisher.fail_next = 1
    with pytest.raises(RetryLaterError):
        world.deliver(session_paid(order_id, "evt_1"))
    assert world.store.orders[order_id].status == "paid"
    assert world.publisher.of_type("purchase.completed") == []
    assert world.deliver(session_paid(order_id, "evt_1")).result == "duplicate"
    assert len(world.publisher.of_type("purchase.completed")) == 1
    world.deliver(session_paid(order_id, "evt_1"))
    assert len(world.publisher.of_type("purchase.completed")) == 1


def test_a_refund_before_the_completion_leaves_the_order_refunded_without_an_account() -> None:
    world = World()
    order_id = world.buy().order.order_id
    world.deliver(refunded(order_id, "evt_3"))
    world.deliver(session_paid(order_id, "evt_1"))
    world.deliver(intent_succeeded(order_id, "evt_2"))
    world.run_bus()
    assert world.store.orders[order_id].status == "refunded"
    assert world.accounts.accounts == {}


def _coinbase_world() -> tuple[World, FakePaymentProvider, str]:
    world = World()
    order_id = world.buy().order.order_id
    coinbase = FakePaymentProvider(name="coinbase")
    world.webhooks = WebhookService(world.store, world.publisher, {"coinbase": coinbase})
    return world, coinbase, order_id


def _coinbase_delivery(sample: str, order_id: str) -> dict[str, Any]:
    delivery: dict[str, Any] = load_event(f"coinbase/{sample}")
    delivery["event"]["data"]["metadata"]["order_id"] = order_id
    return delivery


def _deliver_coinbase(world: World, coinbase: FakePaymentProvider, delivery: dict[str, Any]) -> Any:
    body = json.dumps(delivery).encode()
    return world.webhooks.handle("coinbase", body, {"X-Signature": coinbase.sign(body)}, T0)


def test_a_pending_coinbase_charge_is_recorded_and_only_its_confirmation_pays_the_order() -> None:
    world, coinbase, order_id = _coinbase_world()

    seen = _deliver_coinbase(world, coinbase, _coinbase_delivery("charge_pending", order_id))
    assert (seen.result, seen.order_status) == ("applied", "pending")
    assert world.publisher.published == []
    paid = _deliver_coinbase(world, coinbase, _coinbase_delivery("charge_confirmed", order_id))
    assert paid.order_status == "paid"
    assert [e.detail_type for e in world.publisher.published] == ["purchase.completed"]


def test_a_confirmed_coinbase_charge_without_its_payment_is_refused_and_nothing_is_written() -> None:
    world, coinbase, order_id = _coinbase_world()
    delivery = _coinbase_delivery("charge_confirmed", order_id)
    delivery["event"]["data"]["payments"] = []

    with pytest.raises(MalformedRequestError, match="carries no payment"):
        _deliver_coinbase(world, coinbase, delivery)
    assert world.store.orders[order_id].status == "pending"
    assert world.store.receipts == {}
    assert world.publisher.published == []
