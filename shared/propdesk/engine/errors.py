"""Errors raised for invalid input: each names the offending field so a caller can point at it."""

from __future__ import annotations


class EngineInputError(ValueError):
    """Invalid program or event data. `field` is a dotted path such as `rules[1].amount.fixed`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class ProgramError(EngineInputError):
    """The program definition is invalid."""


class EventError(EngineInputError):
    """A trading event is invalid, or inconsistent with the account (e.g. closing an unknown position)."""
