"""The consistency rule at payout (Apex: "30% of profit since the last payout"): the best trading day's net
closed profit since the last withdrawn payout (or since funding) may be at most `percent` of the total net
closed profit over the same period. A violation denies the payout; it never fails the account.

Day profits come from the account's closed trades (`position_closed` fills carry each position's net realized
P&L), grouped by the program's trading day (`propdesk.engine.days.TradingDay`: its zone and `day_starts_at`,
as the engine counts days). The figures answer "best day must be at most $X; you need $Y more".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from propdesk.engine.days import TradingDay
from propdesk.payouts.model import WITHDRAWN_STATUSES, Payout
from propdesk.payouts.policy import HUNDRED

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A position's close: its net realized profit (negative for a loss) at the instant it closed."""

    closed_at: datetime
    profit: Decimal


@dataclass(frozen=True, slots=True)
class DayProfit:
    starts_at: datetime  # the trading day's first instant, UTC
    profit: Decimal


@dataclass(frozen=True, slots=True)
class ConsistencyCheck:
    percent: Decimal
    period_start: datetime
    days: tuple[DayProfit, ...]  # trading days with a close, in time order

    @property
    def total(self) -> Decimal:
        return sum((day.profit for day in self.days), ZERO)

    @property
    def best_day(self) -> DayProfit | None:
        """The day with the highest net profit (the earliest of equals); None when no day made a profit."""
        best = max(self.days, key=lambda day: day.profit, default=None)
        return best if best is not None and best.profit > ZERO else None

    @property
    def best_profit(self) -> Decimal:
        best = self.best_day
        return ZERO if best is None else best.profit

    @property
    def met(self) -> bool:
        """best day <= percent x total, exactly (no rounding)."""
        return self.best_profit * HUNDRED <= self.percent * self.total

    @property
    def max_best_day(self) -> Decimal:
        """The most the best day may have made for the current total (rounded down to the cent)."""
        return (self.percent * self.total / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)

    @property
    def needed_more(self) -> Decimal:
        """The least further total profit, in whole cents, that lets the current best day fit."""
        if self.met:
            return ZERO
        exact = self.best_profit * HUNDRED / self.percent - self.total
        needed = exact.quantize(CENT, rounding=ROUND_CEILING)
        # The division may round in its last digit: step to the exact smallest cent amount that fits.
        while not self._fits(needed):
            needed += CENT
        while needed > ZERO and self._fits(needed - CENT):
            needed -= CENT
        return needed

    def _fits(self, more: Decimal) -> bool:
        return self.best_profit * HUNDRED <= self.percent * (self.total + more)


def period_start(opened_at: datetime, history: Iterable[Payout]) -> datetime:
    """Since when profit counts: the last approved or paid payout's request (its profit was measured then), or
    the account's funding."""
    withdrawn = [payout.requested_at for payout in history if payout.status in WITHDRAWN_STATUSES]
    return max([opened_at, *withdrawn])


def day_profits(
    trades: Iterable[ClosedTrade], trading_day: TradingDay, since: datetime, until: datetime
) -> tuple[DayProfit, ...]:
    """Net closed profit per trading day for closes in [since, until]; the first day may be partial (closes
    before `since` belonged to the previous period)."""
    totals: dict[datetime, Decimal] = {}
    for trade in trades:
        if since <= trade.closed_at <= until:
            day = trading_day.start_of(trade.closed_at).astimezone(UTC)
            totals[day] = totals.get(day, ZERO) + trade.profit
    return tuple(DayProfit(day, totals[day]) for day in sorted(totals))


def check_consistency(
    percent: Decimal,
    trades: Sequence[ClosedTrade],
    trading_day: TradingDay,
    since: datetime,
    until: datetime,
) -> ConsistencyCheck:
    return ConsistencyCheck(percent, since, day_profits(trades, trading_day, since, until))


DEFAULT_TRADING_DAY = TradingDay()
