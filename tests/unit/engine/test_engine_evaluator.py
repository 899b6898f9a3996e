"""The incremental API the Lambda uses: start, apply, advance_to, state snapshots, warnings, usage."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from propdesk.engine import QUIET, AccountState, Evaluator, EventError, next_day_boundary

from tests.unit.engine.engine_helpers import closed, daily_loss, equity, max_loss, opened, program, target

T0 = "2026-03-02T10:00:00+01:00"


def test_a_quiet_tick_returns_the_shared_empty_outcome() -> None:
    evaluator = Evaluator(program(daily_loss(), max_loss()))
    state = evaluator.start(datetime.fromisoformat(T0))
    assert evaluator.apply(state, equity(T0, "100100")) is QUIET


def test_state_snapshots_are_json_safe_and_continue_identically() -> None:
    prog = program(
        daily_loss(), max_loss("trailing_intraday"), target(), {"type": "min_trading_days", "days": 2}
    )
    evaluator = Evaluator(prog)
    state = evaluator.start(datetime.fromisoformat(T0))
    for event in [opened(T0, "p1", stop_loss="1.05"), equity("2026-03-02T11:00:00+01:00", "101000")]:
        evaluator.apply(state, event)
    snapshot = json.loads(json.dumps(state.to_dict()))
    restored = AccountState.from_dict(snapshot)
    assert restored.to_dict() == state.to_dict()
    rest = [closed("2026-03-03T09:00:00+01:00", "p1", "-500"), equity("2026-03-03T09:30:00+01:00", "99500")]
    for event in rest:
        assert evaluator.apply(state, event) == evaluator.apply(restored, event)
    assert evaluator.result(state) == evaluator.result(restored)


def test_unknown_state_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        AccountState.from_dict({"format": 99})


def test_events_out_of_order_and_unknown_positions_are_refused_without_changing_the_state() -> None:
    evaluator = Evaluator(program(daily_loss()))
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, equity("2026-03-02T12:00:00+01:00", "100000"))
    before = state.to_dict()
    with pytest.raises(EventError) as late:
        evaluator.apply(state, equity("2026-03-02T11:00:00+01:00", "100000"))
    assert late.value.field == "time"
    with pytest.raises(EventError) as unknown:
        evaluator.apply(state, closed("2026-03-03T12:00:00+01:00", "nope", "5"))
    assert unknown.value.field == "position_id"
    evaluator.apply(state, opened("2026-03-02T12:30:00+01:00", "p1"))
    with pytest.raises(EventError):
        evaluator.apply(state, opened("2026-03-02T12:31:00+01:00", "p1"))
    assert before["breaches"] == state.to_dict()["breaches"]


def test_a_warning_is_emitted_once_when_80_percent_of_a_limit_is_used() -> None:
    evaluator = Evaluator(program(daily_loss()), warn_at=Decimal("0.8"))
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, opened(T0, "p1"))
    assert evaluator.apply(state, equity("2026-03-02T11:00:00+01:00", "96001")) is QUIET
    outcome = evaluator.apply(state, equity("2026-03-02T11:01:00+01:00", "96000"))
    (warning,) = outcome.warnings
    assert (warning.rule, warning.used_share, warning.floor) == (
        "daily_loss",
        Decimal("0.8000"),
        Decimal("95000.00"),
    )
    assert evaluator.apply(state, equity("2026-03-02T11:02:00+01:00", "95500")) is QUIET
    assert evaluator.usage(state)[0].used_share == Decimal("0.9000")


def test_warnings_can_be_disabled() -> None:
    evaluator = Evaluator(program(daily_loss()), warn_at=None)
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, opened(T0, "p1"))
    assert evaluator.apply(state, equity("2026-03-02T11:00:00+01:00", "95500")) is QUIET


def test_passing_is_reported_by_the_step_that_passes() -> None:
    evaluator = Evaluator(program(target(fixed="500")))
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, opened(T0, "p1"))
    evaluator.apply(state, opened(T0, "p2"))
    assert not evaluator.apply(
        state, closed("2026-03-02T11:00:00+01:00", "p1", "600")
    ).passed  # p2 still open
    assert evaluator.apply(state, closed("2026-03-02T11:05:00+01:00", "p2", "0")).passed
    assert state.status == "passed"


def test_a_failed_account_stays_failed_and_records_nothing_more() -> None:
    evaluator = Evaluator(program(daily_loss(), max_loss()))
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, opened(T0, "p1"))
    evaluator.apply(state, equity("2026-03-02T11:00:00+01:00", "94000"))
    evaluator.apply(state, equity("2026-03-02T12:00:00+01:00", "80000"))
    evaluator.apply(state, closed("2026-03-02T13:00:00+01:00", "p1", "-1000"))
    result = evaluator.result(state)
    assert result.status == "failed"
    assert [breach.rule for breach in result.breaches] == ["daily_loss"]
    assert result.metrics.balance == Decimal("99000")  # the figures still follow the events


def test_simultaneous_breaches_are_all_recorded_in_program_order() -> None:
    evaluator = Evaluator(program(daily_loss(), max_loss()))
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, opened(T0, "p1"))
    outcome = evaluator.apply(state, equity("2026-03-02T11:00:00+01:00", "85000"))
    assert [breach.rule for breach in outcome.breaches] == ["daily_loss", "max_loss"]


def test_the_next_day_boundary_is_shown_in_the_program_zone() -> None:
    prog = program(zone="America/New_York", starts="17:00")
    evaluator = Evaluator(prog)
    state = evaluator.start(datetime.fromisoformat("2026-03-06T18:00:00-05:00"))
    assert evaluator.next_day_boundary(state).isoformat() == "2026-03-07T17:00:00-05:00"
    assert next_day_boundary(
        prog, datetime.fromisoformat("2026-03-06T18:00:00-05:00")
    ) == evaluator.next_day_boundary(state)


def test_consistency_figures_for_payouts() -> None:
    evaluator = Evaluator(program({"type": "consistency", "max_best_day_percent": "30"}, initial="50000"))
    state = evaluator.start(datetime.fromisoformat(T0))
    evaluator.apply(state, opened(T0, "p1"))
    evaluator.apply(state, closed("2026-03-02T11:00:00+01:00", "p1", "4000"))
    evaluator.apply(state, opened("2026-03-03T10:00:00+01:00", "p2"))
    evaluator.apply(state, closed("2026-03-03T11:00:00+01:00", "p2", "6000"))
    check = evaluator.consistency_check(state)
    assert check is not None
    assert (check.ok, check.best_day_limit, check.profit_needed) == (
        False,
        Decimal("3000.00"),
        Decimal("10000.00"),
    )


def test_the_next_reset_can_be_previewed_without_touching_the_state() -> None:
    evaluator = Evaluator(program(daily_loss()))
    state = evaluator.start(datetime.fromisoformat(T0))
    for event in [
        opened(T0, "p1"),
        closed("2026-03-02T11:00:00+01:00", "p1", "2000"),
        opened("2026-03-02T12:00:00+01:00", "p2"),
        equity("2026-03-02T20:00:00+01:00", "96000"),
    ]:
        evaluator.apply(state, event)
    before = state.to_dict()
    (breach,) = evaluator.preview_next_reset(state).breaches
    assert (breach.time.isoformat(), breach.limit) == ("2026-03-03T00:00:00+01:00", Decimal("97000.00"))
    assert state.to_dict() == before and state.status == "active"
