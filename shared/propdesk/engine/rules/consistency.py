"""`consistency`: the best day's closed profit may be at most X% of the total profit.

JSON: `{"type": "consistency", "max_best_day_percent": D}`. Checked when the account would pass (and by
payouts via `consistency_check`); a violation blocks passing or the payout, it never fails the account.
Example (Apex): a 50K account grown to 60K with 30% -> the best day must be at most 3,000.00. Daily profit is
closed P&L per trading day (news-excluded profit left out); the total is the account's profit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Context, Decimal
from typing import ClassVar

from propdesk.engine.bounds import PERCENT
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PassCondition, RuleContext
from propdesk.engine.state import AccountState
from propdesk.engine.words import money_words
from propdesk.money import CENT, HUNDRED, ZERO

_WIDE = Context(prec=80, rounding=ROUND_CEILING)  # whole cents of a figure that may exceed 26 digits


@dataclass(frozen=True, slots=True)
class ConsistencyCheck:
    """The numbers behind a consistency verdict, for dashboards and payout eligibility."""

    ok: bool
    best_day_profit: Decimal
    total_profit: Decimal
    best_day_limit: Decimal  # the most the best day may be, given the total profit (exact)
    profit_needed: Decimal  # extra total profit that would make the best day compliant (0 when ok)


class Consistency(PassCondition):
    type: ClassVar[str] = "consistency"
    effect = ""

    def __init__(self, index: int, max_best_day_percent: Decimal, ctx: RuleContext) -> None:
        self.index = index
        self.percent = max_best_day_percent
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> Consistency:
        percent = read.decimal("max_best_day_percent", positive=True, bound=PERCENT)
        if percent > HUNDRED:
            raise read.fail("max_best_day_percent", f"must be a percentage between 0 and 100, got {percent}")
        return cls(index, percent, ctx)

    def check(self, state: AccountState) -> ConsistencyCheck:
        total = state.profit
        best = state.best_day_profit
        limit = total * self.percent / HUNDRED if total > 0 else ZERO
        ok = total > 0 and best <= limit
        # Rounded up to a cent: the smallest whole-cent extra profit that makes the best day compliant.
        needed = ZERO if ok else _WIDE.quantize(best * HUNDRED / self.percent - total, CENT)
        return ConsistencyCheck(ok, best, total, limit, max(needed, ZERO))

    def blocker(self, state: AccountState) -> str | None:
        result = self.check(state)
        if result.ok:
            return None
        return (
            f"The best day's profit of {self.money(result.best_day_profit)} is more than {self.percent}% "
            f"of the total profit of {self.money(result.total_profit)} "
            f"(at most {self.money(result.best_day_limit)}); "
            f"{money_words(result.profit_needed, self.currency)} more profit would make it consistent."
        )
