"""Copy trading: the same symbol and side, within seconds, at similar sizes, across traders, repeatedly and
more often than chance; rings come out whole."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from propdesk.abuse.copy_trading import CopyTradingDetector, CopyTradingSettings
from propdesk.abuse.inputs import Context
from propdesk.abuse.state import MemoryState
from propdesk.engine.events import PositionOpened

from tests.unit.abuse.desk import DAY, Desk, at

HOUR = 3600.0


def detector(**settings: object) -> CopyTradingDetector:
    return CopyTradingDetector(MemoryState(copy_values=True), CopyTradingSettings(**settings))  # type: ignore[arg-type]


def test_two_traders_buying_eurusd_three_seconds_apart_once_is_not_a_ring_ten_times_in_a_week_is() -> None:
    desk = Desk(detector())
    desk.open("a1", "t1", 0)
    desk.open("a2", "t2", 3)
    assert desk.flags == []

    for number in range(1, 10):
        moment = (number // 2) * DAY + (number % 2) * 4 * HOUR
        desk.open("a1", "t1", moment)
        desk.open("a2", "t2", moment + 3)

    assert desk.flagged() == {"a1", "a2"}
    first = desk.flags[0]
    assert first.flag_id == "copy_trading:a1+a2"
    assert first.evidence.figure("a1+a2").startswith("repeats 5, score 5.00, share 1.00, first in 5: a1")


def test_the_evidence_shows_the_trades_side_by_side_with_the_thresholds_and_the_formula() -> None:
    desk = Desk(detector())
    for number in range(5):
        desk.open("a1", "t1", number * DAY, symbol="XAUUSD", side="sell", volume="2", price="2900.5")
        desk.open("a2", "t2", number * DAY + 4, symbol="XAUUSD", side="sell", volume="2.1", price="2900.1")

    flag = desk.last("copy_trading")
    first_row = flag.evidence.trades[0]
    assert [(trade.account_id, trade.symbol, trade.side, str(trade.volume)) for trade in first_row] == [
        ("a1", "XAUUSD", "sell", "2"),
        ("a2", "XAUUSD", "sell", "2.1"),
    ]
    assert (first_row[1].opened_at - first_row[0].opened_at).total_seconds() == 4
    assert dict(flag.evidence.thresholds)["min_repeats"] == "5"
    assert "1 / max(1, λ)" in flag.evidence.formula
    assert flag.traders == ("t1", "t2")
    json.dumps(flag.to_dict())


def test_sizes_too_different_or_too_far_apart_do_not_match() -> None:
    desk = Desk(detector())
    for number in range(10):
        desk.open("a1", "t1", number * DAY)
        desk.open("a2", "t2", number * DAY + 5, volume="2")
        desk.open("a3", "t3", number * DAY + 40)

    assert desk.flags == []


def test_the_same_traders_two_accounts_trading_alike_are_not_copy_trading() -> None:
    desk = Desk(detector())
    for number in range(10):
        desk.open("a1", "t1", number * DAY)
        desk.open("a2", "t1", number * DAY + 2)

    assert desk.flags == []


def test_sixty_traders_buying_eurusd_at_the_london_open_every_day_are_no_ring() -> None:
    rng = random.Random(3)
    desk = Desk(detector())
    for day in range(5):
        crowd = [(f"c{number}", rng.uniform(0, 60)) for number in range(60)]
        crowd += [("a1", 10.0), ("a2", 13.0)]  # two of them 3 s apart every day
        for account, offset in sorted(crowd, key=lambda item: item[1]):
            desk.open(account, "t" + account, day * DAY + offset)

    assert desk.flags == []


def test_two_busy_traders_who_meet_now_and_then_are_no_ring() -> None:
    rng = random.Random(8)
    desk = Desk(detector())
    openings = [
        (day * DAY + rng.uniform(0, 10 * HOUR), account)
        for day in range(10)
        for account in ("a1", "a2")
        for _ in range(60)
    ]
    for moment, account in sorted(openings):
        desk.open(account, "t" + account, moment, side=rng.choice(("buy", "sell")))

    assert desk.flags == []


def test_a_signal_provider_and_four_copiers_come_out_as_one_ring() -> None:
    rng = random.Random(1)
    desk = Desk(detector())
    copiers = ["c1", "c2", "c3", "c4"]
    for signal in range(8):
        moment = signal * 5 * HOUR + rng.uniform(0, HOUR)
        symbol, side = rng.choice(("EURUSD", "GBPUSD")), rng.choice(("buy", "sell"))
        desk.open("lead", "t0", moment, symbol=symbol, side=side)
        for number, copier in enumerate(copiers):
            desk.open(copier, f"t{number + 1}", moment + rng.uniform(1.5, 6), symbol=symbol, side=side)

    ring = desk.last("copy_trading")
    assert set(ring.accounts) == {"lead", *copiers}
    assert len(ring.traders) == 5
    assert ring.severity == "high"
    assert ring.evidence.figure(min("c1+lead", "c1+lead")).endswith(": lead")
    assert len({flag.flag_id for flag in desk.flags}) == 1  # one ring, one flag, updated as it grew


def test_two_rings_found_to_be_one_keep_the_larger_rings_id() -> None:
    desk = Desk(detector())
    for number in range(5):
        desk.open("a1", "t1", number * DAY)
        desk.open("a2", "t2", number * DAY + 2)
        desk.open("a3", "t3", number * DAY + 3)
        desk.open("b1", "u1", number * DAY + 4 * HOUR)
        desk.open("b2", "u2", number * DAY + 4 * HOUR + 2)
    for number in range(5, 10):
        desk.open("a1", "t1", number * DAY + 8 * HOUR)
        desk.open("b1", "u1", number * DAY + 8 * HOUR + 3)

    merged = desk.last("copy_trading")
    assert merged.flag_id == "copy_trading:a1+a2"
    assert set(merged.accounts) == {"a1", "a2", "a3", "b1", "b2"}
    assert merged.supersedes == ("b1+b2",)


def test_a_copier_at_twice_the_size_is_found_by_the_deep_pass_in_the_streams_ring() -> None:
    desk = Desk(detector())
    for number in range(6):
        desk.open("lead", "t0", number * DAY, volume="1")
        desk.open("same", "t1", number * DAY + 2, volume="1")
        desk.open("double", "t2", number * DAY + 4, volume="2")
        desk.close("lead", "t0", f"lead-p{3 * number + 1}", number * DAY + HOUR)
        desk.close("double", "t2", f"double-p{3 * number + 3}", number * DAY + HOUR + 5)
    streamed = desk.last("copy_trading")
    assert set(streamed.accounts) == {"lead", "same"}

    (deep,) = desk.deep()

    assert deep.found_by == "deep"
    assert deep.flag_id == streamed.flag_id
    assert set(deep.accounts) == {"lead", "same", "double"}
    assert "closed together 6" in deep.evidence.figure("double+lead")


def test_the_state_stays_bounded_over_a_long_busy_stream() -> None:
    rng = random.Random(5)
    state = MemoryState()
    copy = CopyTradingDetector(state, CopyTradingSettings(memory_days=7))
    sizes = []
    for day in range(30):
        for moment in sorted(day * DAY + rng.uniform(0, 12 * HOUR) for _ in range(300)):
            account = f"a{rng.randrange(100)}"
            event = PositionOpened(
                at(moment), f"p{moment}", "EURUSD", rng.choice(("buy", "sell")), Decimal(1)
            )
            copy.observe(event, Context(account, "t" + account))
        sizes.append(len(state))

    assert max(sizes) < 1500
    assert max(sizes[15:]) <= max(sizes[:15]) * 1.2  # no growth once the memory is full
    assert state.largest_item_bytes() < 20_000
