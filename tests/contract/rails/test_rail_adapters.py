"""What only one rail does: Wise's four steps (a lost funding answer, an empty balance topped up later) and
Bridge's receipt fees, look-ups across pages and webhooks signed by another key or about something else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from propdesk.adapters.rails.bridge import BridgeCredentials, BridgeStablecoinRail
from propdesk.rails.port import RailRejectedError, RailWebhookRejectedError

from fakes.bridge import CUSTOMER_ID, WALLET_ID, FakeBridge
from fakes.rsa_signing import bridge_signature_header, new_key
from fakes.wise import FakeWise
from tests.contract.rails.conftest import Clock, Receiver, World, _bridge, _receiver_server, _wise


@pytest.fixture
def wise() -> Iterator[tuple[World, FakeWise]]:
    clock, receiver = Clock(), Receiver()
    server = _receiver_server(receiver)
    world, fakes = _wise(clock, receiver, f"{server.url}/hooks")
    fake = fakes[0]
    assert isinstance(fake, FakeWise)
    yield world, fake
    fake.stop()
    server.stop()


@pytest.fixture
def bridge() -> Iterator[tuple[World, FakeBridge]]:
    clock, receiver = Clock(), Receiver()
    server = _receiver_server(receiver)
    world, fakes = _bridge(clock, receiver, f"{server.url}/hooks")
    fake = fakes[0]
    assert isinstance(fake, FakeBridge)
    yield world, fake
    fake.stop()
    server.stop()


def test_wise_a_lost_funding_answer_is_resolved_from_the_transfers_state(
    wise: tuple[World, FakeWise],
) -> None:
    world, fake = wise
    before = fake.balance
    fake.lose_next_response(1, r"/v3/profiles/\d+/transfers/\d+/payments")

    payment = world.rail.pay(world.order("pay-1", "100.00"))
    again = world.rail.pay(world.order("pay-1", "100.00"))

    assert payment.status == again.status == "processing"
    assert len(fake.transfers) == 1
    assert before - fake.balance == Decimal("101.20")  # funded once: 100 + Wise's fee, paid by the firm


def test_wise_an_empty_balance_is_refused_and_the_same_transfer_is_funded_after_a_top_up(
    wise: tuple[World, FakeWise],
) -> None:
    world, fake = wise
    fake.balance = Decimal(50)

    with pytest.raises(RailRejectedError, match="insufficient"):
        world.rail.pay(world.order("pay-1", "100.00"))
    fake.balance = Decimal(1000)
    payment = world.rail.pay(world.order("pay-1", "100.00"))

    assert payment.status == "processing"
    assert len(fake.transfers) == 1


def test_wise_pays_the_trader_the_whole_amount(wise: tuple[World, FakeWise]) -> None:
    world, fake = wise

    payment = world.rail.pay(world.order("pay-1", "2400.00"))

    assert (payment.amount, payment.currency, payment.fee) == (Decimal("2400.00"), "EUR", Decimal(0))
    recipient = next(iter(fake.recipients.values()))
    assert recipient["type"] == "iban" and recipient["details"]["IBAN"] == "DE89370400440532013000"


def test_bridge_reports_the_gas_fee_taken_from_the_amount(bridge: tuple[World, FakeBridge]) -> None:
    world, fake = bridge
    fake.gas_fee = Decimal("0.50")

    payment = world.rail.pay(world.order("pay-1", "100.00"))

    assert payment.fee == Decimal("0.50")
    transfer = fake.transfers[payment.reference]
    assert transfer["destination"] == {
        "payment_rail": "tron", "currency": "usdt", "to_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    }  # fmt: skip


def test_bridge_finds_a_payment_beyond_the_first_page(bridge: tuple[World, FakeBridge]) -> None:
    world, _ = bridge
    world.rail.pay(world.order("pay-old"))
    for n in range(120):
        world.rail.pay(world.order(f"pay-{n}", "1.00"))

    found = world.rail.find("pay-old", world.clock.utc())

    assert found is not None and found.payout_id == "pay-old"


def test_bridge_refuses_a_delivery_signed_by_another_key(bridge: tuple[World, FakeBridge]) -> None:
    world, _ = bridge
    body = b'{"event_category":"transfer","event_object":{}}'
    forged = bridge_signature_header(new_key(), body, int(world.clock.now * 1000))

    with pytest.raises(RailWebhookRejectedError):
        world.rail.verify_webhook(body, {"X-Webhook-Signature": forged})


def test_bridge_answers_none_for_a_verified_event_about_something_else(
    bridge: tuple[World, FakeBridge],
) -> None:
    world, fake = bridge
    body = json.dumps({"event_id": "wh_1", "event_category": "customer", "event_object": {}}).encode()

    assert (
        world.rail.verify_webhook(body, {"x-webhook-signature": fake.signature(body, world.clock.now)})
        is None
    )


def test_bridge_refuses_a_malformed_signature_header(bridge: tuple[World, FakeBridge]) -> None:
    world, _ = bridge
    for header in ("v0=abc", "t=abc,v0=abc", f"t={int(world.clock.now * 1000)},v0=not*base64"):
        with pytest.raises(RailWebhookRejectedError):
            world.rail.verify_webhook(b"{}", {"X-Webhook-Signature": header})


def test_bridge_pays_wallets_only_in_their_token(bridge: tuple[World, FakeBridge]) -> None:
    world, fake = bridge
    rail = BridgeStablecoinRail(
        lambda: BridgeCredentials("sk-bridge-propdesk-fake", fake.public_key_pem),
        CUSTOMER_ID, WALLET_ID, lambda _: None, api_base=fake.url, clock=world.clock.utc,
    )  # fmt: skip
    order = world.order("pay-1")

    with pytest.raises(RailRejectedError):
        rail.pay(type(order)(order.payout_id, order.amount, "USDC", order.destination, order.created_at))
