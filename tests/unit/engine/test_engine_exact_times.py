"""Times are compared exactly, to the microsecond, with no rounding of durations (issue 14): each rule's
boundary is tested one microsecond on either side."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from propdesk.engine import Evaluation

from tests.unit.engine.engine_helpers import closed, opened, program, run

OPEN_AT = "2026-03-02T10:00:00+00:00"


def hold(rule: dict[str, Any], closed_at: str) -> Evaluation:
    return run(program(rule, zone="UTC"), [opened(OPEN_AT, "p1"), closed(closed_at, "p1", "10")])


def test_a_hold_of_59_999999_seconds_breaches_a_60_second_minimum() -> None:
    rule = {"type": "min_hold_time", "seconds": 60, "effect": "flag"}

    (breach,) = hold(rule, "2026-03-02T10:00:59.999999+00:00").breaches

    assert (breach.limit, breach.value) == (Decimal(60), Decimal("59.999999"))
    assert hold(rule, "2026-03-02T10:01:00+00:00").breaches == ()


def test_a_hold_across_days_is_measured_exactly() -> None:
    rule = {"type": "min_hold_time", "seconds": 90_000, "effect": "flag"}  # 25 hours

    (breach,) = hold(rule, "2026-03-03T10:59:59.000001+00:00").breaches

    assert breach.value == Decimal("89999.000001")
    assert hold(rule, "2026-03-03T11:00:00+00:00").breaches == ()


def test_inactivity_is_due_at_the_exact_instant_n_days_after_the_last_opening() -> None:
    prog = program({"type": "inactivity", "days": 2}, zone="UTC")
    just_in_time = [
        opened("2026-03-02T10:00:00.500000+00:00", "p1"),
        opened("2026-03-04T10:00:00.499999+00:00", "p2"),
    ]
    too_late = [
        opened("2026-03-02T10:00:00.500000+00:00", "p1"),
        opened("2026-03-04T10:00:00.500000+00:00", "p2"),
    ]

    assert run(prog, just_in_time).breaches == ()
    (breach,) = run(prog, too_late).breaches
    assert breach.time.isoformat() == "2026-03-04T10:00:00.500000+00:00"


def test_the_time_limit_runs_out_at_the_exact_instant() -> None:
    prog = program({"type": "time_limit", "days": 1}, zone="UTC")
    start = [opened("2026-03-02T10:00:00.000001+00:00", "p1")]

    assert run(prog, start, until="2026-03-03T10:00:00+00:00").status == "active"
    assert run(prog, start, until="2026-03-03T10:00:00.000001+00:00").status == "failed"


def test_flat_by_a_cutoff_means_closed_before_it() -> None:
    prog = program({"type": "flat_by", "time": "22:00", "weekdays": ["fri"]}, zone="UTC")
    friday = "2026-03-06T{}+00:00"

    before = run(
        prog, [opened(friday.format("10:00:00"), "p1"), closed(friday.format("21:59:59.999999"), "p1", "1")]
    )
    at = run(prog, [opened(friday.format("10:00:00"), "p1"), closed(friday.format("22:00:00"), "p1", "1")])

    assert before.breaches == ()
    assert [(b.rule, b.time.isoformat()) for b in at.breaches] == [("flat_by", "2026-03-06T22:00:00+00:00")]


NEWS = [{"time": "2026-03-06T13:30:00+00:00", "symbols": ["EURUSD"], "title": "US NFP"}]


def news_breaches(opened_at: str) -> list[str]:
    rule = {"type": "news_blackout", "minutes_before": 2, "minutes_after": 2, "effect": "flag"}
    return [b.rule for b in run(program(rule, zone="UTC", news=NEWS), [opened(opened_at, "p1")]).breaches]


def test_a_news_window_includes_both_ends_exactly() -> None:
    assert news_breaches("2026-03-06T13:27:59.999999+00:00") == []
    assert news_breaches("2026-03-06T13:28:00+00:00") == ["news_blackout"]
    assert news_breaches("2026-03-06T13:32:00+00:00") == ["news_blackout"]
    assert news_breaches("2026-03-06T13:32:00.000001+00:00") == []


def test_a_news_window_of_a_day_or_more_reports_its_minutes() -> None:
    rule = {
        "type": "news_blackout",
        "minutes_before": 1440,
        "minutes_after": 1500,
        "effect": "exclude_profit",
    }
    events = [opened("2026-03-05T14:00:00+00:00", "p1"), closed("2026-03-05T15:00:00+00:00", "p1", "10")]

    (breach,) = run(program(rule, zone="UTC", news=NEWS), events).breaches

    assert (breach.figures["window_minutes_before"], breach.figures["window_minutes_after"]) == (
        "1440",
        "1500",
    )
