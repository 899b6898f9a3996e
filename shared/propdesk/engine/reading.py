"""Typed field readers for JSON-like mappings; every failure names the field's path.

The error type is a parameter so programs raise `ProgramError` and events raise `EventError`. Every number and
time read here is held to the engine's bounds (`propdesk.engine.bounds`): money by default, or the bound the
caller names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from propdesk.engine.bounds import FIRST_YEAR, LAST_YEAR, MAX_WHOLE, MONEY, Bound, time_problem
from propdesk.engine.errors import EngineInputError
from propdesk.money import parse_decimal


class Reader:
    """Reads fields of one mapping, building error paths from `prefix`."""

    __slots__ = ("data", "error", "prefix")

    def __init__(self, data: Mapping[str, Any], prefix: str, error: type[EngineInputError]) -> None:
        self.data = data
        self.prefix = prefix
        self.error = error

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, message: str) -> EngineInputError:
        return self.error(self.path(key), message)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        value = self.data.get(key)
        if value is None:
            raise self.fail(key, "is required")
        return value

    def string(self, key: str, default: str | None = None) -> str:
        if not self.has(key) and default is not None:
            return default
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def choice(self, key: str, choices: Sequence[str], default: str | None = None) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def decimal(
        self, key: str, *, positive: bool = False, non_negative: bool = False, bound: Bound = MONEY
    ) -> Decimal:
        try:
            value = parse_decimal(self.raw(key))
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        if not bound.lowest < value < bound.limit or value.quantize(bound.quantum) != value:  # inline: hot
            raise self.fail(key, bound.problem(value) or "is out of bounds")
        if positive and value <= 0:
            raise self.fail(key, f"must be greater than 0, got {value}")
        if non_negative and value < 0:
            raise self.fail(key, f"must not be negative, got {value}")
        return value

    def optional_decimal(
        self, key: str, *, positive: bool = False, non_negative: bool = False, bound: Bound = MONEY
    ) -> Decimal | None:
        if not self.has(key):
            return None
        return self.decimal(key, positive=positive, non_negative=non_negative, bound=bound)

    def integer(
        self, key: str, *, minimum: int = 0, maximum: int = MAX_WHOLE, default: int | None = None
    ) -> int:
        if not self.has(key) and default is not None:
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
            raise self.fail(key, "must be a whole number")
        try:
            number = parse_decimal(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        if number != number.to_integral_value():
            raise self.fail(key, f"must be a whole number, got {value}")
        if number < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}")
        if number > maximum:
            raise self.fail(key, f"must be at most {maximum:,}, got {value}")
        return int(number)

    def mapping(self, key: str) -> Reader:
        value = self.raw(key)
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be an object")
        return Reader(value, self.path(key), self.error)

    def items(self, key: str, *, default_empty: bool = False) -> list[Any]:
        if default_empty and not self.has(key):
            return []
        value = self.raw(key)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise self.fail(key, "must be a list")
        return list(value)

    def strings(self, key: str) -> tuple[str, ...]:
        """A non-empty list of non-empty strings (a list that names nothing is a mistake in every use)."""
        values = self.items(key)
        if not values:
            raise self.fail(key, "must name at least one item")
        for index, value in enumerate(values):
            if not isinstance(value, str) or not value:
                raise self.error(f"{self.path(key)}[{index}]", "must be a non-empty string")
        return tuple(values)

    def instant(self, key: str) -> datetime:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.fail(key, "must be an ISO-8601 time string with a UTC offset")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"{value!r} is not an ISO-8601 time") from None
        if parsed.tzinfo is None:  # fromisoformat gives a fixed offset or none
            raise self.fail(key, f"{value!r} has no UTC offset (write e.g. 2026-03-02T10:00:00+01:00)")
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise self.fail(key, time_problem(parsed) or "is out of bounds")
        return parsed

    def zone(self, key: str, default: str | None = None) -> ZoneInfo:
        """A tz-database zone by name ("Europe/Prague")."""
        name = self.string(key, default)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
            raise self.fail(key, f"{name!r} is not a tz-database zone") from None

    def clock_time(self, key: str, default: str | None = None) -> time:
        value = self.string(key, default)
        try:
            hours, minutes = value.split(":")
            if len(hours) != 2 or len(minutes) != 2:
                raise ValueError
            return time(int(hours), int(minutes))
        except ValueError:
            raise self.fail(key, f"must be a local time HH:MM, got {value!r}") from None
