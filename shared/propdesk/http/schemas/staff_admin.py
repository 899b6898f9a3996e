"""Staff administration: refunds (finance), program versions and staff roles (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from propdesk.http.schemas.common import Money, QueryModel, Reason, RequestModel, ResponseModel

StaffRole = Literal["support", "risk", "finance", "admin"]


# ---- finance: refunds


class RefundRequest(RequestModel):
    reason: Reason
    amount: str | None = Field(
        default=None,
        pattern=r"^\d{1,12}(\.\d{1,8})?$",
        examples=["99.00"],
        description="A partial refund in the order's currency (at most what was paid); all of it if absent.",
    )


class RefundRequested(ResponseModel):
    order_id: str
    status: Literal["refund_requested"] = Field(
        description="The provider was asked to refund; the order turns `refunded` (and its account is "
        "disabled) when the provider's `charge.refunded` webhook arrives."
    )
    amount: Money
    currency: str
    full: bool = Field(description="True when the whole payment is refunded.")
    order_status: str = Field(description="The order's status now (before the provider's confirmation).")
    actor: str
    reason: str
    at: datetime


# ---- admin: programs


class ProgramDocument(BaseModel):
    """A program's rule pack as `GET /v1/programs/{id}` shows it (`current_version.document`): the engine's
    program format (docs/rules.md) plus the catalogue's keys. Further engine keys (`timezone`,
    `day_starts_at`, `news`, `next_program_id`...) are kept as given; the engine validates the whole."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    program_id: str | None = Field(default=None, description="If given, the path's program id.")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=64, examples=["challenge", "funded"])
    description: str = Field(default="", max_length=2000)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    initial_balance: str | int = Field(examples=["100000"])
    prices: dict[str, str] = Field(
        min_length=1,
        description="Price by ISO currency code, as decimal strings.",
        examples=[{"USD": "499.00"}],
    )
    rules: list[dict[str, Any]] = Field(min_length=1, max_length=50)


class ProgramVersionPublished(ResponseModel):
    program_id: str
    version: int = Field(description="The version on sale now: new orders and accounts are pinned to it.")
    previous_version: int | None = Field(description="The version on sale before (None for a new program).")
    published: bool = Field(
        description="False when the document equals the current version's: nothing was published."
    )
    actor: str
    at: datetime


# ---- admin: staff


class StaffMembersQuery(QueryModel):
    role: StaffRole | None = Field(default=None, description="Only the members holding this role.")


class StaffMember(ResponseModel):
    user_id: str = Field(description="The user's Cognito `sub` (how the audit log names actors).")
    email: str | None
    roles: list[StaffRole]
    enabled: bool
    status: str = Field(examples=["CONFIRMED", "FORCE_CHANGE_PASSWORD"])


class StaffMemberList(ResponseModel):
    members: list[StaffMember]


class StaffRolesChange(RequestModel):
    roles: list[StaffRole] = Field(
        max_length=4, description="Every staff role the user should hold afterwards (empty: no longer staff)."
    )
    reason: Reason


class StaffRolesChanged(ResponseModel):
    user_id: str
    previous_roles: list[StaffRole]
    roles: list[StaffRole]
    actor: str
    at: datetime


class ErasureRequest(RequestModel):
    reason: Reason


class ErasureDone(ResponseModel):
    trader_id: str
    orders: list[str] = Field(description="Orders whose buyer e-mail and IP were removed by this request.")
    profile: bool = Field(description="Whether the profile's e-mail and display name were pseudonymized.")
    kept: list[str] = Field(description="What is kept, and why (accounting, abuse evidence).")
    operator_steps: list[str] = Field(description="What the firm's operator still does by hand.")
    actor: str
    at: datetime
