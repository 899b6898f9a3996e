"""`stop_loss_required`: every position must be opened with a stop loss.

JSON: `{"type": "stop_loss_required", "effect": "fail"}`; reads the optional `stop_loss` of `position_opened`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import COUNT, Violation
from propdesk.engine.events import PositionOpened
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class StopLossRequired(PositionRule):
    type: ClassVar[str] = "stop_loss_required"

    def __init__(self, index: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> StopLossRequired:
        return cls(index, read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        if event.stop_loss is not None:
            return None
        return Violation(
            limit=Decimal(1),
            value=Decimal(0),
            unit=COUNT,
            explanation=f"Position {event.position_id} on {event.symbol} was opened without a stop loss.",
        )
