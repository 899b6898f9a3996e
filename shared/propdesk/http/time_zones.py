"""The zone a reader sees an account's days and boundaries in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from propdesk.errors import InvalidInputError


def viewer_zone(requested: str | None, caller_zone: str | None, account_zone: str | None) -> ZoneInfo:
    """`?tz=` (400 naming `tz` if it is not an IANA zone), else the caller's Cognito `zoneinfo`, else the
    program's zone, else UTC. A stored zone that no longer resolves is skipped, never an error."""
    for name, from_query in ((requested, True), (caller_zone, False), (account_zone, False)):
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if from_query:
                raise InvalidInputError(f"{name!r} is not an IANA time zone", "tz") from None
    return ZoneInfo("UTC")
