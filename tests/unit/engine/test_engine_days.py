"""Day boundaries in tz-database zones: DST moves the instant, never the local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from propdesk.engine import next_day_boundary
from propdesk.engine.days import add_local_days, next_weekly, resolve_local

from tests.unit.engine.engine_helpers import program

PRAGUE = ZoneInfo("Europe/Prague")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def boundaries(zone: str, starts: str, after: str, count: int) -> list[str]:
    prog = program(zone=zone, starts=starts)
    out, moment = [], datetime.fromisoformat(after)
    for _ in range(count):
        moment = next_day_boundary(prog, moment)
        out.append(moment.astimezone(prog.zone).isoformat())
    return out


def test_prague_midnight_across_the_march_dst_week_keeps_local_midnight() -> None:
    assert boundaries("Europe/Prague", "00:00", "2026-03-27T12:00:00+01:00", 4) == [
        "2026-03-28T00:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",  # the day of 29 March lasts 23 hours
        "2026-03-31T00:00:00+02:00",
    ]


def test_prague_midnight_across_the_october_dst_week_keeps_local_midnight() -> None:
    assert boundaries("Europe/Prague", "00:00", "2026-10-24T12:00:00+02:00", 3) == [
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",  # the day of 25 October lasts 25 hours
        "2026-10-27T00:00:00+01:00",
    ]


def test_new_york_5pm_moves_from_22_to_21_utc_when_dst_starts() -> None:
    prog = program(zone="America/New_York", starts="17:00")
    friday = next_day_boundary(prog, utc("2026-03-06T12:00:00+00:00"))
    sunday = next_day_boundary(prog, utc("2026-03-08T12:00:00+00:00"))
    assert friday == utc("2026-03-06T22:00:00+00:00")
    assert sunday == utc("2026-03-08T21:00:00+00:00")


def test_chicago_5pm_in_november_moves_back_to_23_utc() -> None:
    prog = program(zone="America/Chicago", starts="17:00")
    assert next_day_boundary(prog, utc("2026-10-30T12:00:00+00:00")) == utc("2026-10-30T22:00:00+00:00")
    assert next_day_boundary(prog, utc("2026-11-02T12:00:00+00:00")) == utc("2026-11-02T23:00:00+00:00")


def test_the_boundary_is_strictly_after_the_given_instant() -> None:
    prog = program(zone="UTC")
    midnight = utc("2026-03-03T00:00:00+00:00")
    assert next_day_boundary(prog, midnight) == utc("2026-03-04T00:00:00+00:00")


def test_a_local_time_skipped_by_dst_resolves_to_the_transition_instant() -> None:
    # 02:30 does not exist in Prague on 29 March 2026: clocks jump from 02:00 to 03:00 (= 01:00 UTC).
    assert resolve_local(date(2026, 3, 29), time(2, 30), PRAGUE) == utc("2026-03-29T01:00:00+00:00")
    assert resolve_local(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc("2026-03-08T07:00:00+00:00")


def test_a_local_time_that_occurs_twice_resolves_to_its_first_occurrence() -> None:
    assert resolve_local(date(2026, 10, 25), time(2, 30), PRAGUE) == utc("2026-10-25T02:30:00+02:00")


def test_boundaries_at_a_skipped_local_time_still_come_once_a_day() -> None:
    assert boundaries("Europe/Prague", "02:30", "2026-03-28T12:00:00+01:00", 3) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]


def test_whole_days_are_counted_on_the_wall_clock_across_dst() -> None:
    start = utc("2026-03-28T10:00:00+01:00")
    assert add_local_days(start, 2, PRAGUE) == utc("2026-03-30T10:00:00+02:00")


def test_next_weekly_finds_the_next_friday_cutoff() -> None:
    friday = frozenset({4})
    after = utc("2026-03-06T16:00:00-05:00")  # Friday 16:00 New York
    assert next_weekly(after, time(16, 59), friday, NEW_YORK) == utc("2026-03-06T16:59:00-05:00")
    assert next_weekly(utc("2026-03-06T17:00:00-05:00"), time(16, 59), friday, NEW_YORK) == utc(
        "2026-03-13T16:59:00-04:00"
    )
