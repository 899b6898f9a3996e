"""`flat_by`: no position may be held past a local cut-off time on given weekdays (weekend or overnight
holding).

JSON: `{"type": "flat_by", "time": "HH:MM", "weekdays": ["fri"], "timezone": Z?, "effect": "fail"}`.
`weekdays` defaults to `["fri"]` (flat before the weekend); `timezone` defaults to the program's. Apex "no
weekend holding" is `{"time": "16:59", "weekdays": ["fri"], "timezone": "America/New_York"}`; Topstep's
intraday rule is `{"time": "15:10", "weekdays": ["mon","tue","wed","thu","fri"], "timezone":
"America/Chicago"}`. Checked at each cut-off instant (DST-resolved like day boundaries), with or without an
event.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo

from propdesk.engine.breach import COUNT, Violation
from propdesk.engine.days import next_weekly
from propdesk.engine.reading import Reader
from propdesk.engine.rules.base import RuleContext, ScheduledRule, read_effect
from propdesk.engine.state import AccountState

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class FlatBy(ScheduledRule):
    type: ClassVar[str] = "flat_by"

    def __init__(
        self, index: int, at: time, weekdays: frozenset[int], zone: ZoneInfo, effect: str, ctx: RuleContext
    ) -> None:
        self.index = index
        self.at = at
        self.weekdays = weekdays
        self.zone = zone
        self.effect = effect
        self.currency = ctx.currency

    @classmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> FlatBy:
        names = read.strings("weekdays") if read.has("weekdays") else ("fri",)
        for name in names:
            if name not in WEEKDAYS:
                raise read.fail("weekdays", f"must hold weekday names {', '.join(WEEKDAYS)}, got {name!r}")
        zone = read.zone("timezone") if read.has("timezone") else ctx.zone
        weekdays = frozenset(WEEKDAYS.index(name) for name in names)
        return cls(index, read.clock_time("time"), weekdays, zone, read_effect(read), ctx)

    def next_due(self, state: AccountState, after: datetime) -> datetime | None:
        return next_weekly(after, self.at, self.weekdays, self.zone)

    def on_due(self, state: AccountState, at: datetime) -> Violation | None:
        if not state.positions:
            return None
        held = ", ".join(sorted(state.positions))
        return Violation(
            limit=Decimal(0),
            value=Decimal(len(state.positions)),
            unit=COUNT,
            explanation=(
                f"{len(state.positions)} position(s) ({held}) were still open at the "
                f"{self.at:%H:%M} {self.zone.key} cut-off, when the account must be flat."
            ),
            figures={"cutoff": at.isoformat(), "open_positions": held},
        )
