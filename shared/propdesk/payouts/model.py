"""A payout request and its life (the payout workflow, `propdesk.payouts.workflow`):

    requested ─► approved ─► withdrawn ─► paying ─► paid
        │            │           │           │       │
        └─► rejected ◄┘           └─────► failed ◄──────┘ (the withdrawal put back on the account; after
                                                           `paid` when the rail returns the payment)

Requested, approved, withdrawn and paying payouts are *open*: an account has at most one open payout. Every
change bumps `revision` (stores write on the condition that nobody changed the payout since it was read) and
appends the new status with its time to `timeline`, which the trader sees."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

PayoutStatus = Literal["requested", "approved", "rejected", "withdrawn", "paying", "paid", "failed"]
Decision = Literal["approve", "reject"]
PAYOUT_STATUSES: tuple[PayoutStatus, ...] = (
    "requested", "approved", "rejected", "withdrawn", "paying", "paid", "failed",
)  # fmt: skip
OPEN_STATUSES: frozenset[PayoutStatus] = frozenset({"requested", "approved", "withdrawn", "paying"})
# Count toward split tiers and payout numbers: approved, on its way, or paid.
WITHDRAWN_STATUSES: frozenset[PayoutStatus] = frozenset({"approved", "withdrawn", "paying", "paid"})
# The platform booked the withdrawal and it was not put back: the profit left the account.
BOOKED_STATUSES: frozenset[PayoutStatus] = frozenset({"withdrawn", "paying", "paid"})
# Statuses announced as a domain event (`payout.<status>`); the steps in between are not.
ANNOUNCED_STATUSES: frozenset[PayoutStatus] = frozenset(
    {"requested", "approved", "rejected", "paid", "failed"}
)
STATUS_AFTER: dict[Decision, PayoutStatus] = {"approve": "approved", "reject": "rejected"}


class AlreadyDecidedError(Exception):
    """The payout is no longer waiting for a decision."""

    def __init__(self, payout: Payout) -> None:
        super().__init__(f"payout {payout.payout_id} is {payout.status} already")
        self.payout = payout


@dataclass(frozen=True, slots=True)
class Extra:
    """An amount owed to the trader beyond the split (0 when not owed), with the reason either way: the fee
    refund, the challenge-phase share, the share of profit before a breach (`propdesk.payouts.extras`)."""

    kind: str  # fee_refund | challenge_share | breach_share
    amount: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a payout's life as the trader sees it: the status and when it was reached."""

    status: PayoutStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class Payout:
    """`amount` is the profit taken off the account; the trader receives `trader_share` of it."""

    payout_id: str
    account_id: str
    trader_id: str
    status: PayoutStatus
    currency: str
    amount: Decimal
    trader_share: Decimal
    firm_share: Decimal
    requested_at: datetime
    request_fingerprint: str = ""  # what the request asked, to tell a replay from a reused Idempotency-Key
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    published_status: PayoutStatus | None = None  # the last status whose domain event went out
    revision: int = 0  # bumped by every change (optimistic concurrency)
    approvals: tuple[str, ...] = ()  # the finance members who approved (two-person approval: two of them)
    timeline: tuple[StatusChange, ...] = ()  # every status after `requested`, with its time
    rail: str | None = None  # the rail that pays it, and the rail's reference of the payment
    rail_reference: str | None = None
    destination: str | None = None  # masked, never in clear
    paid_amount: Decimal | None = None  # what reached the trader
    fees: Decimal | None = None  # the rail's fees charged to the trader
    # Paid on top of the trader's share (the fee refund...): only those owed, fixed at the request.
    extras: tuple[Extra, ...] = ()
    failure_reason: str | None = None
    updated_at: datetime | None = None
    # Written before the platform is asked to book the withdrawal: a payout that ends without reaching
    # `withdrawn` after this may have a booking to put back (`propdesk.payouts.put_back`).
    withdrawal_started_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def booked(self) -> bool:
        """The profit left the account on the platform (and was not put back)."""
        return self.status in BOOKED_STATUSES

    @property
    def fee_refund(self) -> Decimal:
        return sum((extra.amount for extra in self.extras if extra.kind == "fee_refund"), Decimal(0))

    @property
    def to_pay(self) -> Decimal:
        """What the rail is asked to pay (before its fees): the trader's share and the extras."""
        return self.trader_share + sum((extra.amount for extra in self.extras), Decimal(0))

    @property
    def status_at(self) -> datetime:
        """When the payout reached its current status."""
        return self.timeline[-1].at if self.timeline else self.requested_at

    @property
    def event_pending(self) -> bool:
        """The status changed but its domain event was not published yet (a failure in between)."""
        return self.status in ANNOUNCED_STATUSES and self.published_status != self.status


def moved(payout: Payout, status: PayoutStatus, at: datetime, **changes: Any) -> Payout:
    """The payout in `status` from `at` (one more revision, the step on its timeline)."""
    timeline = payout.timeline if status == payout.status else (*payout.timeline, StatusChange(status, at))
    return replace(
        payout, status=status, revision=payout.revision + 1, timeline=timeline, updated_at=at, **changes
    )


def decide(payout: Payout, decision: Decision, actor: str, reason: str, at: datetime) -> Payout:
    """The payout after finance's decision; raises `AlreadyDecidedError` unless it is still requested."""
    if payout.status != "requested":
        raise AlreadyDecidedError(payout)
    approvals = (*payout.approvals, actor) if decision == "approve" else payout.approvals
    return moved(
        payout, STATUS_AFTER[decision], at, decided_at=at, decided_by=actor, decision_reason=reason,
        approvals=approvals,
    )  # fmt: skip


def approve_once(payout: Payout, actor: str, at: datetime) -> Payout:
    """The first of two approvals: recorded, the payout stays requested until a different member approves."""
    if payout.status != "requested":
        raise AlreadyDecidedError(payout)
    return moved(payout, "requested", at, approvals=(*payout.approvals, actor))
