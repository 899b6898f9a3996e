"""KYC: the trader's own verification case, staff's review queue and decisions, the providers' webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from propdesk.http.schemas.common import QueryModel, Reason, RequestModel, ResponseModel

CaseStatus = Literal[
    "awaiting_session", "awaiting_trader", "awaiting_staff", "approved", "declined", "expired"
]
Awaited = Literal["session", "trader", "staff"]


class MyKyc(ResponseModel):
    """The signed-in trader's identity verification, as the trader may see it."""

    status: Literal["not_started"] | CaseStatus = Field(
        description="`not_started`: KYC is asked for when it is needed (the funded stage, a payout)."
    )
    awaiting: Awaited | None = Field(
        description="Who the case waits for: its verification session being prepared, you (open "
        "`verification_url`), or the firm's staff; null once concluded."
    )
    verification_url: str | None = Field(
        description="The provider's page for the current attempt, while the case waits for you. Personal: "
        "do not share it."
    )
    provider: str | None = Field(examples=["veriff"])
    attempt: int | None = Field(description="The current attempt, counted against `attempts_allowed`.")
    attempts_allowed: int | None
    deadline: datetime | None = Field(description="The firm's window for a decision ends here.")
    decided_at: datetime | None


class KycCaseOut(ResponseModel):
    """A trader's KYC case as staff see it: the provider's verdict and codes, never the trader's link."""

    trader_id: str
    status: CaseStatus
    awaiting: Awaited | None
    attempt: int
    attempts_allowed: int
    provider: str | None
    session_id: str | None = Field(description="The provider's session of the current attempt.")
    provider_code: str | None = Field(examples=["9121:review", "applicantReviewed:RED:RETRY"])
    reason_codes: list[str]
    opened_at: datetime
    deadline: datetime
    decided_at: datetime | None
    decided_by: str | None = Field(description="`provider`, or the deciding staff member's id.")
    decision_reason: str | None
    waiting_workflows: int = Field(description="Workflow runs (KYC gates) waiting for this case to conclude.")


class KycCaseList(ResponseModel):
    cases: list[KycCaseOut]
    next_cursor: str | None


class KycQueueQuery(QueryModel):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, min_length=1, max_length=2048)


class KycDecisionRequest(RequestModel):
    decision: Literal["approve", "decline"]
    reason: Reason


class KycReopenRequest(RequestModel):
    reason: Reason


class KycWebhookReceived(ResponseModel):
    status: Literal["applied", "ignored", "acknowledged"] = Field(
        description="`applied`: the case moved; `ignored`: a duplicate, an older attempt's or a concluded "
        "case's event (see `reason`); `acknowledged`: progress noted."
    )
    reason: str | None = None
