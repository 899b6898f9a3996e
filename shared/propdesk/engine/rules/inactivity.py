"""`inactivity`: the account must open a new position at least every N days.

JSON: `{"type": "inactivity", "days": N, "effect": "fail"}`. Measured from the latest position opening (or the
account's start) plus N days on the program zone's wall clock; breached at that instant, with or without an
event.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo

from propdesk.engine.breach import DAYS, Violation
from propdesk.engine.days import add_local_days
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import RuleContext, ScheduledRule, read_effect
from propdesk.engine.state import AccountState


class Inactivity(ScheduledRule):
    type: ClassVar[str] = "inactivity"

    def __init__(self, index: int, days: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.days = days
        self.effect = effect
        self.currency = ctx.currency
        self.zone: ZoneInfo = ctx.zone

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> Inactivity:
        return cls(index, read.integer("days", minimum=1), read_effect(read), ctx)

    def next_due(self, state: AccountState, after: datetime) -> datetime | None:
        deadline = add_local_days(state.last_open_at, self.days, self.zone)
        return deadline if deadline > after else None

    def on_due(self, state: AccountState, at: datetime) -> Violation | None:
        return Violation(
            limit=Decimal(self.days),
            value=Decimal(self.days),
            unit=DAYS,
            explanation=f"No new position was opened for {self.days} days.",
            figures={"last_opened_at": state.last_open_at.isoformat()},
        )
