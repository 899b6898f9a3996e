"""`profit_target`: the account passes once its profit reaches the target on the balance, with no position
open and every other pass condition holding.

JSON: `{"type": "profit_target", "amount": {"percent_of_initial": D} | {"fixed": D}}`. The target is exact
(never rounded); profit is balance - initial minus any profit excluded by a `news_blackout` rule.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.amounts import FIXED, PERCENT_OF_INITIAL, read_amount
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PassCondition, RuleContext
from propdesk.engine.state import AccountState
from propdesk.engine.words import money_words


class ProfitTarget(PassCondition):
    type: ClassVar[str] = "profit_target"
    effect = ""

    def __init__(self, index: int, target: Decimal, ctx: RuleContext) -> None:
        self.index = index
        self.currency = ctx.currency
        self.target = target

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> ProfitTarget:
        amount = read_amount(read, "amount", (PERCENT_OF_INITIAL, FIXED))
        return cls(index, amount.of(ctx.initial_balance, ctx.initial_balance), ctx)

    def blocker(self, state: AccountState) -> str | None:
        if state.profit >= self.target:
            return None
        missing = money_words(self.target - state.profit, self.currency)
        return f"The profit target of {self.money(self.target)} is not reached yet ({missing} to go)."
