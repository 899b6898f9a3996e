"""`max_position_volume`: no single position may be larger than a volume (lots or contracts).

JSON: `{"type": "max_position_volume", "volume": D, "effect": "fail"}`; breached when an opened position's
volume is strictly above the limit (E8: 50 lots per order on FX).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.bounds import VOLUME as VOLUME_BOUND
from propdesk.engine.breach import VOLUME, Violation
from propdesk.engine.events import PositionOpened
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class MaxPositionVolume(PositionRule):
    type: ClassVar[str] = "max_position_volume"

    def __init__(self, index: int, volume: Decimal, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.volume = volume
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxPositionVolume:
        return cls(index, read.decimal("volume", positive=True, bound=VOLUME_BOUND), read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        if event.volume <= self.volume:
            return None
        return Violation(
            limit=self.volume,
            value=event.volume,
            unit=VOLUME,
            explanation=(
                f"Position {event.position_id} on {event.symbol} was opened with volume {event.volume}, "
                f"above the maximum of {self.volume} per position."
            ),
        )
