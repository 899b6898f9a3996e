"""Local wall-clock times resolved to instants in a tz-database zone, and the program's day boundaries.

A trading day starts at a local time (`day_starts_at`) in the program's zone, so its instant moves with DST.
Resolution policy for local times that DST makes special (deterministic, the same everywhere):

- a local time that does not exist (skipped by a spring-forward gap) resolves to the transition instant, i.e.
  the first instant at which the local clock shows a time at or past it (02:30 on a 02:00->03:00 day is 03:00
  new time);
- a local time that occurs twice (fall-back overlap) resolves to its first occurrence (the earlier instant).

In both cases the boundary is "the first instant at which the zone's wall clock reaches that local time".
Instants are returned in UTC.

`TradingDay` is the one place that says which trading day an instant belongs to: the risk service names
the day of a warning with it, payouts group closed trades by it, and both agree with the engine's boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)
_UTC_ZONE = ZoneInfo("UTC")


def resolve_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock of `zone` first shows `at` on `day` (see the module policy)."""
    naive = datetime.combine(day, at)
    earlier = naive.replace(tzinfo=zone, fold=0)
    instant = earlier.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    return _gap_end(naive, zone)


def _gap_end(naive: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that skips over the nonexistent local time `naive`."""
    before = naive.replace(tzinfo=zone, fold=0)
    after = naive.replace(tzinfo=zone, fold=1)
    offset_before = before.utcoffset()
    offset_after = after.utcoffset()
    assert offset_before is not None and offset_after is not None
    low = (naive - offset_after).replace(tzinfo=UTC)  # still before the transition
    high = (naive - offset_before).replace(tzinfo=UTC)  # already after it
    second = timedelta(seconds=1)
    while high - low > second:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return high


@lru_cache(maxsize=4096)
def day_boundary_on(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant at which the trading day starting on local date `day` begins."""
    return resolve_local(day, at, zone)


@dataclass(frozen=True, slots=True)
class TradingDay:
    """Where a program's trading days begin: a local time in a tz-database zone.

    The trading day starting on local date D runs from `day_boundary_on(D)` up to the next boundary, so an
    instant belongs to the day of the latest boundary at or before it (a repeated wall-clock hour after a
    fall-back stays in the day that had begun, as the engine counts it).
    """

    starts_at: time = time(0)
    zone: ZoneInfo = _UTC_ZONE

    def start_of(self, instant: datetime) -> datetime:
        """The instant at which the trading day holding `instant` began (UTC)."""
        return self._holding(instant)[1]

    def date_of(self, instant: datetime) -> date:
        """The local date on which the trading day holding `instant` began: the day's name."""
        return self._holding(instant)[0]

    def _holding(self, instant: datetime) -> tuple[date, datetime]:
        local_day = instant.astimezone(self.zone).date()
        begun = [
            (day, boundary)
            for day in (local_day - _ONE_DAY, local_day, local_day + _ONE_DAY)
            if (boundary := day_boundary_on(day, self.starts_at, self.zone)) <= instant
        ]
        return max(begun, key=lambda pair: pair[1])


def next_boundary(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first day boundary strictly after `after`."""
    local_day = after.astimezone(zone).date()
    for offset in (-1, 0, 1, 2):
        candidate = day_boundary_on(local_day + offset * _ONE_DAY, at, zone)
        if candidate > after:
            return candidate
    raise AssertionError("a day boundary always exists within two days")  # pragma: no cover


def add_local_days(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`start` moved by whole calendar days on the zone's wall clock (so 30 days is 30 days across DST)."""
    local = start.astimezone(zone)
    target = local.replace(tzinfo=None) + days * _ONE_DAY
    return resolve_local(target.date(), target.time(), zone)


def next_weekly(after: datetime, at: time, weekdays: frozenset[int], zone: ZoneInfo) -> datetime:
    """The first instant strictly after `after` at local time `at` on one of `weekdays` (Monday = 0)."""
    local_day = after.astimezone(zone).date() - _ONE_DAY
    for _ in range(9):
        if local_day.weekday() in weekdays:
            candidate = resolve_local(local_day, at, zone)
            if candidate > after:
                return candidate
        local_day += _ONE_DAY
    raise AssertionError("a weekday recurs within nine days")  # pragma: no cover


def exact_seconds(duration: timedelta) -> Decimal:
    """A duration in seconds, exactly (to the microsecond; `timedelta.total_seconds()` is a float)."""
    whole = duration.days * 86_400 + duration.seconds
    return Decimal(whole) + Decimal(duration.microseconds).scaleb(-6)
