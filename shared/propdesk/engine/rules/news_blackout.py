"""`news_blackout`: trading around high-impact news on the targeted symbols.

JSON: `{"type": "news_blackout", "minutes_before": N, "minutes_after": N, "effect": E}` with the releases in
the program's `news` calendar (see `propdesk.engine.news`). A window runs from `minutes_before` before a
release to `minutes_after` after it, both ends included.
- `effect` `fail` | `pause` | `flag` (a violation, FTMO funded Standard: +/-2 min): opening or closing a
  position on a targeted symbol inside a window is a breach; stop-loss and take-profit fills count; holding
  through is allowed.
- `effect` `exclude_profit` (+/-5 min at other firms): the trade's profit does not count toward the target or
  the daily profits when the position was opened inside a window, or was closed inside one other than by a
  take-profit or stop-loss fill (`reason` of `position_closed`) placed before it. Losses always count.
  Example: opened 2 min before and closed 3 min after a release: excluded; opened 3 h before, take profit
  filled inside: counts.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import EFFECTS, EXCLUDE_PROFIT, Violation
from propdesk.engine.events import PositionClosed, PositionOpened
from propdesk.engine.news import NewsRelease
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition
from propdesk.money import ZERO

PENDING_ORDER_FILLS = frozenset({"take_profit", "stop_loss"})


class NewsBlackout(PositionRule):
    type: ClassVar[str] = "news_blackout"

    def __init__(self, index: int, before: int, after: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.minutes_before = before
        self.minutes_after = after
        self.before = timedelta(minutes=before)
        self.after = timedelta(minutes=after)
        self.effect = effect
        self.currency = ctx.currency
        by_symbol: dict[str, list[NewsRelease]] = {}
        for release in ctx.news:
            for symbol in release.symbols:
                by_symbol.setdefault(symbol, []).append(release)
        self.releases = {symbol: tuple(items) for symbol, items in by_symbol.items()}
        self.times = {symbol: tuple(item.time for item in items) for symbol, items in by_symbol.items()}

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> NewsBlackout:
        before = read.integer("minutes_before", minimum=0)
        after = read.integer("minutes_after", minimum=0)
        return cls(index, before, after, read_effect(read, (*EFFECTS, EXCLUDE_PROFIT)), ctx)

    def release_near(self, symbol: str, at: datetime) -> NewsRelease | None:
        """The release whose window contains `at` for `symbol`, if any."""
        times = self.times.get(symbol)
        if not times:
            return None
        position = bisect_left(times, at - self.after)
        if position < len(times) and times[position] <= at + self.before:
            return self.releases[symbol][position]
        return None

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        release = self.release_near(event.symbol, event.time)
        if release is None:
            return None
        if self.effect == EXCLUDE_PROFIT:
            position.in_news_window = True
            return None
        return self._violation(f"Position {event.position_id} on {event.symbol} was opened", release, ZERO)

    def on_close(
        self, state: AccountState, event: PositionClosed, position: OpenPosition
    ) -> Violation | None:
        release = self.release_near(position.symbol, event.time)
        if self.effect != EXCLUDE_PROFIT:
            if release is None:
                return None
            return self._violation(
                f"Position {position.position_id} on {position.symbol} was closed", release, ZERO
            )
        closed_inside = release is not None and event.reason not in PENDING_ORDER_FILLS
        if not (position.in_news_window or closed_inside) or event.profit <= 0:
            return None
        when = "opened" if position.in_news_window else "closed"
        return Violation(
            limit=ZERO,
            value=event.profit,
            explanation=f"The {self.money(event.profit)} profit of position {position.position_id} on "
            f"{position.symbol} does not count because it was {when} inside a news window.",
            figures={
                "window_minutes_before": str(self.minutes_before),
                "window_minutes_after": str(self.minutes_after),
            },
        )

    def _violation(self, what: str, release: NewsRelease, value: Decimal) -> Violation:
        return Violation(
            limit=ZERO,
            value=Decimal(1),
            unit="count",
            explanation=(
                f"{what} within the news window of {release.title} at {release.time:%Y-%m-%d %H:%M} UTC."
            ),
            figures={"release": release.title, "release_time": release.time.isoformat()},
        )
