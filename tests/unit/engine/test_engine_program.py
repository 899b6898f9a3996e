from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from propdesk.engine import Program, ProgramError

from tests.unit.engine.engine_helpers import daily_loss, max_loss, program, target

ISSUE_PROGRAM: dict[str, Any] = {
    "name": "2-step phase 1",
    "currency": "USD",
    "initial_balance": "100000",
    "timezone": "Europe/Prague",
    "day_starts_at": "00:00",
    "rules": [
        {
            "type": "daily_loss",
            "basis": "balance_at_reset",
            "amount": {"percent_of_initial": "5"},
            "effect": "fail",
        },
        {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
        {"type": "profit_target", "amount": {"percent_of_initial": "10"}},
        {"type": "min_trading_days", "days": 4},
    ],
}


def error_field(data: dict[str, Any]) -> str:
    with pytest.raises(ProgramError) as caught:
        Program.from_dict(data)
    return caught.value.field


def test_the_issue_program_is_valid_and_keeps_its_figures() -> None:
    prog = Program.from_dict(ISSUE_PROGRAM)
    assert prog.initial_balance == Decimal("100000")
    assert prog.timezone == "Europe/Prague"
    assert [rule.type for rule in prog.rules] == [
        "daily_loss",
        "max_loss",
        "profit_target",
        "min_trading_days",
    ]


def test_extra_keys_are_allowed_and_kept() -> None:
    prog = Program.from_dict({**ISSUE_PROGRAM, "marketing_name": "Challenge", "version": 3})
    assert prog.to_dict()["marketing_name"] == "Challenge"


def test_programs_are_immutable() -> None:
    prog = Program.from_dict(ISSUE_PROGRAM)
    with pytest.raises(AttributeError):
        prog.initial_balance = Decimal(1)  # type: ignore[misc]


def test_an_unknown_rule_type_is_an_error_naming_the_rule() -> None:
    data = {**ISSUE_PROGRAM, "rules": [*ISSUE_PROGRAM["rules"], {"type": "moon_phase"}]}
    assert error_field(data) == "rules[4].type"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"initial_balance": "-5"}, "initial_balance"),
        ({"initial_balance": 100000.5}, "initial_balance"),
        ({"initial_balance": None}, "initial_balance"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"day_starts_at": "25:00"}, "day_starts_at"),
        ({"day_starts_at": "5pm"}, "day_starts_at"),
        ({"rules": "daily_loss"}, "rules"),
    ],
)
def test_invalid_top_level_fields_are_named(change: dict[str, Any], field: str) -> None:
    assert error_field({**ISSUE_PROGRAM, **change}) == field


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({**daily_loss(), "basis": "yesterday"}, "rules[0].basis"),
        ({**daily_loss(), "effect": "explode"}, "rules[0].effect"),
        ({**daily_loss(), "amount": {}}, "rules[0].amount"),
        ({**daily_loss(), "amount": {"fixed": "10", "percent_of_initial": "5"}}, "rules[0].amount"),
        ({**daily_loss(), "amount": {"percent_of_initial": "abc"}}, "rules[0].amount.percent_of_initial"),
        ({**daily_loss(), "amount": {"percent_of_initial": "150"}}, "rules[0].amount.percent_of_initial"),
        ({**max_loss(), "mode": "sometimes"}, "rules[0].mode"),
        (max_loss(percent_of_base="5"), "rules[0].amount.percent_of_base"),
        ({"type": "min_trading_days", "days": "four"}, "rules[0].days"),
        ({"type": "min_trading_days", "days": 2.5}, "rules[0].days"),
        ({"type": "consistency", "max_best_day_percent": "140"}, "rules[0].max_best_day_percent"),
        ({"type": "flat_by", "time": "16:00", "weekdays": ["friday"]}, "rules[0].weekdays"),
        ({"type": "news_blackout", "minutes_before": 2}, "rules[0].minutes_after"),
        ({"type": "allowed_symbols", "symbols": "EURUSD"}, "rules[0].symbols"),
    ],
)
def test_invalid_rule_fields_are_named_with_their_path(rule: dict[str, Any], field: str) -> None:
    assert error_field({**ISSUE_PROGRAM, "rules": [rule]}) == field


def test_a_program_may_have_only_one_profit_target() -> None:
    assert error_field({**ISSUE_PROGRAM, "rules": [target(), target()]}) == "rules[1].type"


def test_defaults_zone_utc_midnight_and_usd() -> None:
    prog = Program.from_dict({"initial_balance": "5000", "rules": []})
    assert (prog.timezone, prog.day_starts_at.isoformat(), prog.currency) == ("UTC", "00:00:00", "USD")


def test_news_calendar_entries_are_validated() -> None:
    bad = {**ISSUE_PROGRAM, "news": [{"time": "2026-03-06T14:30:00", "symbols": ["EURUSD"]}]}
    assert error_field(bad) == "news[0].time"


def test_helpers_build_valid_programs() -> None:
    assert len(program(daily_loss(), max_loss(), target()).rules) == 3
