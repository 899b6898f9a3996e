"""What two detectors ask of the outside world: the market price at an instant, and the news calendar.

`PriceFeed` is a reference feed (a price history the fills are checked against). In the live stream the
quote comes with the fill instead: the platform's own feed at the fill instant (`feed_bid` / `feed_ask` on
the wire, `Context.quote`), so a fill the platform made at a price its feed had already left is judged
without a second source. `StaticCalendar` serves a program's `news` list (the engine's `NewsRelease`s) or
any calendar loaded ahead of the day; `RefreshingCalendar` reloads one (the programs the firm published,
each with its `news` list) every few minutes, so a release the firm adds reaches the running detectors
without a deploy.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from propdesk.engine.errors import ProgramError
from propdesk.engine.news import NewsRelease, read_news
from propdesk.engine.reading import Reader


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


class RefreshingCalendar:
    """A `NewsCalendar` loaded by `load` and loaded again once `ttl` seconds (on `monotonic`) have passed; a
    failed reload keeps the calendar it had (the detectors go on with yesterday's releases)."""

    def __init__(
        self,
        load: Callable[[], Iterable[NewsRelease]],
        ttl: float,  # float ok: seconds
        monotonic: Callable[[], float],  # float ok: a monotonic clock's seconds
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._monotonic = monotonic
        self._calendar: StaticCalendar | None = None
        self._loaded_at = 0.0

    def releases_between(self, start: datetime, end: datetime) -> Sequence[NewsRelease]:
        now = self._monotonic()
        if self._calendar is None or now - self._loaded_at >= self._ttl:
            try:
                self._calendar = StaticCalendar(self._load())
            except Exception:  # a store outage: keep what we had (none at first: no release is known)
                if self._calendar is None:
                    self._calendar = StaticCalendar(())
            self._loaded_at = now
        return self._calendar.releases_between(start, end)


def releases_of(documents: Iterable[Mapping[str, Any]]) -> list[NewsRelease]:
    """The high-impact releases of program documents (each's `news` list), a release listed by several
    programs once (their symbols together); a document whose list is malformed is skipped."""
    merged: dict[tuple[datetime, str], set[str]] = {}
    for document in documents:
        try:
            releases = read_news(Reader(document, "", ProgramError))
        except ProgramError:
            continue
        for release in releases:
            merged.setdefault((release.time, release.title), set()).update(release.symbols)
    return [NewsRelease(at, frozenset(symbols), title) for (at, title), symbols in sorted(merged.items())]
