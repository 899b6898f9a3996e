"""`max_open_positions`: at most N positions open at once.

JSON: `{"type": "max_open_positions", "count": N, "effect": "fail"}`; breached when an opening makes more
than N.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import COUNT, Violation
from propdesk.engine.events import PositionOpened
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class MaxOpenPositions(PositionRule):
    type: ClassVar[str] = "max_open_positions"

    def __init__(self, index: int, count: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.count = count
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxOpenPositions:
        return cls(index, read.integer("count", minimum=1), read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        open_now = len(state.positions)
        if open_now <= self.count:
            return None
        return Violation(
            limit=Decimal(self.count),
            value=Decimal(open_now),
            unit=COUNT,
            explanation=(
                f"Opening {event.position_id} made {open_now} open positions, "
                f"above the maximum of {self.count}."
            ),
        )
