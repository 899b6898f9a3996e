"""Errors the data layer raises; none of them carries AWS types."""

from __future__ import annotations


class DataError(Exception):
    """Base class of the data layer's errors."""


class VersionConflictError(DataError):
    """An optimistic write lost the race: reload and retry."""


class InvalidCursorError(DataError):
    """A pagination cursor that this query did not hand out."""
