"""`allowed_symbols`: positions may be opened only on the listed symbols.

JSON: `{"type": "allowed_symbols", "symbols": ["EURUSD", ...], "effect": "fail"}`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from propdesk.engine.breach import COUNT, Violation
from propdesk.engine.events import PositionOpened
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import PositionRule, RuleContext, read_effect
from propdesk.engine.state import AccountState, OpenPosition


class AllowedSymbols(PositionRule):
    type: ClassVar[str] = "allowed_symbols"

    def __init__(self, index: int, symbols: frozenset[str], effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.symbols = symbols
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> AllowedSymbols:
        return cls(index, frozenset(read.strings("symbols")), read_effect(read), ctx)

    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        if event.symbol in self.symbols:
            return None
        return Violation(
            limit=Decimal(0),
            value=Decimal(1),
            unit=COUNT,
            explanation=(
                f"Position {event.position_id} was opened on {event.symbol}, "
                "which this program does not allow."
            ),
            figures={"symbol": event.symbol, "allowed": ",".join(sorted(self.symbols))},
        )
