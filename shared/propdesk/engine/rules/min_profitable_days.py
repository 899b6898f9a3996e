"""`min_profitable_days`: the account can pass only after N profitable days.

JSON: `{"type": "min_profitable_days", "days": N, "min_profit": {"percent_of_initial": D} | {"fixed": D}}`
(`min_profit` optional). A profitable day is a day with at least one closed position whose net closed P&L
(excluded news profit left out) is at least `min_profit` (exact), or above 0 when `min_profit` is not given
(a break-even day is not profitable); The5ers: 3 days of 0.5%. The current day counts as soon as it
qualifies. At most one such rule per program.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.amounts import FIXED, PERCENT_OF_INITIAL, read_amount
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PassCondition, RuleContext
from propdesk.engine.state import AccountState


class MinProfitableDays(PassCondition):
    type: ClassVar[str] = "min_profitable_days"
    effect = ""

    def __init__(self, index: int, days: int, threshold: Decimal | None, ctx: RuleContext) -> None:
        self.index = index
        self.days = days
        self.threshold = threshold
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MinProfitableDays:
        threshold = None
        if read.has("min_profit"):
            amount = read_amount(read, "min_profit", (PERCENT_OF_INITIAL, FIXED))
            threshold = amount.of(ctx.initial_balance, ctx.initial_balance)
        return cls(index, read.integer("days", minimum=1), threshold, ctx)

    def blocker(self, state: AccountState) -> str | None:
        counted = profitable_days(state, self.threshold)
        if counted >= self.days:
            return None
        if self.threshold is None:
            return f"{counted} of the {self.days} required profitable days (days closing in profit)."
        return (
            f"{counted} of the {self.days} required profitable days "
            f"(days closing at least {self.money(self.threshold)})."
        )


def is_profitable_day(state: AccountState, threshold: Decimal | None) -> bool:
    """Whether the current day qualifies; with no threshold, a day must close in profit (above 0)."""
    if not state.day_has_close:
        return False
    if threshold is None:
        return state.day_closed_profit > 0
    return state.day_closed_profit >= threshold


def profitable_days(state: AccountState, threshold: Decimal | None) -> int:
    """Completed profitable days plus the current one if it already qualifies."""
    return state.profitable_days + (1 if is_profitable_day(state, threshold) else 0)
