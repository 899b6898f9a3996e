"""Rules crossed at the same instant are all recorded, in program order, whatever kind of rule they are
(issue 14): a breach is never dropped because another one, recorded first, failed the account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from propdesk.engine import Evaluator

from tests.unit.engine.engine_helpers import (
    closed,
    daily_loss,
    end,
    equity,
    max_loss,
    opened,
    program,
    run,
)

MONDAY = "2026-03-02T{}+01:00"  # Prague, winter time
FLAT_AT_MIDNIGHT = {"type": "flat_by", "time": "00:00", "weekdays": ["tue"]}
MAX_TRADE_LOSS: dict[str, Any] = {"type": "max_trade_loss", "amount": {"percent_of_initial": "1"}}


def rules_of(evaluation: Any) -> list[tuple[str, str, str]]:
    return [(b.rule, b.time.isoformat(), b.trigger) for b in evaluation.breaches]


def test_a_position_rule_and_a_loss_limit_crossed_by_one_close_are_both_recorded_in_program_order() -> None:
    prog = program(daily_loss(), MAX_TRADE_LOSS)
    events = [opened(MONDAY.format("10:00:00"), "p1"), closed(MONDAY.format("11:00:00"), "p1", "-6000")]

    result = run(prog, events)

    assert [b.rule for b in result.breaches] == ["daily_loss", "max_trade_loss"]
    assert result.status == "failed"


def test_program_order_holds_whichever_kind_comes_first() -> None:
    prog = program(MAX_TRADE_LOSS, max_loss(fixed="5000"), daily_loss())
    events = [opened(MONDAY.format("10:00:00"), "p1"), closed(MONDAY.format("11:00:00"), "p1", "-6000")]

    assert [b.rule for b in run(prog, events).breaches] == ["max_trade_loss", "max_loss", "daily_loss"]


def test_daily_and_max_loss_both_breach_at_the_reset_instant() -> None:
    prog = program(daily_loss(), max_loss("trailing_eod", fixed="4000"))
    events = [
        opened(MONDAY.format("10:00:00"), "p1"),
        closed(MONDAY.format("11:00:00"), "p1", "3000"),  # balance 103,000: Monday's daily floor stays 95,000
        opened(MONDAY.format("12:00:00"), "p2"),
        equity(MONDAY.format("23:00:00"), "97500"),  # above 95,000 and above the max-loss floor of 96,000
        end("2026-03-03T00:30:00+01:00"),
    ]

    result = run(prog, events)

    # Tuesday's reset: daily floor 103,000 - 5,000 = 98,000, max floor 103,000 - 4,000 = 99,000: both above.
    assert rules_of(result) == [
        ("daily_loss", "2026-03-03T00:00:00+01:00", "day_boundary"),
        ("max_loss", "2026-03-03T00:00:00+01:00", "day_boundary"),
    ]


def test_a_scheduled_rule_due_at_the_boundary_is_recorded_after_a_loss_limit_failed_the_account() -> None:
    prog = program(daily_loss(), FLAT_AT_MIDNIGHT)
    events = [
        opened(MONDAY.format("10:00:00"), "p1"),
        closed(MONDAY.format("11:00:00"), "p1", "3000"),
        opened(MONDAY.format("12:00:00"), "p2"),
        equity(MONDAY.format("23:00:00"), "97500"),  # Tuesday's floor is 98,000: breached at the reset
        end("2026-03-03T00:30:00+01:00"),
    ]

    result = run(prog, events)

    assert rules_of(result) == [
        ("daily_loss", "2026-03-03T00:00:00+01:00", "day_boundary"),
        ("flat_by", "2026-03-03T00:00:00+01:00", "deadline"),
    ]
    assert result.status == "failed"


def test_at_a_boundary_program_order_puts_a_scheduled_rule_before_a_later_loss_limit() -> None:
    prog = program(FLAT_AT_MIDNIGHT, daily_loss())
    events = [
        opened(MONDAY.format("10:00:00"), "p1"),
        closed(MONDAY.format("11:00:00"), "p1", "3000"),
        opened(MONDAY.format("12:00:00"), "p2"),
        equity(MONDAY.format("23:00:00"), "97500"),
        end("2026-03-03T00:30:00+01:00"),
    ]

    assert [b.rule for b in run(prog, events).breaches] == ["flat_by", "daily_loss"]


def test_two_scheduled_rules_due_at_the_same_instant_are_both_recorded() -> None:
    prog = program({"type": "time_limit", "days": 1}, {"type": "inactivity", "days": 1})
    result = run(prog, [opened(MONDAY.format("10:00:00"), "p1")], until="2026-03-04T00:00:00+01:00")
    assert rules_of(result) == [
        ("time_limit", "2026-03-03T10:00:00+01:00", "deadline"),
        ("inactivity", "2026-03-03T10:00:00+01:00", "deadline"),
    ]


def test_an_event_at_the_instant_a_boundary_failed_the_account_is_still_judged() -> None:
    prog = program(daily_loss(), {"type": "forbidden_symbols", "symbols": ["BTCUSD"]})
    events = [
        opened(MONDAY.format("10:00:00"), "p1"),
        closed(MONDAY.format("11:00:00"), "p1", "3000"),
        opened(MONDAY.format("12:00:00"), "p2"),
        equity(MONDAY.format("23:00:00"), "97500"),
        opened("2026-03-03T00:00:00+01:00", "p3", symbol="BTCUSD"),  # stamped at the reset instant
        opened("2026-03-03T00:00:01+01:00", "p4", symbol="BTCUSD"),  # after it: the account is failed
    ]

    result = run(prog, events)

    assert rules_of(result) == [
        ("daily_loss", "2026-03-03T00:00:00+01:00", "day_boundary"),
        ("forbidden_symbols", "2026-03-03T00:00:00+01:00", "position_opened"),
    ]


def test_the_same_verdict_comes_from_the_daily_reset_then_the_event() -> None:
    """The Lambda path: the daily reset advances to the boundary first, then the event at that instant."""
    prog = program(daily_loss(), {"type": "forbidden_symbols", "symbols": ["BTCUSD"]})
    evaluator = Evaluator(prog)
    state = evaluator.start(datetime.fromisoformat(MONDAY.format("10:00:00")))
    for event in [
        opened(MONDAY.format("10:00:00"), "p1"),
        closed(MONDAY.format("11:00:00"), "p1", "3000"),
        opened(MONDAY.format("12:00:00"), "p2"),
        equity(MONDAY.format("23:00:00"), "97500"),
    ]:
        evaluator.apply(state, event)
    evaluator.advance_to(state, datetime.fromisoformat("2026-03-03T00:00:00+01:00"))
    evaluator.apply(state, opened("2026-03-03T00:00:00+01:00", "p3", symbol="BTCUSD"))

    assert [b.rule for b in state.breaches] == ["daily_loss", "forbidden_symbols"]
