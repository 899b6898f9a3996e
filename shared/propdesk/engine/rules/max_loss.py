"""`max_loss`: equity must stay at or above the account's overall floor.

JSON: `{"type": "max_loss", "mode": M, "amount": A, "lock_at_initial_plus": D?, "effect": "fail"}`; amount is
`{"percent_of_initial": D}` or `{"fixed": D}`. Modes:
- `static`: initial - amount (FTMO 2-Step);
- `trailing_eod`: highest end-of-day balance - amount, recalculated at each day boundary and never decreasing;
  intraday highs are ignored and the initial balance counts as the first end-of-day balance (FTMO 1-Step,
  Topstep);
- `trailing_intraday`: highest equity seen (the initial balance included) - amount, moving with every new
  high (Apex).
With `lock_at_initial_plus` the floor stops rising at initial + that offset (0 for Topstep, 100 for Apex).
Floors are exact (never rounded). In a program whose withdrawals shift the floors (`withdrawals.floors`
`shift`), the money withdrawn less deposits (`state.floor_shift`) is taken off the static base and the lock as
well (the trailing bases are lowered by the evaluator when the money moves), so the room stays the same.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.amounts import FIXED, PERCENT_OF_INITIAL, Amount, read_amount
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import Figures, LossLimit, RuleContext, read_effect
from propdesk.engine.state import AccountState, LimitState
from propdesk.money import money_str

STATIC = "static"
TRAILING_EOD = "trailing_eod"
TRAILING_INTRADAY = "trailing_intraday"
MODES = (STATIC, TRAILING_EOD, TRAILING_INTRADAY)

_BASE_WORDS = {
    STATIC: "the initial balance",
    TRAILING_EOD: "the highest end-of-day balance",
    TRAILING_INTRADAY: "the highest equity reached",
}


class MaxLoss(LossLimit):
    type: ClassVar[str] = "max_loss"

    def __init__(
        self, index: int, mode: str, amount: Amount, lock: Decimal | None, effect: str, ctx: RuleContext
    ) -> None:
        self.index = index
        self.mode = mode
        self.amount = amount
        self.lock = lock
        self.effect = effect
        self.currency = ctx.currency
        self.initial = ctx.initial_balance
        self.cap = None if lock is None else ctx.initial_balance + lock
        self.tracks_peak = mode == TRAILING_INTRADAY

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxLoss:
        mode = read.choice("mode", MODES)
        amount = read_amount(read, "amount", (PERCENT_OF_INITIAL, FIXED))
        lock = read.optional_decimal("lock_at_initial_plus", non_negative=True)
        return cls(index, mode, amount, lock, read_effect(read), ctx)

    def _figures(self, base: Decimal, state: AccountState) -> Figures:
        allowance = self.amount.of(self.initial, base)
        floor = base - allowance
        if self.cap is not None and floor > self.cap - state.floor_shift:
            floor = self.cap - state.floor_shift
        return floor, base, allowance

    def at_boundary(self, state: AccountState, limit: LimitState | None) -> Figures:
        if self.mode == STATIC:
            return self._figures(self.initial - state.floor_shift, state)
        if self.mode == TRAILING_EOD:
            return self._figures(state.high_eod_balance, state)
        return self._figures(state.peak_equity, state)

    def at_new_peak(self, state: AccountState, limit: LimitState) -> Figures | None:
        if self.mode != TRAILING_INTRADAY or state.peak_equity <= limit.base:
            return None
        return self._figures(state.peak_equity, state)

    def explain(
        self, state: AccountState, limit: LimitState, at_boundary: bool
    ) -> tuple[str, dict[str, str]]:
        withdrawn = " less the money withdrawn" if state.floor_shift and self.mode == STATIC else ""
        formula = f"{_BASE_WORDS[self.mode]}{withdrawn} minus {self.amount.describe()}"
        cap = None if self.cap is None else self.cap - state.floor_shift
        locked = cap is not None and limit.floor == cap and limit.base - limit.allowance > limit.floor
        lock_words = f", locked at {self.money(cap)}" if locked and cap is not None else ""
        when = " at the day's reset" if at_boundary else ""
        sentence = (
            f"Equity of {self.money(state.equity)} fell below the maximum loss floor of "
            f"{self.money(limit.floor)}"
            f"{when}: {formula} = {self.money(limit.base)} - {self.money(limit.allowance)}{lock_words}."
        )
        figures = {
            "base": money_str(limit.base),
            "base_kind": self.mode,
            "amount": money_str(limit.allowance),
            "amount_rule": self.amount.describe(),
            "formula": "floor = base - amount (exact)"
            + ("" if self.cap is None else f", at most initial + {self.lock} = {self.cap}"),
        }
        if state.floor_shift:
            figures["withdrawn_shift"] = money_str(state.floor_shift)
            figures["formula"] += "; base and lock lowered by the money withdrawn (less deposits)"
        return sentence, figures
