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
The initial balance is the account's size as it stands (`state.initial`): a `scale` grows it, and with it the
static base, a `percent_of_initial` amount and the lock; the evaluator moves the trailing bases up by the
growth.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.amounts import FIXED, PERCENT_OF_INITIAL, Amount, read_amount
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import Figures, LossLimit, RuleContext, read_effect, scaled
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
        self.program_initial = ctx.initial_balance  # the size bought; a scale grows `state.initial`
        self.tracks_peak = mode == TRAILING_INTRADAY

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxLoss:
        mode = read.choice("mode", MODES)
        amount = read_amount(read, "amount", (PERCENT_OF_INITIAL, FIXED))
        lock = read.optional_decimal("lock_at_initial_plus", non_negative=True)
        return cls(index, mode, amount, lock, read_effect(read), ctx)

    def cap(self, state: AccountState) -> Decimal | None:
        """Where the floor stops rising: the initial balance plus the lock, less the money withdrawn."""
        return None if self.lock is None else state.initial + self.lock - state.floor_shift

    def figures_on(self, state: AccountState, base: Decimal) -> Figures:
        allowance = self.amount.of(state.initial, base)
        floor = base - allowance
        cap = self.cap(state)
        if cap is not None and floor > cap:
            floor = cap
        return floor, base, allowance

    def at_boundary(self, state: AccountState, limit: LimitState | None) -> Figures:
        if self.mode == STATIC:
            return self.figures_on(state, state.initial - state.floor_shift)
        if self.mode == TRAILING_EOD:
            return self.figures_on(state, state.high_eod_balance)
        return self.figures_on(state, state.peak_equity)

    def at_new_peak(self, state: AccountState, limit: LimitState) -> Figures | None:
        if self.mode != TRAILING_INTRADAY or state.peak_equity <= limit.base:
            return None
        return self.figures_on(state, state.peak_equity)

    def explain(
        self, state: AccountState, limit: LimitState, at_boundary: bool
    ) -> tuple[str, dict[str, str]]:
        withdrawn = " less the money withdrawn" if state.floor_shift and self.mode == STATIC else ""
        formula = f"{_BASE_WORDS[self.mode]}{withdrawn} minus {self.amount.describe()}"
        cap = self.cap(state)
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
            + ("" if self.lock is None else f", at most initial + {self.lock} = {state.initial + self.lock}"),
        }
        if state.floor_shift:
            figures["withdrawn_shift"] = money_str(state.floor_shift)
            figures["formula"] += "; base and lock lowered by the money withdrawn (less deposits)"
        return sentence, scaled(figures, state, self.program_initial)
