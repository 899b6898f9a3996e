"""`time_limit`: the account must pass within N calendar days of its start.

JSON: `{"type": "time_limit", "days": N, "effect": "fail"}`. The deadline is the start plus N days on the
program zone's wall clock; an account still active at that instant is breached then, with or without an event.
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


class TimeLimit(ScheduledRule):
    type: ClassVar[str] = "time_limit"

    def __init__(self, index: int, days: int, effect: str, ctx: RuleContext) -> None:
        self.index = index
        self.days = days
        self.effect = effect
        self.currency = ctx.currency
        self.zone: ZoneInfo = ctx.zone

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> TimeLimit:
        return cls(index, read.integer("days", minimum=1), read_effect(read), ctx)

    def next_due(self, state: AccountState, after: datetime) -> datetime | None:
        deadline = add_local_days(state.started_at, self.days, self.zone)
        return deadline if deadline > after else None

    def on_due(self, state: AccountState, at: datetime) -> Violation | None:
        return Violation(
            limit=Decimal(self.days),
            value=Decimal(self.days),
            unit=DAYS,
            explanation=f"The {self.days}-day time limit ran out before the account passed.",
            figures={"started_at": state.started_at.isoformat(), "deadline": at.isoformat()},
        )
