"""The connector's push channels against the fakes, one contract for both: DXtrade's push WebSocket and
Match-Trader's event stream (`connector/streams.py`), each with its real adapter reading the history.

- a deal the platform books reaches the stream as the adapter's deal (the same id a poll reads);
- a connection dropped while deals are booked is opened again (after a jittered backoff) and the gap is
  backfilled from the account's history, each deal once;
- a platform that falls silent (no heartbeats) is taken for dead and reconnected;
- DXtrade's `PingRequest` is answered (the fake drops a silent client: the connection stays up);
- an account opened while the stream runs is subscribed on the live connection (no reconnect) and read from
  the stream's start; one closed is unsubscribed, read one last time, and heard no more.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.ctrader_stream import PushedDeal
from propdesk.platforms.port import AccountRef, NewAccount, TradingPlatform

from connector.streams import DXtradePush, MatchTraderStream, NotifiedStream, StreamProtocol, Watched
from fakes.dxtrade import FakeDXtrade
from fakes.market import ManualClock, Market
from fakes.match_trader import FakeMatchTrader
from fakes.push_socket import PushSocket
from tests.contract.platforms.harness_dxtrade import dxtrade_for
from tests.contract.platforms.harness_match_trader import match_trader_for
from tests.doubles.timing import FakeTime

HEARTBEAT = 0.2  # the fakes' heartbeat interval (seconds)
SILENCE = 1.0  # the stream's heartbeat timeout


@dataclass
class Streamed:
    name: str
    platform: TradingPlatform
    protocol: StreamProtocol
    market: Market
    socket: PushSocket
    wall: ManualClock
    group: str


@contextmanager
def dxtrade(client_timeout: float = 3.0) -> Iterator[Streamed]:
    time_, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now, first_login=900001)
    fake = FakeDXtrade(
        clock=time_.monotonic, market=market, heartbeat_interval=HEARTBEAT, client_timeout=client_timeout
    )
    fake.start()
    try:
        platform = dxtrade_for(fake, time_, wall)
        session = platform.session
        protocol = DXtradePush(
            fake.push_url,
            lambda: session.headers()["Authorization"].removeprefix("DXAPI "),
            session.invalidate,
            heartbeat_timeout=SILENCE,
        )
        yield Streamed("dxtrade", platform, protocol, market, fake.push, wall, "challenge-100k")
    finally:
        fake.stop()


@contextmanager
def match_trader() -> Iterator[Streamed]:
    time_, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now)
    fake = FakeMatchTrader(clock=time_.monotonic, market=market, heartbeat_interval=HEARTBEAT)
    fake.start()
    try:
        platform = match_trader_for(fake, time_, wall)
        protocol = MatchTraderStream(fake.stream_url, lambda: fake.token, heartbeat_timeout=SILENCE)
        yield Streamed("match-trader", platform, protocol, market, fake.stream, wall, "challenge-100k")
    finally:
        fake.stop()


STREAMS: dict[str, Callable[[], AbstractContextManager[Streamed]]] = {
    "dxtrade": dxtrade,
    "match-trader": match_trader,
}


@pytest.fixture(params=sorted(STREAMS))
def streamed(request: pytest.FixtureRequest) -> Iterator[Streamed]:
    with STREAMS[request.param]() as built:
        yield built


class Running:
    """The stream in a thread of its own, its deals in a queue."""

    def __init__(self, streamed: Streamed, accounts: Watched, follow_every: float = 5.0) -> None:
        self.stream = NotifiedStream(
            streamed.platform,
            streamed.protocol,
            streamed.wall,
            time.sleep,
            rng=random.Random(1),
            base_backoff=0.05,
            max_backoff=0.2,
            follow_every=follow_every,
        )
        self.stop = threading.Event()
        self.deals: queue.Queue[PushedDeal] = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(accounts,), daemon=True)
        self.thread.start()

    def _run(self, accounts: Watched) -> None:
        for pushed in self.stream.deals(accounts, None, self.stop):
            self.deals.put(pushed)

    def take(self, count: int, timeout: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout
        taken: list[str] = []
        while len(taken) < count:
            taken.append(self.deals.get(timeout=max(deadline - time.monotonic(), 0.01)).deal.deal_id)
        return taken

    def nothing_more(self, wait: float = 0.5) -> bool:
        time.sleep(wait)
        return self.deals.empty()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


@contextmanager
def running(streamed: Streamed) -> Iterator[tuple[Running, AccountRef]]:
    opened = streamed.platform.create_account(
        NewAccount("ref-1", "trader@example.com", "Ada", "Lovelace", "USD", Decimal(100000), streamed.group)
    )
    run = Running(streamed, [opened.ref])
    try:
        until(lambda: streamed.socket.open_connections == 1)
        time.sleep(0.1)  # the subscription is read
        yield run, opened.ref
    finally:
        run.close()


def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def book_of(streamed: Streamed, account: AccountRef, reference: str = "ref-1") -> str:
    found = next(a for a in streamed.market.accounts.values() if a.reference == reference)
    return found.account_id


def open_account(streamed: Streamed, reference: str) -> AccountRef:
    opened = streamed.platform.create_account(
        NewAccount(reference, "trader@example.com", "Ada", "Lovelace", "USD", Decimal(100000), streamed.group)
    )
    return opened.ref


def test_a_booked_deal_reaches_the_stream_as_the_adapters_deal(streamed: Streamed) -> None:
    with running(streamed) as (run, account):
        book = book_of(streamed, account)
        position = streamed.market.open_position(book, "EURUSD", "buy", Decimal(1))
        opened = run.take(1)
        streamed.wall.advance(timedelta(minutes=1))
        streamed.market.close_position(book, position.position_id)
        closed = run.take(1)
        now = streamed.wall.current
        read = [
            d.deal_id
            for d in streamed.platform.deals(account, now - timedelta(days=1), now + timedelta(seconds=1))
        ]
        assert sorted(opened + closed) == sorted(read)
        assert run.nothing_more()


def test_a_dropped_connection_reconnects_and_backfills_the_gap_once(streamed: Streamed) -> None:
    with running(streamed) as (run, account):
        book = book_of(streamed, account)
        streamed.socket.refuse_connections = True
        streamed.socket.drop_connections()
        first = streamed.market.open_position(book, "EURUSD", "buy", Decimal(1))
        second = streamed.market.open_position(book, "GBPUSD", "sell", Decimal(2))
        assert run.nothing_more(0.3), "nothing is heard while the connection is down"
        streamed.socket.refuse_connections = False
        gap = run.take(2)
        assert len(set(gap)) == 2
        assert all(p.position_id in " ".join(gap) for p in (first, second))
        assert run.stream.report.reconnects >= 1 and run.stream.report.backfills >= 1
        assert run.nothing_more()


def test_a_silent_platform_is_taken_for_dead_and_reconnected(streamed: Streamed) -> None:
    with running(streamed) as (run, account):
        streamed.socket.stop_heartbeats = True
        until(lambda: run.stream.report.heartbeats_missed >= 1, timeout=5)
        streamed.socket.stop_heartbeats = False
        until(lambda: streamed.socket.connections_opened >= 2 and streamed.socket.open_connections == 1)
        time.sleep(0.1)
        book = book_of(streamed, account)
        streamed.market.open_position(book, "EURUSD", "buy", Decimal(1))
        assert len(run.take(1)) == 1


def test_dxtrades_ping_requests_are_answered() -> None:
    with dxtrade(client_timeout=0.8) as streamed, running(streamed):
        time.sleep(2.0)  # the fake drops a client silent for 0.8 s; pings come every 0.2 s
        assert streamed.socket.connections_opened == 1
        assert streamed.socket.open_connections == 1


def test_accounts_opened_and_closed_while_streaming_are_followed_on_the_live_connection(
    streamed: Streamed,
) -> None:
    first = open_account(streamed, "ref-1")
    wanted = [first]
    run = Running(streamed, lambda: list(wanted), follow_every=0.05)
    try:
        until(lambda: streamed.socket.open_connections == 1)
        time.sleep(0.1)
        second = open_account(streamed, "ref-2")
        second_book = book_of(streamed, second, "ref-2")
        early = streamed.market.open_position(
            second_book, "EURUSD", "buy", Decimal(1)
        )  # before it is watched
        wanted.append(second)  # a challenge bought after the stream started

        assert early.position_id in run.take(1)[0]  # read from the stream's start once subscribed
        until(lambda: streamed.protocol.key(second) in streamed.socket.subscribed())
        later = streamed.market.open_position(second_book, "GBPUSD", "sell", Decimal(2))
        assert later.position_id in run.take(1)[0]  # heard through the live subscription

        wanted.remove(first)  # the first account closes
        until(lambda: streamed.protocol.key(first) not in streamed.socket.subscribed())
        until(lambda: run.stream.report.unsubscribed == 1)  # its last read is done
        streamed.market.open_position(book_of(streamed, first), "EURUSD", "buy", Decimal(1))
        assert run.nothing_more()
        assert streamed.socket.connections_opened == 1  # never reconnected for it
        assert (run.stream.report.subscribed, run.stream.report.unsubscribed) == (1, 1)
    finally:
        run.close()
