"""Every number and time entering the engine is bounded (issue 14: a poison reading must be refused, not raise
in the middle of a rule and fail every later recalculation)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from propdesk.engine import Evaluator, EventError, ProgramError, parse_event

from tests.unit.engine.engine_helpers import (
    closed,
    daily_loss,
    equity,
    max_loss,
    opened,
    program,
    run,
)

T = "2026-03-02T10:00:00+01:00"
OPEN: dict[str, Any] = {
    "time": T,
    "type": "position_opened",
    "position_id": "p1",
    "symbol": "EURUSD",
    "side": "buy",
    "volume": "1",
}


def refused_field(data: dict[str, Any]) -> str:
    with pytest.raises(EventError) as caught:
        parse_event(data)
    return caught.value.field


@pytest.mark.parametrize("reading", ["1E+100", "-1E+40", "1E+30", "1000000000000", "-1000000000000"])
def test_an_absurd_equity_reading_is_refused_naming_the_field(reading: str) -> None:
    assert refused_field({"time": T, "type": "equity", "equity": reading}) == "equity"


def test_money_has_at_most_eight_decimal_places() -> None:
    assert refused_field({"time": T, "type": "equity", "equity": "99750.123456789"}) == "equity"
    assert parse_event({"time": T, "type": "equity", "equity": "999999999999.99999999"})
    assert parse_event({"time": T, "type": "equity", "equity": "99750.120000000"})  # trailing zeros: 2 places


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume": "1000000"}, "volume"),
        ({"volume": "0.000000001"}, "volume"),
        ({"volume": "1E+7"}, "volume"),
        ({"stop_loss": "1E+12"}, "stop_loss"),
        ({"stop_loss": "-1.1"}, "stop_loss"),
        ({"take_profit": "0"}, "take_profit"),
        ({"take_profit": "1.123456789"}, "take_profit"),
        ({"time": "1969-12-31T23:59:59+00:00"}, "time"),
        ({"time": "2200-01-01T00:00:00+00:00"}, "time"),
        ({"time": "9999-12-31T23:59:59-05:00"}, "time"),
        ({"time": "0001-01-01T00:00:00+05:00"}, "time"),
    ],
)
def test_volumes_prices_and_times_out_of_bounds_are_refused(change: dict[str, Any], field: str) -> None:
    assert refused_field({**OPEN, **change}) == field


def test_a_profit_out_of_bounds_is_refused() -> None:
    data = {"time": T, "type": "position_closed", "position_id": "p1", "profit": "-1E+40"}
    assert refused_field(data) == "profit"


def test_the_largest_values_within_the_bounds_are_accepted_and_printable() -> None:
    prog = program(daily_loss(), max_loss("trailing_intraday"))
    evaluation = run(
        prog,
        [
            equity(T, "999999999999.99999999"),
            equity("2026-03-02T11:00:00+01:00", "-999999999999.99999999"),
        ],
    )
    assert evaluation.status == "failed"
    assert evaluation.to_dict()["metrics"]["equity"] == "-999999999999.99999999"


def test_a_close_that_would_take_the_balance_out_of_bounds_is_refused_before_any_change() -> None:
    prog = program(daily_loss())
    evaluator = Evaluator(prog)
    state = evaluator.start(opened(T, "p1").time)
    evaluator.apply(state, opened(T, "p1"))
    evaluator.apply(state, opened(T, "p2"))
    evaluator.apply(state, closed("2026-03-02T10:01:00+01:00", "p1", "999999899999"))
    before = state.to_dict()

    with pytest.raises(EventError) as caught:
        evaluator.apply(state, closed("2026-03-02T10:02:00+01:00", "p2", "1"))

    assert caught.value.field == "profit"
    assert state.to_dict() == before


def test_the_start_and_the_clock_are_held_to_the_engines_calendar() -> None:
    from datetime import datetime

    evaluator = Evaluator(program(daily_loss()))
    with pytest.raises(EventError) as caught:
        evaluator.start(datetime.fromisoformat("9999-12-31T00:00:00+00:00"))
    assert caught.value.field == "time"
    state = evaluator.start(datetime.fromisoformat(T))
    with pytest.raises(EventError):
        evaluator.advance_to(state, datetime.fromisoformat("2300-01-01T00:00:00+00:00"))


# ------------------------------------------------------------------------------------------------ programs


def program_error(**changes: Any) -> str:
    data: dict[str, Any] = {
        "initial_balance": "100000",
        "rules": [{"type": "daily_loss", "basis": "balance_at_reset", "amount": {"percent_of_initial": "5"}}],
    }
    data |= changes
    with pytest.raises(ProgramError) as caught:
        from propdesk.engine import Program

        Program.from_dict(data)
    return caught.value.field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"initial_balance": "1E+100"}, "initial_balance"),
        ({"initial_balance": "100000.123456789"}, "initial_balance"),
        ({"timezone": "America"}, "timezone"),
        ({"timezone": "zone.tab"}, "timezone"),
        ({"news": [{"time": "9999-01-01T00:00:00+00:00", "symbols": ["EURUSD"]}]}, "news[0].time"),
        ({"news": [{"time": T, "symbols": []}]}, "news[0].symbols"),
        (
            {"rules": [{"type": "daily_loss", "basis": "balance_at_reset", "amount": {"fixed": "1E+20"}}]},
            "rules[0].amount.fixed",
        ),
        (
            {
                "rules": [
                    {"type": "daily_loss", "basis": "balance_at_reset", "amount": {"percent_of_base": "-5"}}
                ]
            },
            "rules[0].amount.percent_of_base",
        ),
        (
            {
                "rules": [
                    {
                        "type": "daily_loss",
                        "basis": "balance_at_reset",
                        "amount": {"percent_of_initial": "0.000000001"},
                    }
                ]
            },
            "rules[0].amount.percent_of_initial",
        ),
        ({"rules": [{"type": "time_limit", "days": "1E+9"}]}, "rules[0].days"),
        (
            {"rules": [{"type": "news_blackout", "minutes_before": 10**7, "minutes_after": 2}]},
            "rules[0].minutes_before",
        ),
        ({"rules": [{"type": "min_hold_time", "seconds": 10**12}]}, "rules[0].seconds"),
        ({"rules": [{"type": "max_position_volume", "volume": "1E+6"}]}, "rules[0].volume"),
        (
            {"rules": [{"type": "consistency", "max_best_day_percent": "0.000000001"}]},
            "rules[0].max_best_day_percent",
        ),
        ({"rules": [{"type": "flat_by", "time": "22:00", "weekdays": []}]}, "rules[0].weekdays"),
        ({"rules": [{"type": "flat_by", "time": "22:00", "timezone": "Europe"}]}, "rules[0].timezone"),
        ({"rules": [{"type": "allowed_symbols", "symbols": []}]}, "rules[0].symbols"),
        (
            {
                "rules": [
                    {
                        "type": "max_loss",
                        "mode": "trailing_eod",
                        "amount": {"fixed": "2000"},
                        "lock_at_initial_plus": "-100",
                    }
                ]
            },
            "rules[0].lock_at_initial_plus",
        ),
    ],
)
def test_program_values_out_of_bounds_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    assert program_error(**changes) == field


# ------------------------------------------------------------------------------------------- derived figures


def test_a_tiny_allowance_of_a_tiny_base_gives_a_huge_used_share_without_raising() -> None:
    prog = program(daily_loss("equity_at_reset", "flag", percent_of_base="0.00000001"), initial="0.00000001")
    evaluator = Evaluator(prog, warn_at=Decimal("0.5"))
    state = evaluator.start(opened(T, "p1").time)

    outcome = evaluator.apply(state, equity("2026-03-03T10:00:00+01:00", "-999999999999"))

    (usage,) = evaluator.usage(state)
    assert usage.allowance == Decimal("1E-18")
    assert usage.used_share > Decimal("1E+29")
    assert [breach.rule for breach in outcome.breaches] == ["daily_loss"]
    assert evaluator.result(state).to_dict()["status"] == "active"


def test_consistency_figures_of_a_tiny_percent_are_whole_cents() -> None:
    prog = program(
        {"type": "consistency", "max_best_day_percent": "0.00000001"},
        {"type": "profit_target", "amount": {"fixed": "1"}},
        initial="0.00000001",
    )
    evaluator = Evaluator(prog)
    state = evaluator.start(opened(T, "p1").time)
    evaluator.apply(state, opened(T, "p1"))
    evaluator.apply(state, closed("2026-03-02T10:01:00+01:00", "p1", "999999999998"))

    check = evaluator.consistency_check(state)
    assert check is not None  # best x 100 / 1E-8 - total, in whole cents
    assert check.profit_needed == Decimal("9999999998980000000002.00")
