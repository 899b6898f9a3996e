"""May the trader withdraw now, and how much? Every refusal carries a stable reason code and the numbers,
so the trader sees before asking what stands in the way ("the next payout opens on ...").

Withdrawable profit = closed balance - initial balance - profit excluded by news rules, never negative, in
whole cents. The requested `amount` (default: all of it) is the profit taken off the account; the trader's
share of it follows the program's split. State refusals (the account, KYC, the schedule) answer 409; amount
refusals 422.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from propdesk.payouts.model import OPEN_STATUSES, WITHDRAWN_STATUSES, Payout
from propdesk.payouts.policy import PayoutPolicy
from propdesk.payouts.split import ZERO, money, trader_share

RefusalKind = Literal["state", "amount"]


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str
    kind: RefusalKind = "state"
    field: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutSituation:
    """What the rules look at, read by the caller from the account, its risk state, KYC and history."""

    account_status: str
    funded: bool
    kyc_status: str | None  # None: the trader never started KYC
    opened_at: datetime
    initial_balance: Decimal
    closed_balance: Decimal
    excluded_profit: Decimal
    open_positions: int
    history: Sequence[Payout]

    @property
    def withdrawable(self) -> Decimal:
        return money(max(self.closed_balance - self.initial_balance - self.excluded_profit, ZERO))

    @property
    def withdrawn_before(self) -> Decimal:
        return sum((p.amount for p in self.history if p.status in WITHDRAWN_STATUSES), ZERO)


@dataclass(frozen=True, slots=True)
class Quote:
    withdrawable: Decimal
    amount: Decimal
    trader_share: Decimal
    firm_share: Decimal


@dataclass(frozen=True, slots=True)
class Assessment:
    refusals: tuple[Refusal, ...]
    quote: Quote
    next_eligible_at: datetime | None  # when the schedule allows the next request (None: it does now)

    @property
    def eligible(self) -> bool:
        return not self.refusals


def assess(
    situation: PayoutSituation, policy: PayoutPolicy, now: datetime, requested: Decimal | None = None
) -> Assessment:
    """Check every rule (not just the first that fails) and price the payout."""
    withdrawable = situation.withdrawable
    amount = withdrawable if requested is None else requested
    share = trader_share(amount, situation.withdrawn_before, policy.split)
    quote = Quote(withdrawable, amount, share, amount - share)
    next_eligible = _next_eligible_at(situation, policy)
    refusals = [
        *_account_refusals(situation, policy),
        *_schedule_refusals(situation, next_eligible, now),
        *_amount_refusals(quote, policy, requested),
    ]
    return Assessment(tuple(refusals), quote, next_eligible if next_eligible > now else None)


def _account_refusals(situation: PayoutSituation, policy: PayoutPolicy) -> list[Refusal]:
    refusals = []
    if not situation.funded:
        refusals.append(Refusal("account_not_funded", "only funded accounts earn payouts"))
    if situation.account_status != "active":
        refusals.append(
            Refusal("account_not_active", f"the account is {situation.account_status}, not active")
        )
    if policy.require_kyc and situation.kyc_status != "approved":
        status = situation.kyc_status or "not started"
        refusals.append(Refusal("kyc_not_approved", f"identity verification is {status}, not approved"))
    if policy.require_flat and situation.open_positions:
        refusals.append(
            Refusal("positions_open", f"close the {situation.open_positions} open position(s) first")
        )
    pending = next((p for p in situation.history if p.status in OPEN_STATUSES), None)
    if pending is not None:
        refusals.append(
            Refusal("payout_pending", f"payout {pending.payout_id} is {pending.status} and not paid yet")
        )
    return refusals


def _next_eligible_at(situation: PayoutSituation, policy: PayoutPolicy) -> datetime:
    """The later of: funding + first wait, the last request (not rejected) + the interval."""
    earliest = situation.opened_at + timedelta(days=policy.first_payout_after_days)
    requests = [p.requested_at for p in situation.history if p.status != "rejected"]
    if requests:
        earliest = max(earliest, max(requests) + timedelta(days=policy.days_between_payouts))
    return earliest


def _schedule_refusals(situation: PayoutSituation, next_eligible: datetime, now: datetime) -> list[Refusal]:
    if now >= next_eligible:
        return []
    if any(p.status != "rejected" for p in situation.history):
        code, what = "too_soon_after_last_payout", "the next payout"
    else:
        code, what = "too_soon_after_funding", "the first payout"
    return [Refusal(code, f"{what} may be requested from {next_eligible.isoformat()}")]


def _amount_refusals(quote: Quote, policy: PayoutPolicy, requested: Decimal | None) -> list[Refusal]:
    if quote.withdrawable <= ZERO:
        return [Refusal("no_profit", "the account has no closed profit to withdraw", "amount", "amount")]
    if requested is not None and requested > quote.withdrawable:
        return [
            Refusal(
                "amount_above_withdrawable",
                f"at most {quote.withdrawable} can be withdrawn, {requested} was asked",
                "amount",
                "amount",
            )
        ]
    if quote.trader_share < policy.minimum_amount:
        return [
            Refusal(
                "below_minimum",
                f"the trader's share would be {quote.trader_share}, the minimum is {policy.minimum_amount}",
                "amount",
                "amount",
            )
        ]
    return []
