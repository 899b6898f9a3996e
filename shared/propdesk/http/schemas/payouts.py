"""Payout routes: eligibility with its numbers, a trader's request and history, finance's queue and
decision."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from propdesk.http.schemas.common import Money, PageQuery, QueryModel, Reason, RequestModel, ResponseModel

PayoutStatusName = Literal["requested", "approved", "rejected", "withdrawn", "paying", "paid", "failed"]


class PayoutRequest(RequestModel):
    amount: str | None = Field(
        default=None,
        pattern=r"^\d{1,12}(\.\d{1,2})?$",
        examples=["2500.00"],
        description="Profit to withdraw (decimal string, whole cents); all that is withdrawable if left out.",
    )


class PayoutStep(ResponseModel):
    status: PayoutStatusName
    at: datetime


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
    status_at: datetime | None = Field(default=None, description="When the payout reached its status.")
    timeline: list[PayoutStep] = Field(
        default_factory=list, description="Every status after `requested`, with its time, oldest first."
    )
    paid_amount: Money | None = Field(default=None, description="What reached the trader, once paid.")
    fees: Money | None = Field(default=None, description="The rail's fees charged to the trader, once paid.")
    extras: dict[str, Money] = Field(
        default_factory=dict,
        description="Paid on top of the trader's share, by kind, fixed at the request: fee_refund (the fee "
        "refunded now), challenge_share (the challenge-phase share, once), breach_share (profit before a "
        "breach, once; the payout's `amount` is then 0).",
    )
    extra_reasons: dict[str, str] = Field(
        default_factory=dict, description="Why each extra is paid, with its figures (for people)."
    )
    rail: str | None = Field(
        default=None, description="The payout rail: bridge (stablecoins) or wise (bank)."
    )
    destination: str | None = Field(default=None, description="Where it is paid, masked.")
    failure_reason: str | None = Field(default=None, description="Why it was refused or failed.")


class PayoutList(ResponseModel):
    payouts: list[PayoutOut]
    next_cursor: str | None


class PayoutQueueQuery(PageQuery):
    status: PayoutStatusName = Field(default="requested", description="Payouts in this status.")


class PayoutDecisionRequest(RequestModel):
    decision: Literal["approve", "reject"]
    reason: Reason


class EligibilityQuery(QueryModel):
    amount: str | None = Field(
        default=None,
        pattern=r"^\d{1,12}(\.\d{1,2})?$",
        examples=["2500.00"],
        description="Preview a request for this much profit; all that is withdrawable if left out.",
    )


class RuleVerdict(ResponseModel):
    rule: str = Field(
        examples=["consistency"],
        description="funded, account_active, kyc_approved, no_open_positions, no_open_payout, "
        "first_payout_wait, payout_interval, consistency, profit, amount_within_profit, minimum_amount "
        "(those the program has); on an account failed by a breach: breach_share_* (each condition of the "
        "breach share) and breach_share_only.",
    )
    met: bool
    reason_code: str | None = Field(
        default=None,
        examples=["consistency_not_met"],
        description="While unmet: the error code a payout request would be refused with.",
    )
    explanation: str = Field(description="The verdict in words, with its numbers; for people, may change.")
    figures: dict[str, str | None] = Field(
        description="The exact figures behind the verdict: amounts and percentages as decimal strings, "
        "instants as ISO-8601 UTC, counts as digits; null where a figure does not apply.",
    )


class Eligibility(ResponseModel):
    """The payout rules' verdicts now, as a payout request at this instant would meet them."""

    account_id: str
    currency: str
    evaluated_at: datetime
    eligible: bool = Field(
        description="A payout request now (of `max_amount`, or `amount`) would be accepted."
    )
    max_amount: Money = Field(description="All withdrawable profit (closed; news-excluded profit left out).")
    amount: Money = Field(description="The amount previewed: `amount` if given, else `max_amount`.")
    trader_share: Money = Field(description="What the trader would receive for `amount` at the split.")
    earliest_at: datetime = Field(
        description="The first instant at which every time rule is met (in the past once they are)."
    )
    rules: list[RuleVerdict]
    extras: dict[str, Money] = Field(
        default_factory=dict,
        description="What a payout requested now would carry on top of the trader's share, by kind "
        "(fee_refund, challenge_share, breach_share); only those owed.",
    )
    extra_reasons: dict[str, str] = Field(
        default_factory=dict,
        description="Each extra the program grants, owed or not, with the reason (e.g. paid before).",
    )


class PayoutDestinationRequest(RequestModel):
    """One of: `{"type": "stablecoin_wallet", "token", "network", "address"}`, `{"type": "iban",
    "holder_name", "iban", "currency", "bic"?}`, `{"type": "us_bank_account", "holder_name", "routing_number",
    "account_number", "account_type"?}`, `{"type": "uk_bank_account", "holder_name", "sort_code",
    "account_number"}`."""

    type: Literal["stablecoin_wallet", "iban", "us_bank_account", "uk_bank_account"]
    token: str | None = Field(default=None, max_length=8, examples=["USDC"])
    network: str | None = Field(default=None, max_length=16, examples=["ethereum"])
    address: str | None = Field(default=None, max_length=64)
    holder_name: str | None = Field(default=None, max_length=140)
    iban: str | None = Field(default=None, max_length=42)
    bic: str | None = Field(default=None, max_length=11)
    currency: str | None = Field(default=None, max_length=3)
    routing_number: str | None = Field(default=None, max_length=9)
    account_number: str | None = Field(default=None, max_length=17)
    account_type: str | None = Field(default=None, max_length=8)
    sort_code: str | None = Field(default=None, max_length=8)


class PayoutDestinationOut(ResponseModel):
    type: str
    masked: str = Field(description="The destination as shown everywhere: never in clear.")
    added_at: datetime
    verified_at: datetime | None = Field(description="Payouts are sent only to a verified destination.")
