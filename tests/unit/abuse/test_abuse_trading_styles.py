"""One account's trading style: scalping, latency arbitrage, martingale and grid, news straddling."""

from __future__ import annotations

from decimal import Decimal

from propdesk.abuse.feeds import StaticCalendar
from propdesk.abuse.latency import LatencyArbitrageDetector
from propdesk.abuse.martingale import MartingaleGridDetector
from propdesk.abuse.news_straddling import NewsStraddlingDetector
from propdesk.abuse.scalping import ScalpingDetector, ScalpingSettings, wilson_lower
from propdesk.abuse.state import MemoryState
from propdesk.engine.news import NewsRelease

from tests.unit.abuse.desk import DAY, Desk, FlatFeed, at

HOUR = 3600.0


# -- scalping --


def trades(desk: Desk, count: int, short: int, profit: str = "10", start: float = 0) -> None:
    for number in range(count):
        moment = start + number * 600
        position = desk.open("a1", "t1", moment)
        held = 20 if number < short else 300
        desk.close("a1", "t1", position, moment + held, profit=profit)


def test_fifteen_of_twenty_trades_held_under_a_minute_is_scalping() -> None:
    desk = Desk(ScalpingDetector(MemoryState(copy_values=True)))
    trades(desk, 19, 15)
    assert desk.flags == []

    trades(desk, 1, 0, start=19 * 600)

    flag = desk.last("scalping")
    assert flag.flag_id == "scalping:a1"
    assert flag.evidence.figure("short_trades") == "15"
    assert flag.evidence.figure("short_share") == "0.75"
    assert flag.severity == "medium"  # the short trades made 150 of a net 200
    assert len(flag.evidence.trades) == 5  # the last short trades, with their hold times
    assert flag.evidence.trades[0][0].note == "held 20 s"


def test_eleven_quick_stop_outs_in_twenty_trades_are_within_chance_unless_the_rule_applies_literally() -> (
    None
):
    cautious = Desk(ScalpingDetector(MemoryState(copy_values=True)))
    literal = Desk(ScalpingDetector(MemoryState(copy_values=True), ScalpingSettings(confidence_z=Decimal(0))))
    for desk in (cautious, literal):
        trades(desk, 20, 11, profit="-5")

    assert cautious.flags == []
    assert literal.flagged() == {"a1"}
    assert round(wilson_lower(11, 20, 1.64), 2) == 0.37


def test_a_scalper_whose_short_trades_make_the_profit_is_high_and_is_reported_once_a_day() -> None:
    desk = Desk(ScalpingDetector(MemoryState(copy_values=True)))
    trades(desk, 40, 36)

    assert len(desk.flags) == 1
    assert desk.flags[0].severity == "high"
    trades(desk, 5, 5, start=DAY)
    assert len(desk.flags) == 2
    assert {flag.flag_id for flag in desk.flags} == {"scalping:a1"}  # the next day updates the same flag


# -- latency arbitrage --


def latency(feed: FlatFeed) -> Desk:
    return Desk(LatencyArbitrageDetector(MemoryState(copy_values=True), feed))


def test_fills_better_than_the_reference_by_more_than_the_spread_again_and_again_are_latency_arbitrage() -> (
    None
):
    desk = latency(FlatFeed({"EURUSD": ("1.08500", "1.08510")}))
    for number in range(5):
        position = desk.open("a1", "t1", number * 600, side="buy", price="1.08490")
        desk.close("a1", "t1", position, number * 600 + 120, price="1.08505")

    flag = desk.last("latency_arbitrage")
    assert flag.evidence.figure("stale_fills") == "5"
    assert flag.evidence.figure("fills") == "9"
    note = flag.evidence.trades[-1][0].note
    assert note == "open fill 1.08490 vs reference bid 1.08500 / ask 1.08510"


def test_a_closing_fill_is_judged_on_the_other_side() -> None:
    desk = latency(FlatFeed({"EURUSD": ("1.08500", "1.08510")}))
    for number in range(5):
        position = desk.open("a1", "t1", number * 600, side="buy", price="1.08510")
        desk.close("a1", "t1", position, number * 600 + 120, price="1.08530")  # sold 3 pips above the bid

    assert desk.last("latency_arbitrage").evidence.figure("stale_fills") == "5"


def test_an_honest_trader_with_a_stale_looking_fill_in_a_spike_now_and_then_is_not_flagged() -> None:
    desk = latency(FlatFeed({"EURUSD": ("1.08500", "1.08510")}))
    for number in range(60):
        price = "1.08480" if number % 12 == 0 else "1.08512"
        position = desk.open("a1", "t1", number * 600, side="buy", price=price)
        desk.close("a1", "t1", position, number * 600 + 300, price="1.08499")

    assert desk.flags == []


# -- martingale and grid --


def ladder(desk: Desk, start: float, volumes: list[str], prices: list[str], side: str = "buy") -> None:
    positions = [
        desk.open("a1", "t1", start + step * 600, side=side, volume=volume, price=price)
        for step, (volume, price) in enumerate(zip(volumes, prices, strict=True))
    ]
    for position in positions:
        desk.close("a1", "t1", position, start + 3 * HOUR)


def test_doubling_into_a_losing_buy_twice_in_two_ladders_is_martingale() -> None:
    desk = Desk(MartingaleGridDetector(MemoryState(copy_values=True)))
    ladder(desk, 0, ["0.1", "0.2", "0.4"], ["1.0850", "1.0840", "1.0830"])
    assert desk.flags == []

    ladder(desk, DAY, ["0.1", "0.2", "0.4", "0.8"], ["1.0900", "1.0890", "1.0880", "1.0870"])

    flag = desk.last("martingale_grid")
    assert flag.evidence.figure("ladder a1-p1") == "martingale: 2 adds underwater, sizes 0.1 -> 0.2 -> 0.4"
    assert [str(leg.volume) for leg in flag.evidence.trades[1]] == ["0.1", "0.2", "0.4"]


def test_five_same_size_adds_to_a_losing_sell_twice_is_a_grid() -> None:
    desk = Desk(MartingaleGridDetector(MemoryState(copy_values=True)))
    rising = ["1.0850", "1.0855", "1.0860", "1.0865", "1.0870", "1.0875"]
    ladder(desk, 0, ["0.5"] * 6, rising, side="sell")
    ladder(desk, DAY, ["0.5"] * 6, rising, side="sell")

    assert desk.last("martingale_grid").evidence.figure("ladder a1-p7").startswith("grid: 4 adds")


def test_one_ladder_of_six_adds_breaks_the_firms_rule_on_its_own() -> None:
    desk = Desk(MartingaleGridDetector(MemoryState(copy_values=True)))
    falling = ["1.0850", "1.0845", "1.0840", "1.0835", "1.0830", "1.0825", "1.0820"]
    shrinking = ["1", "0.8", "0.6", "0.5", "0.4", "0.3", "0.2"]  # neither doubling nor a grid's even sizes
    ladder(desk, 0, shrinking[:6], falling[:6])  # five positions added to a losing trade: allowed
    assert desk.flags == []

    ladder(desk, DAY, shrinking, falling)

    flag = desk.last("martingale_grid")
    assert flag.severity == "high"
    assert flag.evidence.figure("ladder a1-p7") == (
        "adds: 6 adds underwater, sizes 1 -> 0.8 -> 0.6 -> 0.5 -> 0.4 -> 0.3 -> 0.2"
    )


def test_two_ladders_running_at_once_on_one_symbol_are_each_seen() -> None:
    desk = Desk(MartingaleGridDetector(MemoryState(copy_values=True)))
    first = ["1.0900", "1.0890", "1.0880"]
    second = ["1.0895", "1.0885", "1.0875"]
    for day in range(2):
        moments = [day * DAY + step * 600 for step in range(6)]
        legs = sorted(
            [
                (moments[2 * n], v, p)
                for n, (v, p) in enumerate(zip(["0.1", "0.2", "0.4"], first, strict=True))
            ]
            + [
                (moments[2 * n + 1], v, p)
                for n, (v, p) in enumerate(zip(["1", "2", "4"], second, strict=True))
            ]
        )
        for moment, volume, price in legs:
            desk.open("a1", "t1", moment, volume=volume, price=price)

    assert desk.flagged() == {"a1"}


def test_averaging_down_at_the_same_size_or_adding_to_a_winner_is_not_martingale() -> None:
    desk = Desk(MartingaleGridDetector(MemoryState(copy_values=True)))
    for day in range(5):
        ladder(desk, day * DAY, ["1", "1", "1"], ["1.0850", "1.0840", "1.0830"])  # two same-size adds
        ladder(desk, day * DAY + 4 * HOUR, ["1", "2", "4"], ["1.0850", "1.0860", "1.0870"])  # into a winner

    assert desk.flags == []


# -- news straddling --

NFP = NewsRelease(at(2 * HOUR), frozenset({"EURUSD", "XAUUSD"}), "US non-farm payrolls")
CPI = NewsRelease(at(DAY + 2 * HOUR), frozenset({"EURUSD"}), "US CPI")


def news() -> Desk:
    return Desk(NewsStraddlingDetector(MemoryState(copy_values=True), StaticCalendar([NFP, CPI])))


def test_a_buy_stop_and_a_sell_stop_minutes_before_two_releases_are_news_straddling() -> None:
    desk = news()
    desk.order("a1", "t1", 2 * HOUR - 120, "EURUSD", "buy")
    desk.order("a1", "t1", 2 * HOUR - 110, "EURUSD", "sell")
    assert desk.flags == []

    desk.order("a1", "t1", DAY + 2 * HOUR - 200, "EURUSD", "buy")
    (flag,) = desk.order("a1", "t1", DAY + 2 * HOUR - 190, "EURUSD", "sell")

    assert flag.flag_id == "news_straddling:a1"
    assert [figure for _, figure in flag.evidence.inputs] == [
        "US non-farm payrolls: EURUSD buy and sell",
        "US CPI: EURUSD buy and sell",
    ]
    assert flag.evidence.trades[0][0].note == "buy stop order placed -120 s from the release"


def test_opposite_positions_both_open_across_the_release_are_a_straddle() -> None:
    desk = news()
    for release in (NFP, CPI):
        moment = (release.time - at(0)).total_seconds()
        desk.open("a1", "t1", moment - 90, side="buy")
        desk.open("a1", "t1", moment - 80, side="sell")

    assert desk.flagged() == {"a1"}


def test_one_sided_news_trades_flips_and_entries_outside_the_window_are_no_straddle() -> None:
    desk = news()
    for release in (NFP, CPI):
        moment = (release.time - at(0)).total_seconds()
        desk.order("a1", "t1", moment - 60, "EURUSD", "buy")  # one side only
        first = desk.open("a2", "t2", moment - 600, side="buy")  # a flip: closed, then reversed
        desk.close("a2", "t2", first, moment + 30)
        desk.open("a2", "t2", moment + 40, side="sell")
        desk.order("a3", "t3", moment - 3 * HOUR, "EURUSD", "buy")  # hours before
        desk.order("a3", "t3", moment - 3 * HOUR + 5, "EURUSD", "sell")
        desk.order("a4", "t4", moment - 60, "GBPUSD", "buy")  # a symbol the release does not target
        desk.order("a4", "t4", moment - 50, "GBPUSD", "sell")

    assert desk.flags == []
