"""Staff review of abuse flags (risk, admin): the queue, one flag with its evidence, a decision.

None of this is shown to traders: a held payout tells them only that a review is pending."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from propdesk.http.schemas.common import Identifier, PageQuery, Reason, RequestModel, ResponseModel

DetectorName = Literal[
    "copy_trading",
    "hedging",
    "shared_identity",
    "scalping",
    "latency_arbitrage",
    "martingale_grid",
    "news_straddling",
]
FlagStatus = Literal["open", "dismissed", "warned", "payout_denied", "accounts_failed", "superseded"]


class FlagQueueQuery(PageQuery):
    status: FlagStatus | None = Field(default=None, description="Flags in this status (`open` by default).")
    detector: DetectorName | None = Field(default=None, description="Flags of this detector.")
    account_id: Identifier | None = Field(default=None, description="Flags naming this account.")
    trader_id: Identifier | None = Field(
        default=None, validate_default=True, description="Flags naming this trader."
    )

    @field_validator("trader_id")
    @classmethod
    def _one_name(cls, trader_id: str | None, info: ValidationInfo) -> str | None:
        if trader_id is not None and info.data.get("account_id") is not None:
            raise ValueError("give account_id or trader_id, not both")
        return trader_id


class FlagSummary(ResponseModel):
    flag_id: str = Field(examples=["copy_trading:acc-1+acc-2"])
    detector: DetectorName
    severity: Literal["low", "medium", "high"]
    status: FlagStatus
    accounts: list[str]
    traders: list[str]
    score: str = Field(description="The detector's score, a decimal string.")
    summary: str
    detected_at: datetime
    first_detected_at: datetime
    found_by: Literal["stream", "deep"]
    superseded_by: str | None = Field(
        default=None,
        description="A superseded flag: the flag that absorbed it (one ring or cluster), which is decided.",
    )


class FlagPage(ResponseModel):
    flags: list[FlagSummary]
    next_cursor: str | None = None


class FlagDetail(FlagSummary):
    evidence: dict[str, Any] = Field(
        description="summary, score, formula, inputs, thresholds, trades side by side, shared signals"
    )
    supersedes: list[str]
    detections: list[dict[str, Any]] = Field(description="Each detection as found, newest first.")


class FlagDecisionRequest(RequestModel):
    decision: Literal["dismiss", "warn", "deny_payout", "fail_accounts"]
    reason: Reason


class FlagDecided(ResponseModel):
    flag_id: str
    decision: str
    status: FlagStatus
    actor: str
    reason: str
    at: datetime
    effects: list[str] = Field(
        description="What the decision does, e.g. `release_payouts:acc-1`: carried out at once, or (one that "
        "failed) by the outbox sweep within minutes."
    )
