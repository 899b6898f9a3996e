"""Veriff's decision webhook: the signature check and the payload's shape (see RULES.md, integrations).

Veriff signs the raw body: `X-HMAC-SIGNATURE` = hex HMAC-SHA256(shared secret, body). Decision codes:
9001 approved, 9102 declined, 9103 resubmission requested, 9104 expired/abandoned (treated as declined),
9121 review (no decision yet).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["approved", "declined", "resubmission"]

DECISIONS: dict[int, Decision] = {9001: "approved", 9102: "declined", 9103: "resubmission", 9104: "declined"}


def signature_matches(raw_body: bytes, signature: str | None, shared_secret: str) -> bool:
    if not signature or not shared_secret:
        return False
    expected = hmac.new(shared_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


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
