"""`min_hold_time`: positions must be held at least N seconds (anti-scalping).

JSON: `{"type": "min_hold_time", "seconds": N, "effect": "flag"}` (effect defaults to `fail` like every rule);
breached by a close strictly less than N seconds after the opening, compared exactly (a hold of 59.999999 s
breaches a 60 s minimum; the breach's value is the exact hold, to the microsecond).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import SECONDS, Violation
from propdesk.engine.days import exact_seconds
from propdesk.engine.events import PositionClosed
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class MinHoldTime(PositionRule):
    type: ClassVar[str] = "min_hold_time"

    def __init__(self, index: int, seconds: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.seconds = seconds
        self.minimum = timedelta(seconds=seconds)
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MinHoldTime:
        return cls(index, read.integer("seconds", minimum=1), read_effect(read), ctx)

    def on_close(
        self, state: AccountState, event: PositionClosed, position: OpenPosition
    ) -> Violation | None:
        duration = event.time - position.opened_at
        if duration >= self.minimum:
            return None
        held = exact_seconds(duration)
        return Violation(
            limit=Decimal(self.seconds),
            value=held,
            unit=SECONDS,
            explanation=(
                f"Position {position.position_id} was held for {held} seconds, "
                f"less than the minimum of {self.seconds} seconds."
            ),
        )
