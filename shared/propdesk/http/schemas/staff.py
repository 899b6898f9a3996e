"""Staff routes: breach overrides (risk), program-version changes (admin), the audit log (read only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from propdesk.http.schemas.common import Identifier, QueryModel, Reason, RequestModel, ResponseModel


class BreachOverrideRequest(RequestModel):
    breach_id: str = Field(min_length=1, max_length=512, description="`breach_id` from the breach report.")
    reason: Reason
    reinstate: bool = Field(
        default=True, description="Reopen the account if this breach failed it (a bad tick, a feed error)."
    )


class BreachOverrideOut(ResponseModel):
    override_id: str
    account_id: str
    breach_id: str
    actor: str
    reason: str
    at: datetime
    account_status: str = Field(description="The account's status after the override.")


class ProgramVersionChange(RequestModel):
    version: int = Field(ge=1, le=999_999, description="A stored version of the account's program.")
    reason: Reason


class ProgramVersionChanged(ResponseModel):
    account_id: str
    program_id: str
    previous_version: int
    version: int
    actor: str
    at: datetime


# The audit subjects a query may name, by query parameter (the subject is `{prefix}#{value}`).
AUDIT_SUBJECTS = {
    "account_id": "ACCOUNT",
    "order_id": "ORDER",
    "program_id": "PROGRAM",
    "user_id": "STAFF",
    "trader_id": "TRADER",
}


class AuditQuery(QueryModel):
    account_id: Identifier | None = Field(default=None, description="Entries about this account.")
    order_id: Identifier | None = Field(default=None, description="Entries about this order (refunds).")
    program_id: Identifier | None = Field(default=None, description="Entries about this program (versions).")
    user_id: Identifier | None = Field(default=None, description="Entries about this user's staff roles.")
    trader_id: Identifier | None = Field(default=None, description="Entries about this trader (KYC acts).")
    actor: Identifier | None = Field(
        default=None,
        validate_default=True,
        description="Entries by this actor (a staff `sub`, or `system:<function>`).",
    )
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, min_length=1, max_length=2048)

    @field_validator("actor")
    @classmethod
    def _exactly_one_subject(cls, actor: str | None, info: ValidationInfo) -> str | None:
        given = [name for name in AUDIT_SUBJECTS if info.data.get(name) is not None]
        if len(given) + (actor is not None) != 1:
            raise ValueError(f"give exactly one of {', '.join(AUDIT_SUBJECTS)} or actor")
        return actor

    @property
    def subject(self) -> str | None:
        """`ACCOUNT#acc-1`, `ORDER#ord-1`...: the subject asked about, None when asking by actor."""
        return next(
            (
                f"{prefix}#{getattr(self, name)}"
                for name, prefix in AUDIT_SUBJECTS.items()
                if getattr(self, name)
            ),
            None,
        )


class AuditEntryOut(ResponseModel):
    entry_id: str
    at: datetime
    actor: str
    actor_roles: list[str]
    action: str = Field(examples=["breach.overridden", "account.program_version_changed"])
    subject: str = Field(examples=["ACCOUNT#acc-1"])
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(ResponseModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None
