"""cTrader beyond the shared contract: the trader's cTID link and password, cTrader's access rights, volumes
in cents, closes reported once per flat position, and the deal stream the connector runs (execution events
become deals and engine events named by the deal id; what happened while the socket was down is
backfilled)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.ctrader import CTraderPlatform
from propdesk.adapters.platforms.ctrader_session import SessionSettings
from propdesk.adapters.platforms.ctrader_stream import CTraderStream, PushedDeal
from propdesk.engine import parse_event
from propdesk.platforms.normalize import deals_to_events
from propdesk.platforms.port import AccountRef, NewAccount, PlatformRejectedError, TradingAccess

from fakes.ctrader import FakeCTrader
from fakes.market import ManualClock, Market
from tests.contract.platforms.harness_ctrader import ctrader_adapter
from tests.doubles.timing import FakeTime

FAST = SessionSettings(heartbeat_interval=0.1, heartbeat_timeout=1.0, request_timeout=3.0, poll=0.02)
SECOND = timedelta(seconds=1)
REQUEST = NewAccount(
    "propdesk:ord_7", "grace@example.com", "Grace", "Hopper", "USD", Decimal(50000), "2step-50k"
)


class World:
    def __init__(self) -> None:
        self.wall = ManualClock()
        self.time = FakeTime(1000.0)
        self.market = Market(now=self.wall.now)
        self.fake = FakeCTrader(
            self.market, heartbeat_interval=0.1, client_timeout=1.0, clock=self.time.monotonic
        )
        self.fake.start()
        self.platform: CTraderPlatform = ctrader_adapter(self.fake, self.time, self.wall, FAST)
        self.pushed: list[PushedDeal] = []
        self._stop = threading.Event()
        self._stream: threading.Thread | None = None

    def account(self, reference: str = REQUEST.reference) -> AccountRef:
        return self.platform.create_account(replace(REQUEST, reference=reference)).ref

    def stream(self, *accounts: AccountRef) -> None:
        stream = CTraderStream(self.platform, self.wall)
        deals = stream.deals(accounts, stop=self._stop)

        def run() -> None:
            for pushed in deals:
                self.pushed.append(pushed)

        self._stream = threading.Thread(target=run, daemon=True)
        self._stream.start()
        wanted = {self.platform.account_id(account) for account in accounts}
        assert eventually(lambda: wanted <= self.fake.authorized_accounts())

    def close(self) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.join(timeout=3)
        if "session" in self.platform.__dict__:
            self.platform.session.close()
        self.fake.stop()


@pytest.fixture()
def world() -> Iterator[World]:
    built = World()
    yield built
    built.close()


def eventually(condition: Callable[[], bool], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# ---- accounts ----


def test_an_opened_account_is_a_trader_linked_to_the_traders_ctid_with_the_password_given(
    world: World,
) -> None:
    created = world.platform.create_account(REQUEST)
    login = created.ref.login
    assert created.password and world.fake.password_matches(login, created.password)
    assert login in world.fake.ctid_of and REQUEST.email in world.fake.users
    entity = world.fake.market.accounts[login]
    assert (entity.reference, entity.group, entity.balance) == (
        REQUEST.reference,
        REQUEST.group,
        Decimal(50000),
    )
    assert created.ref.group == REQUEST.group


def test_a_trader_found_after_a_lost_answer_gets_a_new_password_that_works(world: World) -> None:
    world.fake.fail_after_next("POST", "/v2/webserv/traders", "drop")
    created = world.platform.create_account(REQUEST)
    assert len(world.market.by_reference(REQUEST.reference)) == 1
    assert created.password and world.fake.password_matches(created.ref.login, created.password)
    assert created.ref.login in world.fake.ctid_of


@pytest.mark.parametrize(
    ("access", "rights"),
    [
        (TradingAccess.READ_ONLY, "CLOSE_ONLY"),
        (TradingAccess.DISABLED, "NO_TRADING"),
        (TradingAccess.ENABLED, "FULL_ACCESS"),
    ],
)
def test_access_levels_are_ctraders_access_rights_and_a_repeat_sends_no_change(
    world: World, access: TradingAccess, rights: str
) -> None:
    account = world.account()
    world.platform.set_access(account, access)
    assert world.fake.traders[account.login].rights == rights
    patches = sum(1 for request in world.fake.requests if request.method == "PATCH")
    world.platform.set_access(account, access)
    assert sum(1 for request in world.fake.requests if request.method == "PATCH") == patches


def test_a_read_only_account_is_still_liquidated_a_disabled_one_is_not(world: World) -> None:
    account = world.account()
    world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    world.platform.set_access(account, TradingAccess.READ_ONLY)
    assert [deal.kind for deal in world.platform.close_all_positions(account)] == ["close"]
    world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
    world.platform.set_access(account, TradingAccess.DISABLED)
    with pytest.raises(PlatformRejectedError, match="TRADING_NOT_ALLOWED"):
        world.platform.close_all_positions(account)


# ---- volumes and closes ----


def test_an_index_named_the_brokers_way_is_read_canonically_in_lots(world: World) -> None:
    account = world.account()
    world.market.open_position(account.login, "US30", "buy", Decimal(2), Decimal("38000.0"))
    (position,) = world.platform.positions(account)
    assert (position.symbol, position.volume) == ("US30", Decimal(2))


def test_an_instrument_without_a_configured_contract_size_is_measured_by_the_brokers_lot_size(
    world: World,
) -> None:
    world.market.contract_sizes["COPPER"] = Decimal(25000)
    account = world.account()
    world.market.open_position(account.login, "COPPER", "sell", Decimal("0.4"), Decimal("4.1"))
    (position,) = world.platform.positions(account)
    assert (position.symbol, position.volume) == ("COPPER", Decimal("0.4"))


def test_a_partial_close_is_reported_once_the_position_is_flat_with_the_whole_profit(world: World) -> None:
    account = world.account()
    start = world.wall.now()
    world.stream(account)
    position = world.market.open_position(account.login, "EURUSD", "buy", Decimal(2), Decimal("1.10000"))
    world.fake.close_partially(account.login, position.position_id, Decimal(1), Decimal("1.10100"))
    final = world.market.close_position(account.login, position.position_id, Decimal("1.10300"))
    assert eventually(lambda: any(p.deal.kind == "close" for p in world.pushed))
    time.sleep(0.2)  # nothing more is coming
    kinds = [p.deal.kind for p in world.pushed]
    assert kinds == ["open", "close"]
    close = world.pushed[1].deal
    assert close.deal_id == final.deal_id and close.position_id == position.position_id
    assert (close.profit, close.volume, close.side) == (
        Decimal("100.00") + Decimal("300.00"),
        Decimal(2),
        "buy",
    )
    history = world.platform.deals(account, start, world.wall.now() + SECOND)
    assert [(d.kind, d.deal_id, d.profit) for d in history if d.kind == "close"] == [
        ("close", final.deal_id, Decimal("400.00"))
    ]


@pytest.mark.parametrize("reason", ["stop_out", "take_profit", "stop_loss", "manual"])
def test_a_close_says_why_it_happened(world: World, reason: str) -> None:
    account = world.account()
    world.stream(account)
    position = world.market.open_position(
        account.login,
        "EURUSD",
        "sell",
        Decimal(1),
        Decimal("1.10000"),
        Decimal("1.10500"),
        Decimal("1.09000"),
    )
    price = {"take_profit": "1.09000", "stop_loss": "1.10500"}.get(reason, "1.10200")
    world.market.close_position(account.login, position.position_id, Decimal(price), reason=reason)
    assert eventually(lambda: any(p.deal.kind == "close" for p in world.pushed))
    opening, closing = (p.deal for p in world.pushed)
    assert (opening.stop_loss, opening.take_profit) == (Decimal("1.105"), Decimal("1.09"))
    assert closing.reason == reason and closing.side == "sell"


# ---- the stream ----


def test_execution_events_become_deals_and_engine_events_named_by_the_deal_id(world: World) -> None:
    account = world.account()
    world.stream(account)
    position = world.market.open_position(account.login, "XAUUSD", "buy", Decimal("0.5"), Decimal("2000.00"))
    world.market.close_position(account.login, position.position_id, Decimal("2004.00"))
    assert eventually(lambda: len(world.pushed) == 2)
    deals = [p.deal for p in world.pushed]
    assert {p.account for p in world.pushed} == {account}
    market_ids = [d.deal_id for d in world.market.accounts[account.login].deals]
    assert [d.deal_id for d in deals] == market_ids
    events = deals_to_events("ctrader", deals)
    assert [e["event_id"] for e in events] == [f"ctrader:{deal_id}" for deal_id in market_ids]
    opened, closed = (parse_event(e) for e in events)
    assert opened.type == "position_opened" and closed.type == "position_closed"
    assert events[0]["symbol"] == "XAUUSD" and Decimal(events[0]["volume"]) == Decimal("0.5")
    assert Decimal(events[1]["profit"]) == Decimal("200.00")


def test_balance_operations_are_pushed_as_balance_deals(world: World) -> None:
    account = world.account()
    world.stream(account)
    operation = world.platform.adjust_balance(account, Decimal("-1200.00"), "payout:po_9", "payout po_9")
    assert eventually(lambda: len(world.pushed) == 1)
    deal = world.pushed[0].deal
    assert (deal.kind, deal.deal_id, deal.profit) == ("balance", f"balance:{operation}", Decimal("-1200.00"))


def test_deals_booked_while_the_socket_was_down_are_backfilled_after_the_reconnection(world: World) -> None:
    account = world.account()
    world.stream(account)
    world.fake.refuse_connections = True
    world.fake.drop_connections()
    assert eventually(lambda: not world.platform.session.connected)
    position = world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
    world.market.close_position(account.login, position.position_id, Decimal("1.10050"))
    time.sleep(0.2)
    assert world.pushed == []  # nobody to push to
    world.fake.refuse_connections = False
    assert eventually(lambda: [p.deal.kind for p in world.pushed] == ["open", "close"])
    assert world.platform.session.handshakes >= 2


def test_deal_history_is_read_page_by_page(world: World) -> None:
    world.fake.deal_page_size = 3
    account = world.account()
    start = world.wall.now()
    for _ in range(4):
        position = world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.1"))
        world.wall.advance(SECOND)
        world.market.close_position(account.login, position.position_id, Decimal("1.1001"))
        world.wall.advance(SECOND)
    deals = world.platform.deals(account, start, world.wall.now())
    assert [d.kind for d in deals] == ["open", "close"] * 4
    assert len({d.deal_id for d in deals}) == 8


def test_accounts_opened_and_closed_while_streaming_are_authorized_and_logged_out_on_the_live_session(
    world: World,
) -> None:
    first = world.account("propdesk:ord_1")
    wanted = [first]
    stream = CTraderStream(world.platform, world.wall, follow_every=0.05)
    stop = threading.Event()
    pushed: list[PushedDeal] = []

    def run() -> None:
        for deal in stream.deals(lambda: list(wanted), stop=stop):
            pushed.append(deal)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        first_id = world.platform.account_id(first)
        assert eventually(lambda: first_id in world.fake.authorized_accounts())
        second = world.account("propdesk:ord_2")
        early = world.market.open_position(second.login, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
        wanted.append(second)  # a challenge bought after the stream started

        second_id = world.platform.account_id(second)
        assert eventually(lambda: second_id in world.fake.authorized_accounts())
        assert eventually(lambda: [p.deal.position_id for p in pushed] == [early.position_id])  # read back
        world.market.close_position(second.login, early.position_id, Decimal("1.10050"))
        assert eventually(lambda: [p.deal.kind for p in pushed] == ["open", "close"])  # its execution events

        wanted.remove(first)  # the first account closes
        assert eventually(lambda: first_id not in world.fake.authorized_accounts())
        world.market.open_position(first.login, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
        time.sleep(0.3)
        assert len(pushed) == 2 and {p.account for p in pushed} == {second}
        assert world.platform.session.handshakes == 1  # the session was never reopened for it
        assert (stream.subscribed, stream.unsubscribed) == (1, 1)
    finally:
        stop.set()
        thread.join(timeout=3)
