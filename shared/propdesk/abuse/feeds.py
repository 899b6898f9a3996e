"""What two detectors ask of the outside world: the market price at an instant, and the news calendar.

`PriceFeed` is the firm's reference feed (the price history the platform's quotes are checked against), not
the platform's own quotes: a fill is stale only against an independent source. `StaticCalendar` serves a
program's `news` list (the engine's `NewsRelease`s) or any calendar loaded ahead of the day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from propdesk.engine.news import NewsRelease


@dataclass(frozen=True, slots=True)
class Quote:
    bid: Decimal
    ask: Decimal

    @property
    def spread(self) -> Decimal:
        return self.ask - self.bid


class PriceFeed(Protocol):
    def quote_at(self, symbol: str, at: datetime) -> Quote | None:
        """The reference bid and ask of `symbol` at `at`; None when the feed has no price for it."""
        ...


class NewsCalendar(Protocol):
    def releases_between(self, start: datetime, end: datetime) -> Sequence[NewsRelease]:
        """The high-impact releases at `start` or later and at `end` or earlier, in time order."""
        ...


class StaticCalendar:
    def __init__(self, releases: Iterable[NewsRelease]) -> None:
        self._releases = sorted(releases, key=lambda release: release.time)
        self._times = [release.time.timestamp() for release in self._releases]

    def releases_between(self, start: datetime, end: datetime) -> Sequence[NewsRelease]:
        low = bisect_left(self._times, start.timestamp())
        high = bisect_right(self._times, end.timestamp())
        return self._releases[low:high]
