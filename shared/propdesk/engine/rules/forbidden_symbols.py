"""`forbidden_symbols`: positions may not be opened on the listed symbols.

JSON: `{"type": "forbidden_symbols", "symbols": ["BTCUSD", ...], "effect": "fail"}`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import COUNT, Violation
from propdesk.engine.events import PositionOpened
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class ForbiddenSymbols(PositionRule):
    type: ClassVar[str] = "forbidden_symbols"

    def __init__(self, index: int, symbols: frozenset[str], effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.symbols = symbols
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> ForbiddenSymbols:
        return cls(index, frozenset(read.strings("symbols")), read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        if event.symbol not in self.symbols:
            return None
        return Violation(
            limit=Decimal(0),
            value=Decimal(1),
            unit=COUNT,
            explanation=f"Position {event.position_id} was opened on {event.symbol}, a forbidden symbol.",
            figures={"symbol": event.symbol},
        )
