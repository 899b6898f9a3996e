"""Veriff's decision webhook as the current `kyc_webhook` handler reads it: the signature check and the
payload's shape (see RULES.md, integrations). Superseded by `propdesk.adapters.kyc.veriff` (the KYC provider
port: sessions, normalized decisions, polling); this module goes when the handler is wired to the port.

Veriff signs the raw body: `X-HMAC-SIGNATURE` = hex HMAC-SHA256(shared secret, body). Decision codes:
9001 approved, 9102 declined, 9103 resubmission requested, 9104 expired/abandoned (treated as declined),
9121 review (no decision yet).
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from propdesk.adapters.kyc.signing import signature_matches as _signature_matches

Decision = Literal["approved", "declined", "resubmission"]

DECISIONS: dict[int, Decision] = {9001: "approved", 9102: "declined", 9103: "resubmission", 9104: "declined"}


def signature_matches(raw_body: bytes, signature: str | None, shared_secret: str) -> bool:
    """Compared as bytes: a non-ASCII header is a mismatch, not a TypeError (a 500)."""
    return _signature_matches(raw_body, signature, (shared_secret,))


def shared_secret_of(secret_string: str) -> str:
    """The stack stores `{"api_key": ..., "shared_secret": ...}`; a bare string is the secret itself."""
    try:
        document = json.loads(secret_string)
    except ValueError:
        return secret_string
    if isinstance(document, dict):
        return str(document.get("shared_secret", ""))
    return secret_string


class Verification(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    id: str = Field(min_length=1)
    code: int
    status: str
    vendor_data: str = Field(alias="vendorData", min_length=1)


class DecisionWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    status: str
    verification: Verification

    @property
    def decision(self) -> Decision | None:
        return DECISIONS.get(self.verification.code)
