"""Who is calling: the Cognito user pool authorizer's claims on a REST request.

API Gateway has verified the token's signature, audience and expiry before the handler runs; the handler
re-checks the expiry it was given (defence in depth: a replayed event or a misconfigured method must not
let an expired identity through) and refuses a request with no identity at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from propdesk.access import STAFF_ROLES, Identity
from propdesk.errors import UnauthorizedError

STAFF_GROUPS = STAFF_ROLES
# How API Gateway renders the token's `exp` claim in `requestContext.authorizer.claims`.
CLAIM_TIME_FORMAT = "%a %b %d %H:%M:%S UTC %Y"


@dataclass(frozen=True, slots=True)
class Caller(Identity):
    """The signed-in caller: an `Identity` (what services are given) with the claims routes read."""

    email: str | None = None
    zoneinfo: str | None = None
    authenticated_at: datetime | None = None  # the token's auth_time: when the user last signed in

    @property
    def is_staff(self) -> bool:
        return bool(self.groups & STAFF_GROUPS)


def caller_from_event(event: dict[str, Any], now: datetime | None = None) -> Caller:
    """The authenticated caller; 401 when the request carries no verified (or an expired) identity."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise UnauthorizedError("this route needs a signed-in user")
    if now is not None and _expired(claims.get("exp"), now):
        raise UnauthorizedError("the token has expired")
    return Caller(
        subject=subject,
        groups=parse_groups(claims.get("cognito:groups")),
        email=_text(claims.get("email")),
        zoneinfo=_text(claims.get("zoneinfo")),
        authenticated_at=claim_time(claims.get("auth_time")),
    )


def parse_groups(raw: Any) -> frozenset[str]:
    """API Gateway flattens the groups claim to a string (`"trader"`, `"[support trader]"`, `"a,b"`)."""
    if isinstance(raw, list):
        return frozenset(str(group) for group in raw)
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(part for part in re.split(r"[\s,\[\]]+", raw) if part)


def _expired(raw: Any, now: datetime) -> bool:
    """True when the claim names a past instant; a claim in neither known form is left to API Gateway."""
    expires = claim_time(raw)
    return expires is not None and expires <= now


def claim_time(raw: Any) -> datetime | None:
    """A time claim as API Gateway renders it (epoch seconds, or `CLAIM_TIME_FORMAT`); None otherwise."""
    if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
        return datetime.fromtimestamp(int(raw), UTC)
    if isinstance(raw, str):
        try:
            return datetime.strptime(raw, CLAIM_TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
