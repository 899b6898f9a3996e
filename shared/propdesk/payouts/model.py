"""A payout request and its life: requested → approved | rejected (decided once, by finance); approved →
paid is the payout workflow's step (a later issue). Requested and approved payouts are *open*: an account has
at most one open payout."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

PayoutStatus = Literal["requested", "approved", "rejected", "paid"]
Decision = Literal["approve", "reject"]
PAYOUT_STATUSES: tuple[PayoutStatus, ...] = ("requested", "approved", "rejected", "paid")
OPEN_STATUSES: frozenset[PayoutStatus] = frozenset({"requested", "approved"})
WITHDRAWN_STATUSES: frozenset[PayoutStatus] = frozenset({"approved", "paid"})  # count toward split tiers
STATUS_AFTER: dict[Decision, PayoutStatus] = {"approve": "approved", "reject": "rejected"}


class AlreadyDecidedError(Exception):
    """The payout is no longer waiting for a decision."""

    def __init__(self, payout: Payout) -> None:
        super().__init__(f"payout {payout.payout_id} is {payout.status} already")
        self.payout = payout


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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def event_pending(self) -> bool:
        """The status changed but its domain event was not published yet (a failure in between)."""
        return self.published_status != self.status


def decide(payout: Payout, decision: Decision, actor: str, reason: str, at: datetime) -> Payout:
    """The payout after finance's decision; raises `AlreadyDecidedError` unless it is still requested."""
    if payout.status != "requested":
        raise AlreadyDecidedError(payout)
    return replace(
        payout, status=STATUS_AFTER[decision], decided_at=at, decided_by=actor, decision_reason=reason
    )
