"""`max_trade_loss`: no single closed position may lose more than an amount.

JSON: `{"type": "max_trade_loss", "amount": {"percent_of_initial": D} | {"fixed": D}, "effect": "fail"}`;
breached when a position closes with a profit strictly below -amount (exact). A `percent_of_initial` amount is
of the account's size as it stands (a `scale` grows it).
"""

from __future__ import annotations

from typing import ClassVar

from propdesk.engine.amounts import FIXED, PERCENT_OF_INITIAL, Amount, read_amount
from propdesk.engine.breach import Violation
from propdesk.engine.events import PositionClosed
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class MaxTradeLoss(PositionRule):
    type: ClassVar[str] = "max_trade_loss"

    def __init__(self, index: int, amount: Amount, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.amount = amount
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxTradeLoss:
        amount = read_amount(read, "amount", (PERCENT_OF_INITIAL, FIXED))
        return cls(index, amount, read_effect(read), ctx)

    def on_close(
        self, state: AccountState, event: PositionClosed, position: OpenPosition
    ) -> Violation | None:
        floor = -self.amount.of(state.initial, state.initial)  # of the account's size as it stands
        if event.profit >= floor:
            return None
        return Violation(
            limit=floor,
            value=event.profit,
            explanation=(
                f"Position {position.position_id} on {position.symbol} closed with "
                f"{self.money(event.profit)}, a bigger loss than the {self.money(-floor)} "
                f"allowed per trade ({self.amount.describe()})."
            ),
            figures={"amount": str(-floor), "amount_rule": self.amount.describe()},
        )
