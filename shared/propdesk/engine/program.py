"""A program (a challenge phase or a funded stage) as validated, immutable data.

Top-level JSON keys: `name`, `currency` (default "USD"), `initial_balance` (required, > 0), `timezone`
(tz-database zone, default "UTC"), `day_starts_at` ("HH:MM" local, default "00:00"), `rules` (list,
required), `news` (optional calendar for `news_blackout`), `withdrawals` (optional, `{"floors": "shift" |
"keep"}`, default `shift`: what a withdrawal or deposit does to the loss floors, see docs/rules.md). Extra
keys are kept in `source` and otherwise ignored; unknown rule types are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from propdesk.engine.days import TradingDay, next_boundary
from propdesk.engine.errors import ProgramError
from propdesk.engine.news import NewsRelease, read_news
from propdesk.engine.reading import Reader
from propdesk.engine.rules import RULE_TYPES, SINGLETONS, Rule, RuleContext

SHIFT = "shift"  # a withdrawal lowers the loss floors by its amount: the trader keeps the same room
KEEP = "keep"  # the floors stay where they are: the room shrinks by the amount
FLOOR_SETTINGS = (SHIFT, KEEP)


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    currency: str
    initial_balance: Decimal
    zone: ZoneInfo
    day_starts_at: time
    rules: tuple[Rule, ...]
    news: tuple[NewsRelease, ...] = ()
    withdrawal_floors: str = SHIFT
    source: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    @property
    def timezone(self) -> str:
        return self.zone.key

    @property
    def trading_day(self) -> TradingDay:
        """Where the program's trading days begin (its zone and `day_starts_at`)."""
        return TradingDay(self.day_starts_at, self.zone)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Program:
        """Validate a program definition; raises `ProgramError` naming the field."""
        if not isinstance(data, Mapping):
            raise ProgramError("", "a program must be a JSON object")
        read = Reader(data, "", ProgramError)
        zone = read.zone("timezone", default="UTC")
        ctx = RuleContext(
            initial_balance=read.decimal("initial_balance", positive=True),
            currency=read.string("currency", default="USD"),
            zone=zone,
            day_starts_at=read.clock_time("day_starts_at", default="00:00"),
            news=read_news(read),
        )
        rules = tuple(_read_rule(read, index, item, ctx) for index, item in enumerate(read.items("rules")))
        seen: set[str] = set()
        for rule in rules:
            if rule.type in SINGLETONS and rule.type in seen:
                raise ProgramError(
                    f"rules[{rule.index}].type", f"a program may have only one {rule.type} rule"
                )
            seen.add(rule.type)
        floors = (
            read.mapping("withdrawals").choice("floors", FLOOR_SETTINGS, SHIFT)
            if read.has("withdrawals")
            else SHIFT
        )
        return cls(
            name=read.string("name", default="unnamed program"),
            currency=ctx.currency,
            initial_balance=ctx.initial_balance,
            zone=zone,
            day_starts_at=ctx.day_starts_at,
            rules=rules,
            news=ctx.news,
            withdrawal_floors=floors,
            source=MappingProxyType(dict(data)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The definition this program was read from."""
        return dict(self.source)


def _read_rule(read: Reader, index: int, item: Any, ctx: RuleContext) -> Rule:
    path = f"rules[{index}]"
    if not isinstance(item, Mapping):
        raise ProgramError(path, "must be an object")
    rule_read = Reader(item, path, ProgramError)
    kind = rule_read.string("type")
    parser = RULE_TYPES.get(kind)
    if parser is None:
        raise rule_read.fail(
            "type", f"unknown rule type {kind!r}; known types: {', '.join(sorted(RULE_TYPES))}"
        )
    return parser(rule_read, index, ctx)


def next_day_boundary(program: Program, after: datetime) -> datetime:
    """The first day boundary of `program` strictly after `after` (UTC)."""
    return next_boundary(after, program.day_starts_at, program.zone)
