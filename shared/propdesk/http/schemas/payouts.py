"""Payout routes: a trader's request and history, finance's queue and decision."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from propdesk.http.schemas.common import Money, PageQuery, Reason, RequestModel, ResponseModel

PayoutStatusName = Literal["requested", "approved", "rejected", "paid"]


class PayoutRequest(RequestModel):
    amount: str | None = Field(
        default=None,
        pattern=r"^\d{1,12}(\.\d{1,2})?$",
        examples=["2500.00"],
        description="Profit to withdraw (decimal string, whole cents); all that is withdrawable if left out.",
    )


class PayoutOut(ResponseModel):
    payout_id: str
    account_id: str
    status: PayoutStatusName
    currency: str
    amount: Money = Field(description="The profit taken off the account.")
    trader_share: Money = Field(description="What the trader receives: `amount` at the program's split.")
    firm_share: Money
    requested_at: datetime
    decided_at: datetime | None = None
    decision_reason: str | None = Field(default=None, description="Finance's reason, once decided.")


class PayoutList(ResponseModel):
    payouts: list[PayoutOut]
    next_cursor: str | None


class PayoutQueueQuery(PageQuery):
    status: PayoutStatusName = Field(default="requested", description="Payouts in this status.")


class PayoutDecisionRequest(RequestModel):
    decision: Literal["approve", "reject"]
    reason: Reason
