"""`deny_payout`: the payouts still waiting on an account refused because of an abuse decision.

A payout requested before the flag was raised may be waiting for finance's approval (or be approved and
about to be withdrawn): the hold the flag placed refuses new requests and the workflow's screen, not that
one. Denying refuses it the way the workflow's own checks do: the payout moves to `rejected` (decided by
`system:abuse`, with a reason that names no detector), audited, `payout.rejected` tells the trader, and a
workflow waiting for the approval is resumed with the rejection (one that has not reached the wait yet stops
at its next step, which finds the payout rejected). A payout already withdrawn or being paid is past
stopping: it is left to its workflow and reported (`PayoutDenial.left`), for staff.

An approved payout whose withdrawal had started (its `withdraw` step asked the platform and died, or is
asking now) is denied too, and the platform's booking, if it stands, is put back once
(`propdesk.payouts.put_back`): money that left the account for a payout nobody pays goes back.

Idempotent: a payout already rejected by this denial is skipped (its event sent again if it was lost); every
write is conditional on the revision read (a payout the workflow moved meanwhile is read again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from propdesk.domain_events import PayoutRejected, stable_id
from propdesk.payouts.model import Payout, PayoutStatus, moved
from propdesk.payouts.put_back import PutBack, withdrawal_in_doubt
from propdesk.payouts.store import PayoutMovedError
from propdesk.ports import EventPublisher, WorkflowCallback
from propdesk.records import AuditEntry

DENIAL_ACTOR = "system:abuse"
DENIAL_REASON = "payout_denied_after_review"  # what the trader is told (payout.rejected's reason)
DENIED = "payouts on this account were denied after a review"
DENIABLE: frozenset[PayoutStatus] = frozenset({"requested", "approved"})
PAST_STOPPING: frozenset[PayoutStatus] = frozenset({"withdrawn", "paying"})
MAX_ATTEMPTS = 3


class DeniablePayouts(Protocol):
    """What the denial needs of the payout store (`propdesk.payouts.store.PayoutStore` has it)."""

    def get(self, payout_id: str) -> Payout | None: ...

    def all_for_account(self, account_id: str) -> list[Payout]: ...

    def update(self, changed: Payout, entry: AuditEntry | None = None) -> None: ...

    def mark_published(self, payout_id: str, status: PayoutStatus) -> None: ...

    def token(self, payout_id: str, step: str) -> str | None: ...


class StartedWithdrawalPutBack(Protocol):
    """`propdesk.payouts.put_back.StartedWithdrawals` (through the platform port)."""

    def put_back(self, payout: Payout) -> PutBack: ...


@dataclass(frozen=True, slots=True)
class Denied:
    refused: tuple[str, ...]  # payout ids rejected (now or by an earlier run of the same denial)
    left: tuple[str, ...]  # withdrawn or being paid: past stopping


class PayoutDenial:
    def __init__(
        self,
        payouts: DeniablePayouts,
        publisher: EventPublisher,
        callback: WorkflowCallback,
        new_id: Callable[[], str],
        withdrawals: StartedWithdrawalPutBack,
    ) -> None:
        self._payouts = payouts
        self._publisher = publisher
        self._callback = callback
        self._new_id = new_id
        self._withdrawals = withdrawals

    def deny(self, account_id: str, flag_id: str, at: datetime) -> Denied:
        refused: list[str] = []
        left: list[str] = []
        for payout in self._payouts.all_for_account(account_id):
            if payout.status in PAST_STOPPING:
                left.append(payout.payout_id)
            elif payout.status in DENIABLE:
                if self._refuse(payout, flag_id, at):
                    refused.append(payout.payout_id)
            elif _denied_by_us(payout):
                if payout.event_pending:
                    self._announce(payout)
                self._put_back(payout)  # a denial that died before its put-back
                self._resume(payout)
                refused.append(payout.payout_id)
        return Denied(tuple(refused), tuple(left))

    def _refuse(self, payout: Payout, flag_id: str, at: datetime) -> bool:
        current: Payout | None = payout
        for _ in range(MAX_ATTEMPTS):
            if current is None or current.status not in DENIABLE:
                return current is not None and _denied_by_us(current)
            rejected = moved(
                current, "rejected", at, decided_at=at, decided_by=DENIAL_ACTOR,
                decision_reason=DENIAL_REASON, failure_reason=DENIED,
            )  # fmt: skip
            try:
                self._payouts.update(rejected, self._entry(current, rejected, flag_id, at))
            except PayoutMovedError:
                current = self._payouts.get(payout.payout_id)
                continue
            self._announce(rejected)
            self._put_back(rejected)
            self._resume(rejected)
            return True
        return False  # the workflow kept moving it: the payout's own checks see the hold

    def _announce(self, payout: Payout) -> None:
        decided_at = payout.decided_at or payout.status_at
        self._publisher.publish(
            [
                PayoutRejected(
                    event_id=stable_id("payout.rejected", payout.payout_id),
                    occurred_at=decided_at,
                    account_id=payout.account_id,
                    trader_id=payout.trader_id,
                    payout_id=payout.payout_id,
                    amount=payout.amount,
                    trader_share=payout.trader_share,
                    currency=payout.currency,
                    decided_at=decided_at,
                    reason=payout.decision_reason or DENIAL_REASON,
                )
            ]
        )
        self._payouts.mark_published(payout.payout_id, payout.status)

    def _put_back(self, payout: Payout) -> None:
        """The platform's booking of a withdrawal that had started, if it stands, goes back (once)."""
        if withdrawal_in_doubt(payout):
            self._withdrawals.put_back(payout)

    def _resume(self, payout: Payout) -> None:
        """A workflow waiting for finance's approval goes on with the rejection (as finance's would)."""
        token = self._payouts.token(payout.payout_id, "approval")
        if token is not None:
            self._callback.succeed(token, {"decision": "reject", "payout_id": payout.payout_id})

    def _entry(self, before: Payout, after: Payout, flag_id: str, at: datetime) -> AuditEntry:
        figures = {"payout_id": before.payout_id, "amount": f"{before.amount:.2f}",
                   "trader_share": f"{before.trader_share:.2f}"}  # fmt: skip
        return AuditEntry(
            entry_id=self._new_id(),
            at=at,
            actor=DENIAL_ACTOR,
            actor_roles=(),
            action="payout.rejected",
            subject=f"ACCOUNT#{before.account_id}",
            reason=f"payouts denied by the decision on abuse flag {flag_id}",
            before={**figures, "status": before.status},
            after={**figures, "status": after.status, "flag_id": flag_id},
        )


def _denied_by_us(payout: Payout) -> bool:
    return payout.status == "rejected" and payout.decided_by == DENIAL_ACTOR
