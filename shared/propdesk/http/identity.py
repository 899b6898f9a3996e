"""Who is calling: the Cognito user pool authorizer's claims on a REST request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from propdesk.services.errors import UnauthorizedError

STAFF_GROUPS = frozenset({"support", "risk", "finance", "admin"})


@dataclass(frozen=True, slots=True)
class Caller:
    subject: str
    groups: frozenset[str]

    @property
    def is_staff(self) -> bool:
        return bool(self.groups & STAFF_GROUPS)

    def may_read_trader(self, trader_id: str) -> bool:
        return self.is_staff or self.subject == trader_id


def caller_from_event(event: dict[str, Any]) -> Caller:
    """The authenticated caller; 401 when the request carries no verified identity."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise UnauthorizedError("this route needs a signed-in user")
    return Caller(subject=subject, groups=parse_groups(claims.get("cognito:groups")))


def parse_groups(raw: Any) -> frozenset[str]:
    """API Gateway flattens the groups claim to a string (`"trader"`, `"[support trader]"`, `"a,b"`)."""
    if isinstance(raw, list):
        return frozenset(str(group) for group in raw)
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(part for part in re.split(r"[\s,\[\]]+", raw) if part)
