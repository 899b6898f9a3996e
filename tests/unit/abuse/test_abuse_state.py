"""The detectors' keyed state: items expire in event time, operations are counted, nothing is shared by
reference, the position book, and every detector's state stays bounded over a long stream."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from functools import cache

from propdesk.abuse.book import PositionBook
from propdesk.abuse.copy_trading import CopyTradingDetector
from propdesk.abuse.detector import Detector
from propdesk.abuse.feeds import StaticCalendar
from propdesk.abuse.hedging import HedgingDetector
from propdesk.abuse.identity import SharedIdentityDetector
from propdesk.abuse.latency import LatencyArbitrageDetector
from propdesk.abuse.martingale import MartingaleGridDetector
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.news_straddling import NewsStraddlingDetector
from propdesk.abuse.scalping import ScalpingDetector
from propdesk.abuse.state import MemoryState
from propdesk.engine.events import EquityUpdate, PositionClosed, PositionOpened

from benchmarks.abuse_population import Population, generate
from tests.unit.abuse.desk import DAY, FlatFeed, at


def test_an_item_reads_as_absent_once_expired_and_is_dropped_as_time_passes() -> None:
    state = MemoryState()
    state.put("k", {"n": 1}, at(60))

    assert state.get("k", at(59)) == {"n": 1}
    assert state.get("k", at(60)) is None
    state.advance(at(2 * 3600))
    assert len(state) == 0
    assert (state.reads, state.writes) == (2, 1)


def test_in_copy_mode_a_change_without_a_put_is_lost() -> None:
    state = MemoryState(copy_values=True)
    state.put("k", {"n": 1}, at(600))
    item = state.get("k", at(0))
    assert item is not None
    item["n"] = 2

    assert state.get("k", at(1)) == {"n": 1}


def test_the_book_turns_a_closing_into_the_position_it_closes() -> None:
    book = PositionBook(MemoryState(copy_values=True))
    opened = PositionOpened(at(0), "p1", "EURUSD", "buy", Decimal("1.5"), event_id="mt:1")
    book.context(opened, "a1", "t1", Decimal("1.08500"))
    second = book.context(PositionOpened(at(5), "p2", "EURUSD", "sell", Decimal(1)), "a1", "t1")

    closing = book.context(PositionClosed(at(90), "p1", Decimal(12)), "a1", "t1", Decimal("1.08520"))

    assert [position.position_id for position in second.open_positions] == ["p1"]
    assert closing.opened is not None
    assert (closing.opened.volume, closing.opened.price, closing.opened.opened_at) == (
        Decimal("1.5"), Decimal("1.08500"), at(0),
    )  # fmt: skip
    assert [position.position_id for position in closing.open_positions] == ["p2"]
    assert closing.price == Decimal("1.08520")


def test_the_monitor_builds_each_context_once_and_equity_ticks_cost_nothing() -> None:
    state = MemoryState()
    monitor = AbuseMonitor(PositionBook(state), [ScalpingDetector(state)])

    monitor.observe(EquityUpdate(at(0), Decimal(100000)), "a1", "t1")
    assert state.operations == 0
    monitor.observe(PositionOpened(at(1), "p1", "EURUSD", "buy", Decimal(1)), "a1", "t1")
    monitor.observe(PositionClosed(at(20), "p1", Decimal(3)), "a1", "t1")

    assert monitor.last is not None and monitor.last.context.opened is not None
    assert state.operations == 6  # the book: read and write twice; scalping: read and write the closing


@cache
def population() -> Population:
    return generate(seed=3, scale=0.05)


def detectors(state_for: dict[str, MemoryState], people: Population) -> list[Detector]:
    return [
        CopyTradingDetector(state_for["copy_trading"]),
        HedgingDetector(state_for["hedging"]),
        SharedIdentityDetector(state_for["shared_identity"]),
        ScalpingDetector(state_for["scalping"]),
        LatencyArbitrageDetector(state_for["latency_arbitrage"], people.feed),
        MartingaleGridDetector(state_for["martingale_grid"]),
        NewsStraddlingDetector(state_for["news_straddling"], people.calendar),
    ]


def run(copy_values: bool) -> set[tuple[str, tuple[str, ...]]]:
    people = population()
    names = ("copy_trading", "hedging", "shared_identity", "scalping", "latency_arbitrage", "martingale_grid",
             "news_straddling")  # fmt: skip
    monitor = AbuseMonitor(
        PositionBook(MemoryState(copy_values=copy_values)),
        detectors({name: MemoryState(copy_values=copy_values) for name in names}, people),
    )
    found = set()
    for record in people.records:
        for flag in monitor.observe(record.event, record.account_id, record.trader_id, record.price):
            found.add((flag.flag_id, flag.accounts))
    return found


def test_detectors_change_their_state_only_by_put() -> None:
    shared = run(copy_values=False)

    assert shared
    assert run(copy_values=True) == shared


def test_every_detectors_state_stays_bounded_and_empties_once_the_trading_stops() -> None:
    rng = random.Random(9)
    names = ("copy_trading", "hedging", "scalping", "latency_arbitrage", "martingale_grid", "news_straddling")
    states = {name: MemoryState() for name in names}
    feed = FlatFeed({"EURUSD": ("1.08500", "1.08510")})
    calendar = StaticCalendar([])
    book = PositionBook(MemoryState())
    watched: list[Detector] = [
        CopyTradingDetector(states["copy_trading"]),
        HedgingDetector(states["hedging"]),
        ScalpingDetector(states["scalping"]),
        LatencyArbitrageDetector(states["latency_arbitrage"], feed),
        MartingaleGridDetector(states["martingale_grid"]),
        NewsStraddlingDetector(states["news_straddling"], calendar),
    ]
    sizes: dict[str, list[int]] = {name: [] for name in names}
    serial = 0
    for day in range(45):
        moments = sorted(day * DAY + rng.uniform(0, 36000) for _ in range(200))
        for moment in moments:
            serial += 1
            account = f"a{rng.randrange(40)}"
            opened = PositionOpened(
                at(moment), f"p{serial}", "EURUSD", rng.choice(("buy", "sell")), Decimal(1)
            )
            closed = PositionClosed(
                at(moment + rng.uniform(5, 600)), f"p{serial}", Decimal(rng.randint(-50, 50))
            )
            for event in (opened, closed):
                context = book.context(event, account, "t" + account[1:], Decimal("1.08505"))
                for detector in watched:
                    detector.observe(event, context)
        for name, state in states.items():
            sizes[name].append(len(state))

    accounts, pairs = 40, 40 * 39 // 2
    bounds = {
        "copy_trading": pairs + accounts + 2 * 40 + 2 * 2,  # pairs, per account, opening and rate buckets
        "hedging": accounts + pairs,
        "scalping": accounts,
        "latency_arbitrage": accounts,
        "martingale_grid": accounts,
        "news_straddling": 0,
    }
    for name, counts in sizes.items():
        assert max(counts) <= bounds[name], name
        assert states[name].largest_item_bytes() < 50_000, name
    for state in states.values():
        state.advance(at(45 * DAY) + timedelta(days=40))
        assert len(state) == 0
