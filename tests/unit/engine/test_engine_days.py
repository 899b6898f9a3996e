"""Day boundaries in tz-database zones: DST moves the instant, never the local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from propdesk.engine import next_day_boundary
from propdesk.engine.days import TradingDay, add_local_days, next_boundary, next_weekly, resolve_local

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


# ---- the trading day an instant belongs to (one definition: risk warnings and payouts' day profits)

CHICAGO = ZoneInfo("America/Chicago")
FUTURES_DAY = TradingDay(time(17, 0), CHICAGO)


def test_a_futures_trading_day_runs_from_17_00_to_17_00_and_is_named_by_the_date_it_began() -> None:
    before_close = utc("2026-03-03T16:59:00-06:00")
    assert FUTURES_DAY.start_of(before_close) == utc("2026-03-02T17:00:00-06:00")
    assert FUTURES_DAY.date_of(before_close) == date(2026, 3, 2)
    assert FUTURES_DAY.date_of(utc("2026-03-03T17:00:00-06:00")) == date(2026, 3, 3)


def test_a_program_names_its_trading_day() -> None:
    assert program(zone="America/Chicago", starts="17:00").trading_day == FUTURES_DAY


def test_the_repeated_hour_after_a_fall_back_stays_in_the_day_that_had_begun() -> None:
    """Days starting at 01:30 in Chicago: on 1 November 2026 01:30 CDT comes, then the clock falls back and
    shows 01:10 again. That second 01:10 is in the day begun at 01:30 CDT, as the engine's boundaries count it
    (a wall-clock subtraction would name it 31 October, a day that had already ended)."""
    days = TradingDay(time(1, 30), CHICAGO)
    second_ten_past_one = utc("2026-11-01T01:10:00-06:00")
    assert days.start_of(second_ten_past_one) == utc("2026-11-01T01:30:00-05:00")
    assert days.date_of(second_ten_past_one) == date(2026, 11, 1)


day_starts = st.sampled_from([time(0), time(0, 30), time(1, 30), time(2, 30), time(17), time(23, 30)])
zones = st.sampled_from(["Europe/Prague", "America/Chicago", "Australia/Sydney", "America/Santiago", "UTC"])
instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by definition
    max_value=datetime(2027, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=300, deadline=None)
@given(instants, day_starts, zones)
def test_an_instant_belongs_to_the_day_of_the_latest_boundary_before_it(
    instant: datetime, starts: time, zone_name: str
) -> None:
    days = TradingDay(starts, ZoneInfo(zone_name))
    began = days.start_of(instant)
    assert began <= instant < next_boundary(began, starts, days.zone)
    assert began == resolve_local(days.date_of(instant), starts, days.zone)


@settings(max_examples=300, deadline=None)
@given(instants, day_starts, zones)
def test_outside_a_repeated_hour_the_day_is_the_wall_clock_date_less_the_day_start(
    instant: datetime, starts: time, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    local = instant.astimezone(zone)
    assume(local.replace(fold=0).utcoffset() == local.utcoffset())  # not the second pass of a wall time
    wall_clock = (local - timedelta(hours=starts.hour, minutes=starts.minute)).date()
    assert TradingDay(starts, zone).date_of(instant) == wall_clock
