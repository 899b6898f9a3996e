"""`max_total_volume`: the open positions together may not exceed a volume (Topstep: 5/10/15 contracts).

JSON: `{"type": "max_total_volume", "volume": D, "effect": "fail"}`; breached when an opening takes the sum of
open volumes strictly above the limit.
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


class MaxTotalVolume(PositionRule):
    type: ClassVar[str] = "max_total_volume"

    def __init__(self, index: int, volume: Decimal, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.volume = volume
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> MaxTotalVolume:
        return cls(index, read.decimal("volume", positive=True, bound=VOLUME_BOUND), read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        if state.total_volume <= self.volume:
            return None
        return Violation(
            limit=self.volume,
            value=state.total_volume,
            unit=VOLUME,
            explanation=(
                f"Opening {event.position_id} brought the total open volume to {state.total_volume}, "
                f"above the maximum of {self.volume}."
            ),
        )
