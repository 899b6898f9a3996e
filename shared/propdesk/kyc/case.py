"""A trader's KYC case: a pure state machine over attempts, each verified in its own provider session.

A case is opened when the trader first needs KYC (reaching the funded stage, or a payout) and asks for a
provider session for attempt 1. The provider's decision on the current attempt moves the case:

    approved                 -> approved (absorbing: only staff may change it)
    declined                 -> declined (only staff may reopen it or overturn it)
    resubmission_requested   -> a new attempt (a new session), up to the firm's attempt limit, then declined
    review                   -> waits for a staff decision (approve or decline, with a reason)
    expired (the provider's) -> a new attempt while the window is open and attempts remain, else expired

No decision within the firm's window (`KycPolicy.decision_window`, counted from opening) expires the case,
unless it waits for staff (the trader did their part). A late provider decision on the current attempt of an
expired case is still honoured when it concludes (approved, declined); a late review is flagged for staff.

Every transition returns the new case and what to do next (`propdesk.kyc.actions`). Webhooks are judged
against the case, never blindly applied: one for a session the case does not know is refused
(`UnknownKycSessionError`, the provider redelivers later); one for an older attempt's session, a duplicate, or
one arriving after the case concluded is ignored with a reason. So any order or duplication of the provider's
webhooks leads to the same final case (tests/unit/kyc/test_kyc_case_properties.py).

Staff acts are audited by the caller; the case records who decided and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from propdesk.errors import ConflictError, InvalidInputError, NotFoundError
from propdesk.kyc.actions import (
    Action,
    Conclusion,
    CreateSession,
    FlagForStaff,
    NoticeTopic,
    NotifyTrader,
    ResumeWorkflow,
    ScheduleExpiry,
    WaitForStaff,
)
from propdesk.kyc.port import KycProviderName, KycSession, Outcome, ProviderDecision, ProviderProgress

CaseStatus = Literal[
    "awaiting_session", "awaiting_trader", "awaiting_staff", "approved", "declined", "expired"
]
NeedKind = Literal["funded", "payout"]
StaffDecision = Literal["approve", "decline"]
Verdict = Literal["applied", "ignored", "acknowledged"]

PROVIDER = "provider"  # `decided_by` when the provider's decision concluded the case
MAX_WAITERS = 4  # callback tokens kept per need (the newest runs of it)

# The explicit transitions (from -> to); the staff-only ones may be taken by staff acts alone.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    "awaiting_session": frozenset({"awaiting_trader", "expired"}),
    "awaiting_trader": frozenset({"awaiting_session", "awaiting_staff", "approved", "declined", "expired"}),
    "awaiting_staff": frozenset({"awaiting_session", "approved", "declined", "expired"}),
    "approved": frozenset({"declined"}),
    "declined": frozenset({"approved", "awaiting_session"}),
    "expired": frozenset({"awaiting_session", "approved", "declined"}),
}
STAFF_ONLY: frozenset[tuple[CaseStatus, CaseStatus]] = frozenset(
    {("approved", "declined"), ("declined", "approved"), ("declined", "awaiting_session")}
)
CONCLUDED: frozenset[CaseStatus] = frozenset({"approved", "declined", "expired"})
EXPIRABLE: frozenset[CaseStatus] = frozenset({"awaiting_session", "awaiting_trader"})


class UnknownKycSessionError(NotFoundError):
    """A webhook for a provider session that no attempt of the case holds: refused (404, so the provider
    redelivers it; a session the case records later is then known)."""

    code = "unknown_kyc_session"


class KycCaseConflictError(ConflictError):
    """The act does not apply to the case in its current state (e.g. a staff decision on a case that does not
    wait for one)."""

    code = "kyc_case_conflict"


@dataclass(frozen=True, slots=True)
class KycPolicy:
    """The firm's KYC settings, pinned on the case when it opens (or is reopened)."""

    max_attempts: int = 3
    decision_window: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidInputError("a KYC case needs at least one attempt", "max_attempts")
        if self.decision_window <= timedelta(0):
            raise InvalidInputError("the KYC decision window must be positive", "decision_window")


@dataclass(frozen=True, slots=True)
class Need:
    """Why the trader needs KYC: reaching the funded stage of `reference` (an account) or a payout
    (`reference`: the payout). `waiter` is the callback token of the workflow waiting on the case."""

    kind: NeedKind
    reference: str
    waiter: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at verification in one provider session. `outcome` and the provider's codes are the last
    decision the case accepted for it."""

    number: int
    reference: str
    opened_at: datetime
    provider: KycProviderName | None = None
    session_id: str | None = None
    url: str | None = None
    outcome: Outcome | None = None
    provider_code: str | None = None
    reason_codes: tuple[str, ...] = ()
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VerificationCase:
    trader_id: str
    status: CaseStatus
    opened_at: datetime
    deadline: datetime  # the firm's decision window ends here
    max_attempts: int
    attempts: tuple[Attempt, ...]
    budget_from: int = 1  # attempts are counted against `max_attempts` from this attempt number
    needs: tuple[Need, ...] = ()
    decided_at: datetime | None = None
    decided_by: str | None = None  # PROVIDER or the staff member's id
    decision_reason: str | None = None

    @property
    def current(self) -> Attempt:
        return self.attempts[-1]

    @property
    def attempts_left(self) -> int:
        return self.max_attempts - (self.current.number - self.budget_from + 1)

    def attempt_of_session(self, provider: KycProviderName, session_id: str) -> Attempt | None:
        return next((a for a in self.attempts if a.session_id == session_id and a.provider == provider), None)


@dataclass(frozen=True, slots=True)
class Transition:
    """The case after an event and what to do next. `verdict`: `applied` (the case changed, or only actions
    follow), `ignored` (nothing to do; `reason` says why) or `acknowledged` (progress noted, no change)."""

    case: VerificationCase
    actions: tuple[Action, ...] = ()
    verdict: Verdict = "applied"
    reason: str | None = None


def attempt_reference(trader_id: str, number: int) -> str:
    """Our name for an attempt, sent to the provider (opaque to it: no personal data)."""
    return f"kyc-{trader_id}-{number}"


def parse_attempt_reference(reference: str) -> tuple[str, int] | None:
    """(trader id, attempt number) of a reference made by `attempt_reference`; None for anything else."""
    if not reference.startswith("kyc-"):
        return None
    trader_id, _, number = reference[4:].rpartition("-")
    if not trader_id or not number.isdigit():
        return None
    return trader_id, int(number)


# ---- opening ----


def open_case(
    case: VerificationCase | None, trader_id: str, need: Need, policy: KycPolicy, at: datetime
) -> Transition:
    """The trader needs KYC. A first need opens the case (attempt 1); a further need while the case is open
    joins the waiters; an approved or declined case answers at once (never reset: a redelivered
    `account.passed` changes nothing); an expired case starts over with a new window."""
    if not trader_id:
        raise InvalidInputError("a KYC case needs a trader", "trader_id")
    if case is None:
        opened = VerificationCase(
            trader_id=trader_id,
            status="awaiting_session",
            opened_at=at,
            deadline=at + policy.decision_window,
            max_attempts=policy.max_attempts,
            attempts=(Attempt(1, attempt_reference(trader_id, 1), at),),
            needs=(need,),
        )
        return Transition(opened, (_create_session(opened), ScheduleExpiry(trader_id, opened.deadline)))
    if case.trader_id != trader_id:
        raise InvalidInputError("the case belongs to another trader", "trader_id")
    if case.status in ("approved", "declined"):
        waiters = (need.waiter,) if need.waiter else ()
        answer = ResumeWorkflow(trader_id, case.status, waiters)
        return Transition(case, (answer,), "ignored", f"already_{case.status}")
    if case.status == "expired":
        return _new_window(case, policy, at, needs=(need,))
    if any((n.kind, n.reference) == (need.kind, need.reference) for n in case.needs):
        return Transition(case, (), "ignored", "duplicate_need")
    return Transition(replace(case, needs=(*case.needs, need)))


def await_conclusion(case: VerificationCase, need: Need) -> Transition:
    """A workflow parks its callback token (`need.waiter`) until the case concludes. A concluded case
    answers at once (approved, declined or expired: the waiter decides what follows); an open case keeps the
    token among the need's waiters (a need opened by `open_case` without a token, or a further run of the
    same need: a retried or redelivered workflow). Each need keeps its `MAX_WAITERS` newest tokens; an older
    one belongs to a run that gave up (its callback is refused as stale), and that run's own timeout asks
    the case again."""
    if not need.waiter:
        raise InvalidInputError("waiting on a KYC case needs the workflow's callback token", "task_token")
    if case.status in ("approved", "declined", "expired"):
        answer = ResumeWorkflow(case.trader_id, case.status, (need.waiter,))
        return Transition(case, (answer,), "ignored", f"already_{case.status}")
    same = [n for n in case.needs if (n.kind, n.reference) == (need.kind, need.reference)]
    if any(n.waiter == need.waiter for n in same):
        return Transition(case, (), "ignored", "duplicate_waiter")
    kept = [n for n in same if n.waiter][-(MAX_WAITERS - 1) :]
    others = tuple(n for n in case.needs if (n.kind, n.reference) != (need.kind, need.reference))
    return Transition(replace(case, needs=(*others, *kept, need)))


def session_created(case: VerificationCase, session: KycSession, at: datetime) -> Transition:
    """The provider session for an attempt is open: the trader gets the link. Only the first session told
    for an attempt counts (a repeated or concurrent creation is ignored)."""
    attempt = next((a for a in case.attempts if a.reference == session.reference), None)
    if attempt is None:
        raise InvalidInputError("no attempt of the case has this reference", "reference")
    if attempt is not case.current:
        return Transition(case, (), "ignored", "older_attempt")
    if attempt.session_id is not None:
        same = (attempt.provider, attempt.session_id) == (session.provider, session.session_id)
        return Transition(case, (), "ignored", "duplicate" if same else "session_already_created")
    if case.status != "awaiting_session":
        return Transition(case, (), "ignored", f"case_{case.status}")
    updated = replace(attempt, provider=session.provider, session_id=session.session_id, url=session.url)
    moved = _move(_with_current(case, updated), "awaiting_trader")
    previous = case.attempts[-2] if len(case.attempts) > 1 else None
    topic: NoticeTopic = "resubmit" if previous and previous.outcome == "resubmission_requested" else "verify"
    return Transition(moved, (NotifyTrader(case.trader_id, topic, session.url),))


# ---- the provider's webhooks ----


def receive(case: VerificationCase, event: ProviderDecision | ProviderProgress, at: datetime) -> Transition:
    """Judge a verified webhook against the case (see the module docstring)."""
    attempt = case.attempt_of_session(event.provider, event.session_id)
    if attempt is None:
        raise UnknownKycSessionError(
            f"no attempt of the KYC case holds {event.provider} session {event.session_id!r}", "session_id"
        )
    if isinstance(event, ProviderProgress):
        return Transition(case, (), "acknowledged", event.stage)
    if attempt is not case.current:
        return Transition(case, (), "ignored", "older_attempt")
    if case.status in ("approved", "declined"):
        return _after_conclusion(case, event)
    if case.status == "expired":
        return _late_decision(case, event, at)
    if case.status == "awaiting_staff" and event.outcome == "review":
        return Transition(case, (), "ignored", "duplicate")
    return _decide(case, event, at)


def _decide(case: VerificationCase, decision: ProviderDecision, at: datetime) -> Transition:
    recorded = _record(case, decision)
    decided_at = decision.decided_at or at
    if decision.outcome in ("approved", "declined"):
        return _conclude(recorded, decision.outcome, decided_at, PROVIDER, None)
    if decision.outcome == "review":
        wait = WaitForStaff(
            case.trader_id, case.current.reference, decision.provider_code, decision.reason_codes
        )
        notice = NotifyTrader(case.trader_id, "in_review")
        return Transition(_move(recorded, "awaiting_staff"), (wait, notice))
    if recorded.attempts_left > 0 and (decision.outcome == "resubmission_requested" or at < case.deadline):
        return _next_attempt(recorded, at)
    if decision.outcome == "resubmission_requested":
        return _conclude(recorded, "declined", decided_at, PROVIDER, "attempts_exhausted")
    return _conclude(recorded, "expired", decided_at, PROVIDER, "session_expired")


def _after_conclusion(case: VerificationCase, decision: ProviderDecision) -> Transition:
    if decision.outcome == case.current.outcome or decision.outcome == case.status:
        return Transition(case, (), "ignored", "duplicate")
    reversed_to = {"approved": "declined", "declined": "approved"}[case.status]
    if decision.outcome == reversed_to:
        flag = FlagForStaff(
            case.trader_id,
            f"provider_{decision.outcome}_after_{case.status}",
            decision.outcome,
            decision.provider_code,
        )
        return Transition(case, (flag,), "ignored", f"case_{case.status}")
    return Transition(case, (), "ignored", f"case_{case.status}")


def _late_decision(case: VerificationCase, decision: ProviderDecision, at: datetime) -> Transition:
    """The case expired, then the provider decided on the attempt the trader was doing: a conclusion still
    counts; a review is flagged for staff (the case stays expired, whatever order the two came in); anything
    asking the trader for more waits for the next need."""
    if decision.outcome in ("approved", "declined"):
        return _decide(case, decision, at)
    actions: tuple[Action, ...] = ()
    if decision.outcome == "review":
        flag = FlagForStaff(case.trader_id, "provider_review_after_expired", "review", decision.provider_code)
        actions = (flag,)
    return Transition(case, actions, "ignored", "case_expired")


# ---- staff ----


def staff_decide(
    case: VerificationCase, decision: StaffDecision, reason: str, actor: str, at: datetime
) -> Transition:
    """A staff member approves or declines: the case waiting for review, or (overriding) an approved case
    (decline) or a declined one (approve). The caller audits the act."""
    if not reason.strip():
        raise InvalidInputError("a staff decision needs a reason", "reason")
    if not actor:
        raise InvalidInputError("a staff decision needs the staff member", "actor")
    target: Conclusion = "approved" if decision == "approve" else "declined"
    if case.status == target:
        return Transition(case, (), "ignored", f"already_{target}")
    if case.status not in ("awaiting_staff", "approved", "declined"):
        raise KycCaseConflictError(f"a KYC case that is {case.status} does not wait for a staff decision")
    return _conclude(case, target, at, actor, reason.strip(), by_staff=True)


def staff_reopen(
    case: VerificationCase, reason: str, actor: str, policy: KycPolicy, at: datetime
) -> Transition:
    """Staff give a declined or expired case a new attempt, a fresh window and a fresh attempt budget."""
    if not reason.strip():
        raise InvalidInputError("reopening a KYC case needs a reason", "reason")
    if case.status not in ("declined", "expired"):
        raise KycCaseConflictError(f"a KYC case that is {case.status} cannot be reopened")
    return _new_window(case, policy, at, needs=(), by_staff=True)


# ---- time ----


def expire_if_due(case: VerificationCase, at: datetime) -> Transition:
    """The firm's window is over and the trader has not got a decision: the case expires (a case waiting for
    staff does not: the trader did their part)."""
    if case.status not in EXPIRABLE:
        return Transition(case, (), "ignored", f"case_{case.status}")
    if at < case.deadline:
        return Transition(case, (), "ignored", "not_due")
    return _conclude(case, "expired", at, PROVIDER, "decision_window_elapsed")


# ---- helpers ----


def _record(case: VerificationCase, decision: ProviderDecision) -> VerificationCase:
    attempt = replace(
        case.current,
        outcome=decision.outcome,
        provider_code=decision.provider_code,
        reason_codes=decision.reason_codes,
        decided_at=decision.decided_at,
    )
    return _with_current(case, attempt)


def _conclude(
    case: VerificationCase,
    outcome: Conclusion,
    at: datetime,
    decided_by: str,
    reason: str | None,
    by_staff: bool = False,
) -> Transition:
    concluded = replace(
        _move(case, outcome, by_staff), needs=(), decided_at=at, decided_by=decided_by, decision_reason=reason
    )
    waiters = tuple(n.waiter for n in case.needs if n.waiter)
    actions: tuple[Action, ...] = (
        NotifyTrader(case.trader_id, outcome),
        ResumeWorkflow(case.trader_id, outcome, waiters),
    )
    return Transition(concluded, actions)


def _next_attempt(case: VerificationCase, at: datetime) -> Transition:
    number = case.current.number + 1
    attempt = Attempt(number, attempt_reference(case.trader_id, number), at)
    moved = replace(_move(case, "awaiting_session"), attempts=(*case.attempts, attempt))
    return Transition(moved, (_create_session(moved),))


def _new_window(
    case: VerificationCase, policy: KycPolicy, at: datetime, needs: tuple[Need, ...], by_staff: bool = False
) -> Transition:
    number = case.current.number + 1
    attempt = Attempt(number, attempt_reference(case.trader_id, number), at)
    reopened = replace(
        _move(case, "awaiting_session", by_staff),
        attempts=(*case.attempts, attempt),
        budget_from=number,
        max_attempts=policy.max_attempts,
        deadline=at + policy.decision_window,
        needs=needs,
        decided_at=None,
        decided_by=None,
        decision_reason=None,
    )
    expiry = ScheduleExpiry(case.trader_id, reopened.deadline)
    return Transition(reopened, (_create_session(reopened), expiry))


def _create_session(case: VerificationCase) -> CreateSession:
    return CreateSession(case.trader_id, case.current.reference, case.current.number)


def _with_current(case: VerificationCase, attempt: Attempt) -> VerificationCase:
    return replace(case, attempts=(*case.attempts[:-1], attempt))


def _move(case: VerificationCase, to: CaseStatus, by_staff: bool = False) -> VerificationCase:
    if to not in TRANSITIONS[case.status] or ((case.status, to) in STAFF_ONLY and not by_staff):
        raise AssertionError(f"no KYC transition {case.status} -> {to}{'' if by_staff else ' (not staff)'}")
    return replace(case, status=to)
