"""Who may sign up: the rules our sign-up route applies and Cognito's pre-sign-up trigger applies again, so
that a sign-up sent straight to Cognito's public client is refused exactly as our API refuses it.

- the e-mail address is well formed and not at a throwaway-mailbox service (the purchase fraud check's list,
  `propdesk.purchases.fraud.DISPOSABLE_DOMAINS`: one list for both doors);
- the display name (Cognito's `name` attribute), if any, follows the rules `PUT /v1/me` has for it: 3 to 32
  letters, digits, spaces and `. _ -`, so that no e-mail address or link becomes a public name;
- the zone (`zoneinfo`), if any, is a known IANA zone.

A refusal names the field and says why, in words safe to show the person signing up (no figures from our
fraud checks: a disposable domain is refused as such, which the person can act on).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from propdesk.purchases.fraud import DISPOSABLE_DOMAINS, disposable_domain

DISPLAY_NAME_MIN_LENGTH = 3
DISPLAY_NAME_MAX_LENGTH = 32
# Letters, digits, spaces and . _ - only: no e-mail address or link can become a public name.
DISPLAY_NAME_PATTERN = r"^[\w][\w .\-]*[\w.]$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_MAX_LENGTH = 254
# How a refusal travels through Cognito (the trigger's error message, which Cognito wraps in its own text):
# `refused field=<field>: <message>`; the adapter reads it back into a refusal on that field.
WIRE_PATTERN = re.compile(r"refused field=(?P<field>[a-z_]+): (?P<message>[^\"\\]*?)\.?(?:\"|$|\\)")


@dataclass(frozen=True, slots=True)
class SignUpRefusal:
    field: str
    message: str

    def wire(self) -> str:
        """The refusal as the pre-sign-up trigger raises it (see `WIRE_PATTERN`)."""
        return f"refused field={self.field}: {self.message}"


def sign_up_refusal(
    email: str,
    attributes: Mapping[str, str],
    disposable_domains: frozenset[str] = DISPOSABLE_DOMAINS,
) -> SignUpRefusal | None:
    """The first rule this sign-up breaks, or None. `attributes` are Cognito's (`name`, `zoneinfo`, ...)."""
    if len(email) > EMAIL_MAX_LENGTH or not re.fullmatch(EMAIL_PATTERN, email):
        return SignUpRefusal("email", "not an e-mail address")
    domain = disposable_domain(email, disposable_domains)
    if domain is not None:
        return SignUpRefusal("email", f"{domain} is a disposable e-mail service: use a permanent address")
    name = attributes.get("name")
    if name is not None:
        refusal = display_name_refusal(name)
        if refusal is not None:
            return SignUpRefusal("display_name", refusal)
    zone = attributes.get("zoneinfo")
    if zone is not None and not _known_zone(zone):
        return SignUpRefusal("zoneinfo", "not a known IANA time zone")
    return None


def display_name_refusal(name: str) -> str | None:
    """Why `name` cannot be a display name, or None."""
    if not DISPLAY_NAME_MIN_LENGTH <= len(name) <= DISPLAY_NAME_MAX_LENGTH:
        return f"must be {DISPLAY_NAME_MIN_LENGTH} to {DISPLAY_NAME_MAX_LENGTH} characters"
    if not re.fullmatch(DISPLAY_NAME_PATTERN, name):
        return "letters, digits, spaces and . _ - only, starting with a letter or digit"
    return None


def read_refusal(message: str) -> SignUpRefusal | None:
    """The refusal a pre-sign-up trigger raised, found in the error message Cognito answered with."""
    found = WIRE_PATTERN.search(message)
    if found is None:
        return None
    return SignUpRefusal(found["field"], found["message"])


def _known_zone(zone: str) -> bool:
    if not zone or len(zone) > 64:
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
