"""`max_trades_per_day`: at most N positions opened per trading day (between two day boundaries).

JSON: `{"type": "max_trades_per_day", "count": N, "effect": "fail"}`; breached by the opening that exceeds N.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import COUNT, Violation
from propdesk.engine.events import PositionOpened
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class MaxTradesPerDay(PositionRule):
    type: ClassVar[str] = "max_trades_per_day"

    def __init__(self, index: int, count: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.count = count
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxTradesPerDay:
        return cls(index, read.integer("count", minimum=1), read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        if state.trades_today <= self.count:
            return None
        return Violation(
            limit=Decimal(self.count),
            value=Decimal(state.trades_today),
            unit=COUNT,
            explanation=(
                f"Position {event.position_id} was trade number {state.trades_today} today, "
                f"above the maximum of {self.count} per day."
            ),
        )
