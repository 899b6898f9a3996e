"""Rules judged at instants with or without an event: time limit and inactivity."""

from __future__ import annotations

from tests.unit.engine.engine_helpers import closed, opened, program, run, target


def test_the_time_limit_fails_an_account_still_active_at_the_deadline() -> None:
    prog = program(target(), {"type": "time_limit", "days": 30})
    result = run(prog, [opened("2026-03-02T10:00:00+01:00", "p1")], until="2026-04-05T00:00:00+02:00")
    assert result.status == "failed"
    (breach,) = result.breaches
    # 30 wall-clock days in Prague, across the DST change of 29 March: same local time.
    assert (breach.rule, breach.time.isoformat()) == ("time_limit", "2026-04-01T10:00:00+02:00")


def test_a_passed_account_is_not_failed_by_the_time_limit() -> None:
    prog = program(target(fixed="100"), {"type": "time_limit", "days": 3})
    events = [opened("2026-03-02T10:00:00+01:00", "p1"), closed("2026-03-02T11:00:00+01:00", "p1", "100")]
    assert run(prog, events, until="2026-03-10T00:00:00+01:00").status == "passed"


def test_inactivity_counts_from_the_latest_opening() -> None:
    prog = program({"type": "inactivity", "days": 30})
    events = [
        opened("2026-03-02T10:00:00+01:00", "p1"),
        closed("2026-03-02T11:00:00+01:00", "p1", "5"),
        opened("2026-03-20T09:00:00+01:00", "p2"),
        closed("2026-03-20T10:00:00+01:00", "p2", "5"),
    ]
    assert run(prog, events, until="2026-04-19T08:59:00+02:00").status == "active"
    late = run(prog, events, until="2026-04-20T00:00:00+02:00")
    assert late.status == "failed"
    assert late.breaches[0].time.isoformat() == "2026-04-19T09:00:00+02:00"


def test_an_inactivity_flag_is_raised_once_per_idle_period() -> None:
    prog = program({"type": "inactivity", "days": 7, "effect": "flag"})
    result = run(prog, [opened("2026-03-02T10:00:00+01:00", "p1")], until="2026-04-30T00:00:00+02:00")
    assert len(result.breaches) == 1 and result.status == "active"
