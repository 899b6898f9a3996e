"""What the engine reports: breaches (immutable evidence), warnings, and the outcome of one step.

A `Breach` carries everything needed to explain and reproduce it: the rule, the instant, the effect, the
limit and the value that crossed it, the triggering event, and the figures used (base, amount, formula).
Effects: `fail` (the account is failed), `pause` (trading locked until the next day boundary), `flag`
(recorded only), `exclude_profit` (news rule: the trade's profit does not count toward targets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.money import money_str

FAIL = "fail"
PAUSE = "pause"
FLAG = "flag"
EXCLUDE_PROFIT = "exclude_profit"
EFFECTS = (FAIL, PAUSE, FLAG)

MONEY = "money"
COUNT = "count"
VOLUME = "volume"
SECONDS = "seconds"
DAYS = "days"

DAY_BOUNDARY = "day_boundary"
DEADLINE = "deadline"


def quantity_str(value: Decimal, unit: str) -> str:
    return money_str(value) if unit == MONEY else str(value)


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule reports; the evaluator turns it into a `Breach` with time, effect and trigger."""

    limit: Decimal
    value: Decimal
    explanation: str
    unit: str = MONEY
    figures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Breach:
    rule: str
    rule_index: int
    time: datetime
    effect: str
    limit: Decimal
    value: Decimal
    explanation: str
    unit: str = MONEY
    event_type: str = DAY_BOUNDARY
    event_id: str | None = None
    figures: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "time": self.time.isoformat(),
            "effect": self.effect,
            "limit": quantity_str(self.limit, self.unit),
            "value": quantity_str(self.value, self.unit),
            "explanation": self.explanation,
            "rule_index": self.rule_index,
            "unit": self.unit,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "figures": dict(self.figures),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Breach:
        return cls(
            rule=data["rule"],
            rule_index=int(data["rule_index"]),
            time=datetime.fromisoformat(data["time"]),
            effect=data["effect"],
            limit=Decimal(data["limit"]),
            value=Decimal(data["value"]),
            explanation=data["explanation"],
            unit=data["unit"],
            event_type=data["event_type"],
            event_id=data["event_id"],
            figures=dict(data["figures"]),
        )


@dataclass(frozen=True, slots=True)
class LimitWarning:
    """A loss limit's used share reached the evaluator's warning fraction (once per limit per day)."""

    rule: str
    rule_index: int
    time: datetime
    used_share: Decimal
    floor: Decimal
    equity: Decimal
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rule_index": self.rule_index,
            "time": self.time.isoformat(),
            "used_share": str(self.used_share),
            "floor": money_str(self.floor),
            "equity": money_str(self.equity),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one `apply` / `advance_to` step produced. Most steps return the shared empty `QUIET`."""

    breaches: tuple[Breach, ...] = ()
    warnings: tuple[LimitWarning, ...] = ()
    passed: bool = False

    def __bool__(self) -> bool:
        return bool(self.breaches or self.warnings or self.passed)


QUIET = Outcome()
