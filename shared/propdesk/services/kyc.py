"""KYC workflow steps: wait for the provider with the workflow's task token, resume it on the decision,
record and announce the decision.

The webhook resumes the workflow before marking the case decided: if marking fails, the provider's retry
finds the case still pending and the token already used (`succeed` answers False), and marks it then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from propdesk.domain_events import (
    KycApproved,
    KycDecided,
    KycDeclined,
    KycResubmissionRequested,
    stable_id,
)
from propdesk.errors import NotFoundError
from propdesk.ports import Clock, EventPublisher, WorkflowCallback
from propdesk.records import KycCase, KycStatus


class KycCases(Protocol):
    """One KYC case per trader (`propdesk.data.kyc.KycRepository`)."""

    def open(self, case: KycCase) -> None: ...

    def get(self, trader_id: str) -> KycCase | None:
        """A strongly consistent read."""
        ...

    def decide(
        self, trader_id: str, task_token: str, status: KycStatus, verification_id: str | None, at: datetime
    ) -> bool:
        """Record the decision on the pending case holding `task_token`; False if not pending any more."""
        ...


ANNOUNCEMENTS: dict[str, type[KycDecided]] = {
    "approved": KycApproved,
    "declined": KycDeclined,
    "resubmission": KycResubmissionRequested,
}


class KycService:
    def __init__(
        self,
        kyc: KycCases,
        clock: Clock,
        callback: WorkflowCallback | None = None,
        publisher: EventPublisher | None = None,
    ) -> None:
        self._kyc = kyc
        self._clock = clock
        self._callback = callback
        self._publisher = publisher

    def request(self, trader_id: str, account_id: str, task_token: str) -> KycCase:
        """Open a pending case holding the workflow's task token (the workflow now waits for the webhook)."""
        case = KycCase(
            trader_id=trader_id,
            account_id=account_id,
            status="pending",
            task_token=task_token,
            requested_at=self._clock.now(),
        )
        self._kyc.open(case)
        return case

    def receive_decision(self, trader_id: str, decision: KycStatus, verification_id: str) -> str:
        """The provider decided: resume the waiting workflow (`resumed`, `already_resumed` or `ignored`)."""
        if self._callback is None:
            raise RuntimeError("receive_decision needs a workflow callback")
        case = self._kyc.get(trader_id)
        if case is None or case.status != "pending":
            return "ignored"
        resumed = self._callback.succeed(
            case.task_token, {"decision": decision, "verification_id": verification_id}
        )
        self._kyc.decide(trader_id, case.task_token, decision, verification_id, self._clock.now())
        return "resumed" if resumed else "already_resumed"

    def record_decision(self, trader_id: str, decision: KycStatus) -> KycDecided:
        """The workflow's last step: make sure the case holds the decision, and announce it."""
        if self._publisher is None:
            raise RuntimeError("record_decision needs an event publisher")
        case = self._kyc.get(trader_id)
        if case is None:
            raise NotFoundError(f"no KYC case for trader {trader_id!r}", "trader_id")
        if case.status == "pending":
            self._kyc.decide(trader_id, case.task_token, decision, case.verification_id, self._clock.now())
        announcement = ANNOUNCEMENTS[decision](
            event_id=stable_id("kyc", trader_id, case.task_token, decision),
            occurred_at=self._clock.now(),
            trader_id=trader_id,
            account_id=case.account_id,
            verification_id=case.verification_id,
        )
        self._publisher.publish([announcement])
        return announcement
