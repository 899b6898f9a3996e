"""Position-level controls: size, counts, symbols, stop loss, hold time, news windows, per-trade loss."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from propdesk.engine import TradingEvent

from tests.unit.engine.engine_helpers import closed, opened, program, run

T = "2026-03-06T{}+00:00"  # Friday, UTC


def breaches_of(rule: dict[str, Any], events: list[TradingEvent], **extra: Any) -> list[tuple[str, str]]:
    result = run(program(rule, zone="UTC", **extra), events)
    return [(breach.rule, breach.effect) for breach in result.breaches]


def test_max_position_volume_rejects_a_position_above_the_limit() -> None:
    rule = {"type": "max_position_volume", "volume": "5"}
    assert breaches_of(rule, [opened(T.format("10:00:00"), "p1", volume="5")]) == []
    assert breaches_of(rule, [opened(T.format("10:00:00"), "p1", volume="5.01")]) == [
        ("max_position_volume", "fail")
    ]


def test_max_total_volume_counts_every_open_position() -> None:
    rule = {"type": "max_total_volume", "volume": "10"}
    events = [opened(T.format("10:00:00"), "p1", volume="6"), opened(T.format("10:01:00"), "p2", volume="4")]
    assert breaches_of(rule, events) == []
    assert breaches_of(rule, [*events, opened(T.format("10:02:00"), "p3", volume="1")]) == [
        ("max_total_volume", "fail")
    ]
    closing_first = [
        *events,
        closed(T.format("10:02:00"), "p1", "0"),
        opened(T.format("10:03:00"), "p3", volume="6"),
    ]
    assert breaches_of(rule, closing_first) == []


def test_max_open_positions() -> None:
    rule = {"type": "max_open_positions", "count": 2, "effect": "flag"}
    events = [opened(T.format(f"10:0{n}:00"), f"p{n}") for n in range(3)]
    result = run(program(rule, zone="UTC"), events)
    assert [(b.rule, b.effect, b.value) for b in result.breaches] == [
        ("max_open_positions", "flag", Decimal(3))
    ]
    assert result.status == "active"  # a flag is recorded only


def test_max_trades_per_day_resets_at_the_day_boundary() -> None:
    rule = {"type": "max_trades_per_day", "count": 2, "effect": "pause"}
    day_one = [
        opened(T.format("10:00:00"), "a"),
        closed(T.format("10:01:00"), "a", "1"),
        opened(T.format("10:02:00"), "b"),
        closed(T.format("10:03:00"), "b", "1"),
    ]
    next_day = [opened("2026-03-07T10:00:00+00:00", "c")]
    assert breaches_of(rule, day_one + next_day) == []
    assert breaches_of(rule, [*day_one, opened(T.format("10:04:00"), "c")]) == [
        ("max_trades_per_day", "pause")
    ]


def test_allowed_and_forbidden_symbols() -> None:
    allowed = {"type": "allowed_symbols", "symbols": ["EURUSD", "XAUUSD"]}
    forbidden = {"type": "forbidden_symbols", "symbols": ["BTCUSD"]}
    assert breaches_of(allowed, [opened(T.format("10:00:00"), "p1", symbol="XAUUSD")]) == []
    assert breaches_of(allowed, [opened(T.format("10:00:00"), "p1", symbol="BTCUSD")]) == [
        ("allowed_symbols", "fail")
    ]
    assert breaches_of(forbidden, [opened(T.format("10:00:00"), "p1", symbol="EURUSD")]) == []
    assert breaches_of(forbidden, [opened(T.format("10:00:00"), "p1", symbol="BTCUSD")]) == [
        ("forbidden_symbols", "fail")
    ]


def test_stop_loss_required_reads_the_optional_stop_loss_of_an_opening() -> None:
    rule = {"type": "stop_loss_required", "effect": "flag"}
    assert breaches_of(rule, [opened(T.format("10:00:00"), "p1", stop_loss="1.0800")]) == []
    assert breaches_of(rule, [opened(T.format("10:00:00"), "p1")]) == [("stop_loss_required", "flag")]


def test_min_hold_time_flags_positions_closed_too_soon() -> None:
    rule = {"type": "min_hold_time", "seconds": 60, "effect": "flag"}
    held_59 = [opened(T.format("10:00:00"), "p1"), closed(T.format("10:00:59"), "p1", "10")]
    held_60 = [opened(T.format("10:00:00"), "p1"), closed(T.format("10:01:00"), "p1", "10")]
    assert breaches_of(rule, held_59) == [("min_hold_time", "flag")]
    assert breaches_of(rule, held_60) == []


def test_max_trade_loss_breaches_when_one_trade_loses_more_than_allowed() -> None:
    rule = {"type": "max_trade_loss", "amount": {"percent_of_initial": "1"}}
    assert (
        breaches_of(rule, [opened(T.format("10:00:00"), "p1"), closed(T.format("11:00:00"), "p1", "-1000")])
        == []
    )
    result = run(
        program(rule, zone="UTC"),
        [opened(T.format("10:00:00"), "p1"), closed(T.format("11:00:00"), "p1", "-1000.01")],
    )
    (breach,) = result.breaches
    assert (breach.limit, breach.value, result.status) == (Decimal("-1000.00"), Decimal("-1000.01"), "failed")


def test_weekend_holding_is_checked_at_the_friday_cutoff_without_an_event() -> None:
    rule = {"type": "flat_by", "time": "16:59", "weekdays": ["fri"], "timezone": "America/New_York"}
    prog = program(rule, zone="UTC")
    held = run(prog, [opened("2026-03-06T15:00:00-05:00", "p1")], until="2026-03-09T10:00:00-04:00")
    (breach,) = held.breaches
    assert (breach.rule, breach.event_type) == ("flat_by", "deadline")
    assert breach.time.isoformat() == "2026-03-06T21:59:00+00:00"
    flat = run(
        prog,
        [opened("2026-03-06T15:00:00-05:00", "p1"), closed("2026-03-06T16:58:00-05:00", "p1", "5")],
        until="2026-03-09T10:00:00-04:00",
    )
    assert flat.breaches == ()


NEWS = [{"time": "2026-03-06T13:30:00+00:00", "symbols": ["EURUSD", "US30"], "title": "US NFP"}]


def ftmo_news(effect: str = "fail") -> dict[str, Any]:
    return {"type": "news_blackout", "minutes_before": 2, "minutes_after": 2, "effect": effect}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # opening 1 minute before the release: violation
        ([opened(T.format("13:29:00"), "p1")], [("news_blackout", "fail")]),
        # a stop-loss fill 2 minutes after (edge of the window) counts as a close inside it
        (
            [
                opened(T.format("10:00:00"), "p1"),
                closed(T.format("13:32:00"), "p1", "-50", reason="stop_loss"),
            ],
            [("news_blackout", "fail")],
        ),
        # holding a position opened earlier through the release is allowed
        ([opened(T.format("10:00:00"), "p1"), closed(T.format("13:33:00"), "p1", "50")], []),
        # another symbol is not targeted
        ([opened(T.format("13:30:00"), "p1", symbol="XAUUSD")], []),
    ],
)
def test_ftmo_news_window_of_2_minutes_is_a_violation(
    events: list[TradingEvent], expected: list[Any]
) -> None:
    assert breaches_of(ftmo_news(), events, news=NEWS) == expected


def other_firm_news() -> dict[str, Any]:
    return {"type": "news_blackout", "minutes_before": 5, "minutes_after": 5, "effect": "exclude_profit"}


def test_news_profit_is_excluded_for_a_trade_opened_2_min_before_and_closed_3_min_after() -> None:
    rules = [other_firm_news(), {"type": "profit_target", "amount": {"fixed": "100"}}]
    events = [opened(T.format("13:28:00"), "p1"), closed(T.format("13:33:00"), "p1", "400")]
    result = run(program(*rules, zone="UTC", news=NEWS), events)
    assert result.status == "active"  # the 400 does not count toward the 100 target
    assert (result.metrics.profit, result.metrics.excluded_profit) == (Decimal("0"), Decimal("400"))
    assert result.metrics.balance == Decimal("100400")
    assert [(b.rule, b.effect, b.value) for b in result.breaches] == [
        ("news_blackout", "exclude_profit", Decimal("400"))
    ]


def test_news_profit_counts_for_a_trade_opened_3h_before_whose_take_profit_fills_inside() -> None:
    rules = [other_firm_news(), {"type": "profit_target", "amount": {"fixed": "100"}}]
    events = [
        opened(T.format("10:30:00"), "p1"),
        closed(T.format("13:31:00"), "p1", "400", reason="take_profit"),
    ]
    result = run(program(*rules, zone="UTC", news=NEWS), events)
    assert result.status == "passed"
    assert result.metrics.excluded_profit == 0


def test_news_losses_are_never_excluded() -> None:
    events = [opened(T.format("13:28:00"), "p1"), closed(T.format("13:33:00"), "p1", "-400")]
    result = run(program(other_firm_news(), zone="UTC", news=NEWS), events)
    assert result.metrics.profit == Decimal("-400") and result.breaches == ()
