"""KYC as a use case: the trader's verification case (`propdesk.kyc.case`) driven by the KYC workflow, the
provider's webhooks, the trader and staff, over a store Protocol (`propdesk.kyc.store`), the provider port,
the event bus and the workflow callback.

Every act loads the case, applies one pure transition and saves the result with what must follow it (events
to announce, workflows to resume) in one conditional write; a lost race reloads and applies the act again.
Then it carries those effects out and forgets them. Effects left behind by a crash (the bus or Step
Functions failed) stay stored with the case and are carried out by the next act on it, whoever makes it:
at least once (events keep their ids so consumers dedupe; a token resumed twice answers stale).

A provider session is created after the transition asking for it is saved, then reported with
`session_created`, which stores the session's lookup (how a webhook finds its case) and announces
`kyc.requested` with the trader's link. If the provider is down the case waits in `awaiting_session`; the
next act that can reach the provider (the workflow's next try, the webhook's redelivery, the trader's look)
creates it.

The workflow (the KYC gate) calls `request` (open or join the case, create the session), `wait` (park its
callback token until the case concludes), `check` (after its wait timed out: expire the case if the firm's
window is over) and `announce` (the conclusion, its events surely out). Announced: `kyc.requested`,
`kyc.in_review`, `kyc.approved`, `kyc.declined`, `kyc.expired`, and `firm.alert` when the provider reverses
a conclusion. Nothing here logs or stores personal data: the case holds provider ids, codes and dates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from propdesk.access import refuse_own_account
from propdesk.domain_events import (
    DomainEvent,
    FirmAlert,
    KycApproved,
    KycDecided,
    KycDeclined,
    KycExpired,
    KycInReview,
    KycRequested,
    parse,
    stable_id,
)
from propdesk.errors import ConflictError, NotFoundError
from propdesk.kyc.actions import FlagForStaff, NotifyTrader, ResumeWorkflow
from propdesk.kyc.case import (
    CONCLUDED,
    EXPIRABLE,
    CaseStatus,
    KycPolicy,
    Need,
    NeedKind,
    StaffDecision,
    Transition,
    UnknownKycSessionError,
    VerificationCase,
    await_conclusion,
    expire_if_due,
    open_case,
    receive,
    session_created,
    staff_decide,
    staff_reopen,
)
from propdesk.kyc.port import (
    Applicant,
    KycProvider,
    KycProviderUnavailableError,
    ProviderDecision,
    ProviderProgress,
)
from propdesk.kyc.store import (
    Announcement,
    Effect,
    KycCaseStore,
    Resumption,
    SessionLink,
    StaleCaseError,
    StoredCase,
)
from propdesk.ports import Clock, EventPublisher, WorkflowCallback
from propdesk.records import AuditEntry, Page

MAX_RACES = 5  # reload-and-reapply rounds before an act gives up (KycCaseBusyError)
CONCLUSIONS: dict[str, type[KycDecided]] = {
    "approved": KycApproved,
    "declined": KycDeclined,
    "expired": KycExpired,
}

Awaited = Literal["session", "trader", "staff"]
AWAITED: dict[CaseStatus, Awaited] = {
    "awaiting_session": "session",
    "awaiting_trader": "trader",
    "awaiting_staff": "staff",
}
Outcome = Literal["open", "approved", "declined", "expired", "provider_unavailable"]
Apply = Callable[[VerificationCase | None], Transition]
Audit = Callable[[VerificationCase | None, VerificationCase], AuditEntry]


class KycCaseBusyError(ConflictError):
    """The case kept changing under this act (many concurrent writers): try again."""

    code = "kyc_case_busy"


class NoKycCaseError(NotFoundError):
    code = "no_kyc_case"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the case stands after a workflow step. `outcome`: `open` while it waits for the trader, the
    provider or staff; the conclusion once concluded; `provider_unavailable` when its session could not be
    created yet (the workflow waits and asks again)."""

    trader_id: str
    outcome: Outcome
    status: CaseStatus
    attempt: int


def attempt_in_budget(case: VerificationCase) -> int:
    """The current attempt counted against the firm's limit (1 after a staff reopen)."""
    return case.current.number - case.budget_from + 1


def awaited(case: VerificationCase) -> Awaited | None:
    """Who the case waits for: its provider session, the trader, staff; None once it concluded."""
    return AWAITED.get(case.status)


class KycVerification:
    def __init__(
        self,
        store: KycCaseStore,
        clock: Clock,
        publisher: EventPublisher,
        callback: WorkflowCallback,
        policy: KycPolicy,
        provider: KycProvider | None = None,
        return_url: str | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._store = store
        self._clock = clock
        self._publisher = publisher
        self._callback = callback
        self._policy = policy
        self._provider = provider
        self._return_url = return_url
        self._new_id = new_id

    # ---- the workflow (the KYC gate) ----

    def request(self, trader_id: str, kind: NeedKind, reference: str) -> Progress:
        """The trader needs KYC (`kind` of `reference`): expire the case first if its window is over, then
        open it or join it (an approved or declined case answers at once; an expired one starts a new
        window), and create the provider session it waits for."""
        now = self._clock.now()
        stored = self._load(trader_id)
        if stored is not None and stored.case.status in EXPIRABLE and now >= stored.case.deadline:
            self.check(trader_id)
        need = Need(kind, reference)
        transition = self._act(trader_id, lambda case: open_case(case, trader_id, need, self._policy, now))
        if transition.case.status != "awaiting_session":
            return self._progress(transition.case)
        try:
            return self._progress(self._ensure_session(trader_id))
        except KycProviderUnavailableError:
            return replace(self._progress(transition.case), outcome="provider_unavailable")

    def wait(self, trader_id: str, kind: NeedKind, reference: str, task_token: str) -> Progress:
        """Park the workflow's callback token until the case concludes (at once if it has)."""
        need = Need(kind, reference, task_token)
        transition = self._act(trader_id, lambda case: await_conclusion(_existing(case, trader_id), need))
        return self._progress(transition.case)

    def check(self, trader_id: str) -> Progress:
        """Expire the case if the firm's window is over and it does not wait for staff."""
        now = self._clock.now()
        transition = self._act(trader_id, lambda case: expire_if_due(_existing(case, trader_id), now))
        return self._progress(transition.case)

    def announce(self, trader_id: str) -> Progress:
        """The case as it stands, with every pending effect (its conclusion's event) carried out."""
        return self._progress(_existing(_case(self._load(trader_id)), trader_id))

    # ---- the provider ----

    def receive(self, event: ProviderDecision | ProviderProgress) -> Transition:
        """A verified webhook: judged against the case holding its session (unknown sessions are refused:
        `UnknownKycSessionError`). A resubmission's new session is created at once; if the provider is down
        its `KycProviderUnavailableError` propagates (answer so that the provider redelivers: the decision is
        kept, the redelivery is ignored and creates the session)."""
        trader_id = self._store.trader_of_session(event.provider, event.session_id)
        if trader_id is None:
            raise UnknownKycSessionError(
                f"no KYC case holds {event.provider} session {event.session_id!r}", "session_id"
            )
        now = self._clock.now()
        transition = self._act(trader_id, lambda case: receive(_existing(case, trader_id), event, now))
        self._ensure_session(trader_id)
        return transition

    # ---- the trader ----

    def case_of(self, trader_id: str) -> VerificationCase | None:
        """The trader's case; one waiting for its provider session gets it now if the provider answers."""
        stored = self._load(trader_id)
        if stored is None:
            return None
        if stored.case.status == "awaiting_session" and self._provider is not None:
            try:
                return self._ensure_session(trader_id)
            except KycProviderUnavailableError:
                pass  # the case shows that it waits for its session; the next look tries again
        return stored.case

    # ---- staff ----

    def review_queue(self, limit: int = 50, cursor: str | None = None) -> Page[VerificationCase]:
        """The cases waiting for a staff decision, longest waiting first."""
        return self._store.awaiting_staff(limit, cursor)

    def decide(
        self, trader_id: str, decision: StaffDecision, reason: str, actor: str, roles: Sequence[str] = ()
    ) -> Transition:
        """Staff approve or decline (a case waiting for review, or overturning a conclusion), audited."""
        refuse_own_account(actor, trader_id, "decide the KYC case of", "trader_id")
        now = self._clock.now()
        audit = self._audit(f"kyc.{decision}", trader_id, reason, actor, roles, now)
        return self._act(
            trader_id,
            lambda case: staff_decide(_existing(case, trader_id), decision, reason, actor, now),
            audit=audit,
        )

    def reopen(self, trader_id: str, reason: str, actor: str, roles: Sequence[str] = ()) -> VerificationCase:
        """Staff give a declined or expired case a new attempt, window and attempt budget, audited; its
        session is created now if the provider answers (else by the trader's next look)."""
        refuse_own_account(actor, trader_id, "reopen the KYC case of", "trader_id")
        now = self._clock.now()
        audit = self._audit("kyc.reopen", trader_id, reason, actor, roles, now)
        transition = self._act(
            trader_id,
            lambda case: staff_reopen(_existing(case, trader_id), reason, actor, self._policy, now),
            audit=audit,
        )
        return self.case_of(trader_id) or transition.case

    # ---- acting on the case ----

    def _act(
        self,
        trader_id: str,
        apply: Apply,
        sessions: Sequence[SessionLink] = (),
        audit: Audit | None = None,
    ) -> Transition:
        for _ in range(MAX_RACES):
            stored = self._load(trader_id)
            before = stored.case if stored else None
            transition = apply(before)
            changed = transition.case != before
            effects = self._effects(before, transition)
            if not changed and not effects:
                return transition
            entry = audit(before, transition.case) if audit is not None and changed else None
            try:
                version = stored.version if stored else 0
                self._store.save(transition.case, version, effects, sessions if changed else (), entry)
            except StaleCaseError:
                continue
            self._carry_out(trader_id, effects)
            return transition
        raise KycCaseBusyError(f"the KYC case of trader {trader_id!r} kept changing; try again")

    def _load(self, trader_id: str) -> StoredCase | None:
        stored = self._store.load(trader_id)
        if stored is not None and stored.pending:
            self._carry_out(trader_id, stored.pending)
            stored = replace(stored, pending=())
        return stored

    def _carry_out(self, trader_id: str, effects: Sequence[Effect]) -> None:
        if not effects:
            return
        events: list[DomainEvent] = [
            parse(effect.detail_type, effect.detail) for effect in effects if isinstance(effect, Announcement)
        ]
        if events:
            self._publisher.publish(events)
        for effect in effects:
            if isinstance(effect, Resumption):
                self._callback.succeed(effect.task_token, effect.output)  # False: that run is gone
        self._store.settle(trader_id, [effect.effect_id for effect in effects])

    def _ensure_session(self, trader_id: str) -> VerificationCase:
        """Create the provider session the case's current attempt waits for (if it does)."""
        case = _existing(_case(self._load(trader_id)), trader_id)
        if case.status != "awaiting_session":
            return case
        if self._provider is None:
            raise RuntimeError("creating a KYC session needs the provider")
        session = self._provider.create_session(Applicant(case.current.reference, self._return_url))
        now = self._clock.now()
        link = SessionLink(session.provider, session.session_id, trader_id)
        return self._act(
            trader_id,
            lambda current: session_created(_existing(current, trader_id), session, now),
            sessions=(link,),
        ).case

    # ---- what follows a transition ----

    def _effects(self, before: VerificationCase | None, transition: Transition) -> list[Effect]:
        case = transition.case
        effects: list[Effect] = []
        for action in transition.actions:
            if isinstance(action, NotifyTrader) and action.topic in ("verify", "resubmit") and action.url:
                effects.append(_announce(self._requested(case, action.topic == "resubmit", action.url)))
            elif isinstance(action, NotifyTrader) and action.topic == "in_review":
                provider = case.current.provider or "unknown"
                event_id = stable_id("kyc.in_review", case.current.reference)
                review = KycInReview(
                    event_id=event_id,
                    occurred_at=self._clock.now(),
                    trader_id=case.trader_id,
                    attempt=attempt_in_budget(case),
                    provider=provider,
                )
                effects.append(_announce(review))
            elif isinstance(action, ResumeWorkflow):
                output = {"trader_id": case.trader_id, "outcome": action.outcome}
                effects.extend(
                    Resumption(stable_id("kyc.resume", token, action.outcome), token, output)
                    for token in action.waiters
                )
                if case.status in CONCLUDED and (before is None or before.status != case.status):
                    effects.append(_announce(self._conclusion(before, case)))
            elif isinstance(action, FlagForStaff):
                effects.append(_announce(self._flag(action)))
        return effects

    def _requested(self, case: VerificationCase, resubmission: bool, url: str) -> KycRequested:
        attempt = case.current
        return KycRequested(
            event_id=stable_id("kyc.requested", attempt.reference, attempt.session_id),
            occurred_at=self._clock.now(),
            trader_id=case.trader_id,
            attempt=attempt_in_budget(case),
            attempts_allowed=case.max_attempts,
            resubmission=resubmission,
            provider=attempt.provider or "unknown",
            url=url,
            deadline=case.deadline,
        )

    def _conclusion(self, before: VerificationCase | None, case: VerificationCase) -> KycDecided:
        decided_at = case.decided_at or self._clock.now()
        staff = case.decided_by not in (None, "provider")
        funded = next((n.reference for n in (before.needs if before else ()) if n.kind == "funded"), None)
        announcement = CONCLUSIONS[case.status]
        return announcement(
            event_id=stable_id(f"kyc.{case.status}", case.trader_id, decided_at.isoformat(), case.decided_by),
            occurred_at=decided_at,
            trader_id=case.trader_id,
            account_id=funded,
            verification_id=case.current.session_id,
            attempt=attempt_in_budget(case),
            decided_by="staff" if staff else "provider",
            reason=case.decision_reason,
            reason_codes=list(case.current.reason_codes),
        )

    def _flag(self, flag: FlagForStaff) -> FirmAlert:
        return FirmAlert(
            event_id=stable_id("kyc.flag", flag.trader_id, flag.reason, flag.provider_code),
            occurred_at=self._clock.now(),
            severity="warning",
            subject="kyc.provider_reversed",
            message=f"the KYC provider answered {flag.provider_outcome} ({flag.provider_code}) on a "
            f"concluded case ({flag.reason}); the case is unchanged: staff should look",
            trader_id=flag.trader_id,
        )

    def _audit(
        self, action: str, trader_id: str, reason: str, actor: str, roles: Sequence[str], at: datetime
    ) -> Audit:
        def entry(before: VerificationCase | None, after: VerificationCase) -> AuditEntry:
            return AuditEntry(
                entry_id=self._new_id(),
                at=at,
                actor=actor,
                action=action,
                subject=f"TRADER#{trader_id}",
                actor_roles=tuple(sorted(roles)),
                reason=reason.strip(),
                before=_summary(before) if before else None,
                after=_summary(after),
            )

        return entry

    def _progress(self, case: VerificationCase) -> Progress:
        outcome: Outcome = case.status if case.status in ("approved", "declined", "expired") else "open"
        return Progress(case.trader_id, outcome, case.status, attempt_in_budget(case))


def _case(stored: StoredCase | None) -> VerificationCase | None:
    return stored.case if stored else None


def _existing(case: VerificationCase | None, trader_id: str) -> VerificationCase:
    if case is None:
        raise NoKycCaseError(f"trader {trader_id!r} has no KYC case", "trader_id")
    return case


def _announce(event: DomainEvent) -> Announcement:
    return Announcement(event.event_id, event.detail_type, event.model_dump(mode="json"))


def _summary(case: VerificationCase) -> dict[str, object]:
    """What the audit keeps of a case: its state, never a link or personal data."""
    return {
        "status": case.status,
        "attempt": case.current.number,
        "decided_by": case.decided_by,
        "decision_reason": case.decision_reason,
    }
