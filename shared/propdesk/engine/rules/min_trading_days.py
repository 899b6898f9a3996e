"""`min_trading_days`: the account can pass only after trading on at least N days.

JSON: `{"type": "min_trading_days", "days": N}`. A trading day is a day (between two of the program's day
boundaries, in its zone) on which at least one position was opened; a position held over several days counts
once, on the day it opened.
"""

from __future__ import annotations

from typing import ClassVar

from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PassCondition, RuleContext
from propdesk.engine.state import AccountState


class MinTradingDays(PassCondition):
    type: ClassVar[str] = "min_trading_days"
    effect = ""

    def __init__(self, index: int, days: int, ctx: RuleContext) -> None:
        self.index = index
        self.days = days
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MinTradingDays:
        return cls(index, read.integer("days", minimum=1), ctx)

    def blocker(self, state: AccountState) -> str | None:
        if state.trading_days >= self.days:
            return None
        return f"Traded on {state.trading_days} of the {self.days} required trading days."
