"""What the engine reports: breaches (immutable evidence), warnings, and the outcome of one step.

A `Breach` carries everything needed to explain and reproduce it: the rule, the instant, the effect, the
limit and the value that crossed it, the triggering event, and the figures used (base, amount, formula).
Effects: `fail` (the account is failed), `pause` (trading locked until the next day boundary), `flag`
(recorded only), `exclude_profit` (news rule: the trade's profit does not count toward targets).

A breach staff overrode is *waived*: named by a `BreachRef` (instant, rule, identity) handed to
`Evaluator.start`, it is still recorded (with `overridden=True`) but has no effect on the account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    overridden: bool = False  # waived by staff: recorded, but the effect did not apply

    @property
    def trigger(self) -> str:
        """The triggering event's id, or `day_boundary` / `deadline` for a clock step."""
        return self.event_id or self.event_type

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
            "overridden": self.overridden,
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
            overridden=bool(data.get("overridden", False)),  # absent in states stored before overrides
        )


def instant_id(moment: datetime) -> str:
    """An instant as breach ids write it: UTC, fixed width, microseconds (`2026-03-02T09:00:00.000000Z`), so
    that string order is time order. Stable ids of what a breach causes (its `account.breached` event, the
    platform commands) are built from it and from the breach's identity."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def breach_identity(rule_index: int, trigger: str, repeat: int) -> str:
    """`{rule_index}-{trigger}`, with `-{repeat}` for the n-th repeat of one rule, instant and trigger."""
    identity = f"{rule_index}-{trigger}"
    return identity if repeat == 0 else f"{identity}-{repeat}"


def breach_identities(breaches: Sequence[Breach]) -> list[str]:
    """A stable identity for each breach of an account's (time-ordered) breach list.

    `{rule_index}-{trigger}`, the trigger being the event id (or `day_boundary` / `deadline` for a clock
    step); the n-th repeat of the same rule, instant and trigger gets `-{n}`. With the instant and the rule,
    it cannot collide: two violations of one rule at one instant come from different events or repeat.
    Waived breaches (`BreachRef.identity`) are named the same way.
    """
    seen: dict[tuple[datetime, str], int] = {}
    identities: list[str] = []
    for breach in breaches:
        base = (breach.time, f"{breach.rule_index}-{breach.trigger}")
        repeat = seen.get(base, 0)
        seen[base] = repeat + 1
        identities.append(breach_identity(breach.rule_index, breach.trigger, repeat))
    return identities


@dataclass(frozen=True, slots=True)
class BreachRef:
    """Names one breach of an account (what a staff override points at): its instant, rule and identity.

    An empty `identity` names the first breach of that rule at that instant (keys stored before identities).
    """

    time: datetime
    rule: str
    identity: str = ""

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("a breach reference needs a timezone-aware time")
        object.__setattr__(self, "time", self.time.astimezone(UTC))

    def to_dict(self) -> dict[str, str]:
        return {"time": self.time.isoformat(), "rule": self.rule, "identity": self.identity}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreachRef:
        return cls(datetime.fromisoformat(data["time"]), data["rule"], data["identity"])


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
