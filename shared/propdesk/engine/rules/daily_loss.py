"""`daily_loss`: equity must stay at or above the day's floor = base - amount (exact, never rounded).

JSON: `{"type": "daily_loss", "basis": B, "amount": A, "effect": "fail" | "pause" | "flag"}` (effect defaults
to `fail`; `pause` locks trading until the next day boundary without failing the account).

Bases, taken at the latest day boundary (the account's start counts as one, with balance = equity = initial):
- `balance_at_reset`: the closed balance (FTMO, Alpha Capital);
- `max_balance_equity_at_reset`: max(balance, equity) (The5ers, FundingPips);
- `equity_at_reset`: the equity, so the floor measures the session's net P&L (Topstep);
- `equity_peak_of_day`: the highest equity since the boundary, so the floor trails intraday (HyroTrader).
Amount: `{"percent_of_initial": D}`, `{"percent_of_base": D}` (of the base above) or `{"fixed": D}`.
In a program whose withdrawals shift the floors (`withdrawals.floors` `shift`), a withdrawal during the day
lowers that day's base and floor by its amount (the evaluator moves them; the allowance taken at the reset
stays), so the day's room is unchanged; the next reset takes its base from the account as usual.
A `scale` (the account's size grew) moves the day's base up by the growth and takes the amount again on the
new size (`percent_of_initial` of the new initial balance, `percent_of_base` of the moved base) at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.amounts import Amount, read_amount
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import Figures, LossLimit, RuleContext, read_effect, scaled
from propdesk.engine.state import AccountState, LimitState
from propdesk.money import money_str

BALANCE_AT_RESET = "balance_at_reset"
MAX_BALANCE_EQUITY_AT_RESET = "max_balance_equity_at_reset"
EQUITY_AT_RESET = "equity_at_reset"
EQUITY_PEAK_OF_DAY = "equity_peak_of_day"
BASES = (BALANCE_AT_RESET, MAX_BALANCE_EQUITY_AT_RESET, EQUITY_AT_RESET, EQUITY_PEAK_OF_DAY)

_BASE_WORDS = {
    BALANCE_AT_RESET: "the balance at the day's reset",
    MAX_BALANCE_EQUITY_AT_RESET: "the higher of balance and equity at the day's reset",
    EQUITY_AT_RESET: "the equity at the day's reset",
    EQUITY_PEAK_OF_DAY: "the day's highest equity",
}


class DailyLoss(LossLimit):
    type: ClassVar[str] = "daily_loss"

    def __init__(self, index: int, basis: str, amount: Amount, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.basis = basis
        self.amount = amount
        self.effect = effect
        self.currency = ctx.currency
        self.program_initial = ctx.initial_balance  # the size bought; a scale grows `state.initial`
        self.tracks_day_peak = basis == EQUITY_PEAK_OF_DAY

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> DailyLoss:
        return cls(index, read.choice("basis", BASES), read_amount(read, "amount"), read_effect(read), ctx)

    def figures_on(self, state: AccountState, base: Decimal) -> Figures:
        allowance = self.amount.of(state.initial, base)
        return base - allowance, base, allowance

    def at_boundary(self, state: AccountState, limit: LimitState | None) -> Figures:
        if self.basis == BALANCE_AT_RESET:
            base = state.balance
        elif self.basis == MAX_BALANCE_EQUITY_AT_RESET:
            base = max(state.balance, state.equity)
        elif self.basis == EQUITY_AT_RESET:
            base = state.equity
        else:
            base = state.day_peak
        return self.figures_on(state, base)

    def at_new_peak(self, state: AccountState, limit: LimitState) -> Figures | None:
        if self.basis != EQUITY_PEAK_OF_DAY or state.day_peak <= limit.base:
            return None
        return self.figures_on(state, state.day_peak)

    def explain(
        self, state: AccountState, limit: LimitState, at_boundary: bool
    ) -> tuple[str, dict[str, str]]:
        formula = f"{_BASE_WORDS[self.basis]} minus {self.amount.describe()}"
        if limit.allowance != self.amount.of(state.initial, limit.base):
            formula += " as it stood before a withdrawal or a scale moved the base"
        when = "at the day's reset" if at_boundary else "during the day"
        sentence = (
            f"Equity of {self.money(state.equity)} fell below the daily loss floor of "
            f"{self.money(limit.floor)} "
            f"{when}: {formula} = {self.money(limit.base)} - {self.money(limit.allowance)}."
        )
        figures = {
            "base": money_str(limit.base),
            "base_kind": self.basis,
            "amount": money_str(limit.allowance),
            "amount_rule": self.amount.describe(),
            "formula": "floor = base - amount (exact)",
        }
        return sentence, scaled(figures, state, self.program_initial)
