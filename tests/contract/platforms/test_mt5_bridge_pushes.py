"""What the MT5 bridge pushes, as propdesk's receiving end reads it: deals and equity readings signed over the
raw body become engine events named by the deal ticket; a tampered body, an old delivery replayed, another
bridge's push and an account this bridge does not serve are refused; a push the receiver did not take is
delivered again with the same id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.mt5_pushes import (
    BridgePushReader,
    DealPushed,
    EquityPushed,
    Push,
    PushRefusedError,
)
from propdesk.platforms import signing
from propdesk.platforms.port import AccountRef, NewAccount
from propdesk.platforms.symbols import default_mapping

from fakes.market import ManualClock, Market
from fakes.mt5_bridge import PUSH_SECRET, FakeMt5Bridge
from fakes.server import FakeService, Reply, Request
from tests.contract.platforms.harness_mt5_bridge import mt5_bridge_adapter
from tests.doubles.timing import FakeTime

REQUEST = NewAccount(
    "propdesk:ord_8", "ada@example.com", "Ada", "Lovelace", "USD", Decimal(100000), "challenge-100k"
)


class Receiver(FakeService):
    """propdesk's end: reads each push with the reader (200 taken, 401 refused); can fail on purpose."""

    def __init__(self, reader: BridgePushReader) -> None:
        super().__init__()
        self.reader = reader
        self.taken: list[Push] = []
        self.refused: list[str] = []
        self.fail_first = 0
        self.route("POST", "/pushes", self._push)

    def _push(self, request: Request) -> Reply:
        if self.fail_first > 0:
            self.fail_first -= 1
            return Reply(500, {"error": "not now"})
        try:
            push = self.reader.read(
                request.header("x-propdesk-signature"), request.body, request.header("x-bridge-id")
            )
        except PushRefusedError as error:
            self.refused.append(error.reason)
            return Reply(401, {"error": error.reason})
        self.taken.append(push)
        return Reply(200, {})

    def deals(self) -> list[DealPushed]:
        return [push for push in self.taken if isinstance(push, DealPushed)]


class World:
    def __init__(self) -> None:
        self.time, self.wall = FakeTime(1000.0), ManualClock()
        self.market = Market(now=self.wall.now)
        self.fake = FakeMt5Bridge(self.market, clock=self.time.monotonic)
        self.fake.start()
        self.platform = mt5_bridge_adapter(self.fake, self.time, self.wall)
        self.served: dict[str, AccountRef] = {}
        self.reader = BridgePushReader(
            self.fake.bridge_id,
            lambda: [PUSH_SECRET],
            self.wall.now,
            self.served.get,
            default_mapping("mt5"),
        )
        self.receiver = Receiver(self.reader)
        self.receiver.start()
        self.fake.webhook_url = self.receiver.url + "/pushes"

    def account(self) -> AccountRef:
        ref = self.platform.create_account(REQUEST).ref
        self.served[ref.login] = ref
        assert self.fake.wait_for_pushes()
        self.receiver.taken.clear()
        return ref

    def signed(self, body: bytes, at_offset: timedelta = timedelta(0)) -> str:
        return signing.sign(PUSH_SECRET, body, int((self.wall.now() + at_offset).timestamp()))

    def close(self) -> None:
        self.fake.stop()
        self.receiver.stop()


@pytest.fixture()
def world() -> Iterator[World]:
    built = World()
    yield built
    built.close()


def test_deal_pushes_become_engine_events_named_by_the_deal_ticket(world: World) -> None:
    account = world.account()
    position = world.market.open_position(
        account.login, "EURUSD", "buy", Decimal(2), Decimal("1.10000"), Decimal("1.09")
    )
    world.market.close_position(account.login, position.position_id, Decimal("1.10150"), reason="stop_out")
    assert world.fake.wait_for_pushes()
    deals = world.receiver.deals()
    tickets = [d.deal_id for d in world.market.accounts[account.login].deals if d.kind != "balance"]
    assert [push.deal.deal_id for push in deals if push.deal] == tickets
    events = [event for push in deals for event in push.events()]
    assert [e["event_id"] for e in events] == [f"mt5:{ticket}" for ticket in tickets]
    assert [e["type"] for e in events] == ["position_opened", "position_closed"]
    assert events[0]["symbol"] == "EURUSD" and Decimal(events[0]["stop_loss"]) == Decimal("1.09")
    assert Decimal(events[1]["profit"]) == Decimal("300.00") and events[1]["reason"] == "stop_out"
    assert {push.account for push in deals} == {account}


def test_equity_pushes_become_equity_events(world: World) -> None:
    account = world.account()
    world.market.open_position(account.login, "XAUUSD", "sell", Decimal("0.5"), Decimal("2000.00"))
    world.market.set_price("XAUUSD", Decimal("1990.00"))
    world.fake.push_equity(account.login)
    assert world.fake.wait_for_pushes()
    readings = [push for push in world.receiver.taken if isinstance(push, EquityPushed)]
    latest = readings[-1]
    assert (latest.figures.balance, latest.figures.equity, latest.figures.currency) == (
        Decimal("100000.00"),
        Decimal("100500.00"),
        "USD",
    )
    (event,) = latest.events()
    assert event["type"] == "equity" and event["event_id"].startswith(f"mt5:equity:{account.login}:")


def test_a_tampered_push_is_refused(world: World) -> None:
    account = world.account()
    world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    assert world.fake.wait_for_pushes()
    body = world.fake.deliveries[-2].body  # the deal
    header = world.signed(body)
    assert isinstance(world.reader.read(header, body), DealPushed)
    tampered = body.replace(b'"volume":"1"', b'"volume":"9"')
    assert tampered != body
    with pytest.raises(PushRefusedError) as refused:
        world.reader.read(header, tampered)
    assert refused.value.reason == "digest_mismatch"
    with pytest.raises(PushRefusedError):
        world.reader.read(signing.sign("a-guess", body, int(world.wall.now().timestamp())), body)


def test_an_old_delivery_replayed_is_refused_and_a_recent_repeat_reads_the_same(world: World) -> None:
    account = world.account()
    position = world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    world.market.close_position(account.login, position.position_id, Decimal("1.1010"))
    assert world.fake.wait_for_pushes()
    body = next(d.body for d in world.fake.deliveries if b'"entry":"out"' in d.body)
    header = world.signed(body)
    first, again = world.reader.read(header, body), world.reader.read(header, body)
    assert first == again and isinstance(first, DealPushed)
    assert first.events() == again.events()  # the same event id: stored once
    world.wall.advance(timedelta(minutes=5, seconds=1))
    with pytest.raises(PushRefusedError) as refused:
        world.reader.read(header, body)
    assert refused.value.reason == "timestamp_outside_tolerance"


def test_a_push_for_an_account_this_bridge_does_not_serve_is_refused_even_signed(world: World) -> None:
    account = world.account()
    del world.served[account.login]
    world.fake.max_attempts = 2  # a refusal is answered 401: the bridge tries again, then gives up
    world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    assert world.fake.wait_for_pushes()
    assert world.receiver.taken == [] and set(world.receiver.refused) == {"foreign_account"}


def test_a_push_naming_another_bridge_is_refused_even_signed(world: World) -> None:
    account = world.account()
    world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    assert world.fake.wait_for_pushes()
    body = world.fake.deliveries[-2].body.replace(b'"bridge":"mt5-demo-1"', b'"bridge":"mt5-live-9"')
    with pytest.raises(PushRefusedError) as refused:
        world.reader.read(world.signed(body), body)
    assert refused.value.reason == "foreign_bridge"
    original = world.fake.deliveries[-2].body
    with pytest.raises(PushRefusedError):
        world.reader.read(world.signed(original), original, bridge_header="mt5-live-9")


def test_a_push_the_receiver_did_not_take_is_delivered_again_with_the_same_id(world: World) -> None:
    account = world.account()
    world.receiver.fail_first = 2
    world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    assert world.fake.wait_for_pushes()
    delivery = world.fake.deliveries[-2]
    assert delivery.statuses == [500, 500, 200] and delivery.delivered
    (push,) = world.receiver.deals()
    assert push.push_id == delivery.push_id
