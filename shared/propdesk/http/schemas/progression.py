"""An account's place in its program chain (`GET /v1/accounts/{id}/chain`) and a staff member's review of a
passed account's progression (`POST /v1/staff/accounts/{id}/progression-review`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from propdesk.http.schemas.accounts import AccountOut
from propdesk.http.schemas.common import Reason, RequestModel, ResponseModel


class ChainStepOut(ResponseModel):
    program_id: str
    name: str
    stage: Literal["challenge", "funded"]
    staff_review: bool = Field(description="A staff member approves before an account starts this program.")


class ProgressionOut(ResponseModel):
    next_account_id: str = Field(description="The account this one continues in (reserved once it passed).")
    next_program_id: str
    next_program_version: int
    stage: Literal["challenge", "funded"]
    phase: int
    status: Literal["planned", "opened", "done", "rejected"] = Field(
        description="planned: not open yet (waiting for a review or KYC); opened: the account exists; done: "
        "this account is closed for trading and the trader was told; rejected: staff refused it."
    )
    review: Literal["none", "required", "waiting", "approved", "rejected"]
    passed_at: datetime


class AccountChain(ResponseModel):
    account_id: str
    stage: str = Field(description="`challenge` (an evaluation phase) or `funded`.", examples=["challenge"])
    phase: int = Field(description="The account's place in its chain: 1 for the first phase.", examples=[1])
    history: list[AccountOut] = Field(description="The accounts before this one, oldest first.")
    upcoming: list[ChainStepOut] = Field(description="The programs still ahead, next first; empty if funded.")
    progression: ProgressionOut | None = Field(description="Once the account passed: what it continues in.")


class ProgressionReviewRequest(RequestModel):
    decision: Literal["approved", "rejected"]
    reason: Reason


class ProgressionReviewed(ResponseModel):
    account_id: str
    next_account_id: str
    decision: Literal["approved", "rejected"]
    actor: str
    at: datetime
