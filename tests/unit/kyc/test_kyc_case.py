"""The trader's KYC case, transition by transition."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from propdesk.errors import InvalidInputError
from propdesk.kyc.actions import (
    CreateSession,
    FlagForStaff,
    NotifyTrader,
    ResumeWorkflow,
    ScheduleExpiry,
    WaitForStaff,
)
from propdesk.kyc.case import (
    STAFF_ONLY,
    TRANSITIONS,
    KycCaseConflictError,
    KycPolicy,
    Need,
    UnknownKycSessionError,
    _move,
    attempt_reference,
    await_conclusion,
    expire_if_due,
    open_case,
    parse_attempt_reference,
    receive,
    session_created,
    staff_decide,
    staff_reopen,
)
from propdesk.kyc.port import KycSession

from tests.unit.kyc.case_builders import (
    FUNDED,
    PAYOUT,
    POLICY,
    T0,
    TRADER,
    decision,
    opened,
    progress,
    session_id,
    started,
    with_session,
)

# ---- opening ----


def test_the_first_need_opens_a_case_that_asks_for_a_session_and_schedules_its_expiry() -> None:
    transition = open_case(None, TRADER, FUNDED, POLICY, T0)

    case = transition.case
    assert (case.status, case.opened_at, case.deadline, case.max_attempts) == (
        "awaiting_session",
        T0,
        T0 + timedelta(days=14),
        3,
    )
    assert [a.reference for a in case.attempts] == [f"kyc-{TRADER}-1"]
    assert transition.actions == (
        CreateSession(TRADER, f"kyc-{TRADER}-1", 1),
        ScheduleExpiry(TRADER, T0 + timedelta(days=14)),
    )


def test_the_trader_gets_the_link_once_the_provider_session_is_open() -> None:
    transition = with_session(opened())
    assert transition.case.status == "awaiting_trader"
    assert transition.case.current.session_id == session_id(1)
    assert transition.actions == (NotifyTrader(TRADER, "verify", "https://verify.test/v/1"),)


def test_a_second_need_joins_the_waiters_and_a_repeated_one_changes_nothing() -> None:
    case = started()
    joined = open_case(case, TRADER, PAYOUT, POLICY, T0)
    assert joined.case.needs == (FUNDED, PAYOUT)
    assert joined.actions == ()
    again = open_case(joined.case, TRADER, PAYOUT, POLICY, T0)
    assert (again.case, again.verdict, again.reason) == (joined.case, "ignored", "duplicate_need")


def test_every_waiter_is_resumed_when_the_case_concludes() -> None:
    case = open_case(started(), TRADER, PAYOUT, POLICY, T0).case
    concluded = receive(case, decision("approved"), T0)
    assert ResumeWorkflow(TRADER, "approved", ("token-funded", "token-payout")) in concluded.actions
    assert concluded.case.needs == ()


def test_a_workflow_parks_its_token_on_its_need_and_newer_runs_of_the_need_join_it() -> None:
    case = opened(need=Need("funded", "acc-1"))  # the gate opens the case without a token, then waits
    parked = await_conclusion(case, FUNDED).case
    again = await_conclusion(parked, FUNDED)
    runs = [Need("funded", "acc-1", f"run-{n}") for n in range(6)]
    for run in runs:
        parked = await_conclusion(parked, run).case

    assert (again.verdict, again.reason) == ("ignored", "duplicate_waiter")
    assert [n.waiter for n in parked.needs] == ["run-2", "run-3", "run-4", "run-5"]  # the newest four
    concluded = receive(with_session(parked).case, decision("approved"), T0)
    assert ResumeWorkflow(TRADER, "approved", ("run-2", "run-3", "run-4", "run-5")) in concluded.actions


@pytest.mark.parametrize("outcome", ["approved", "declined", "expired"])
def test_a_workflow_waiting_on_a_concluded_case_is_answered_at_once(outcome: str) -> None:
    case = replace(started(), status=outcome, needs=())

    answer = await_conclusion(case, PAYOUT)

    assert answer.case is case and answer.reason == f"already_{outcome}"
    assert answer.actions == (ResumeWorkflow(TRADER, outcome, ("token-payout",)),)  # type: ignore[arg-type]


def test_waiting_needs_a_callback_token() -> None:
    with pytest.raises(InvalidInputError):
        await_conclusion(started(), Need("funded", "acc-1"))


# ---- the provider's decisions ----


def test_an_approval_concludes_the_case_and_resumes_the_workflow() -> None:
    transition = receive(started(), decision("approved"), T0)
    case = transition.case
    assert (case.status, case.decided_by, case.decided_at) == (
        "approved",
        "provider",
        T0 + timedelta(minutes=5),
    )
    assert case.current.outcome == "approved"
    assert transition.actions == (
        NotifyTrader(TRADER, "approved"),
        ResumeWorkflow(TRADER, "approved", ("token-funded",)),
    )


def test_a_decline_concludes_the_case_with_the_providers_reasons_kept() -> None:
    transition = receive(started(), decision("declined", codes=("102",)), T0)
    assert transition.case.status == "declined"
    assert (transition.case.current.provider_code, transition.case.current.reason_codes) == (
        "veriff:declined",
        ("102",),
    )
    assert ResumeWorkflow(TRADER, "declined", ("token-funded",)) in transition.actions


def test_a_resubmission_loops_back_to_a_new_attempt_with_its_own_session() -> None:
    asked = receive(started(), decision("resubmission_requested", codes=("201",)), T0)

    assert asked.case.status == "awaiting_session"
    assert [a.number for a in asked.case.attempts] == [1, 2]
    assert asked.case.attempts[0].outcome == "resubmission_requested"
    assert asked.actions == (CreateSession(TRADER, f"kyc-{TRADER}-2", 2),)
    resent = with_session(asked.case)
    assert resent.case.current.session_id == session_id(2)
    assert resent.actions == (NotifyTrader(TRADER, "resubmit", "https://verify.test/v/2"),)


def test_a_resubmission_after_the_last_allowed_attempt_declines_the_case() -> None:
    case = started()
    for number in (1, 2):
        case = with_session(receive(case, decision("resubmission_requested", number), T0).case).case

    last = receive(case, decision("resubmission_requested", 3), T0)

    assert (last.case.status, last.case.decision_reason) == ("declined", "attempts_exhausted")
    assert len(last.case.attempts) == 3
    assert ResumeWorkflow(TRADER, "declined", ("token-funded",)) in last.actions


def test_a_firm_allowing_one_attempt_declines_at_the_first_resubmission() -> None:
    case = started(KycPolicy(max_attempts=1))
    assert receive(case, decision("resubmission_requested"), T0).case.status == "declined"


def test_a_review_waits_for_a_staff_decision() -> None:
    transition = receive(started(), decision("review", codes=("9121",)), T0)
    assert transition.case.status == "awaiting_staff"
    assert transition.actions == (
        WaitForStaff(TRADER, f"kyc-{TRADER}-1", "veriff:review", ("9121",)),
        NotifyTrader(TRADER, "in_review"),
    )
    assert receive(transition.case, decision("review"), T0).reason == "duplicate"


def test_staff_approve_a_reviewed_case_with_a_reason() -> None:
    in_review = receive(started(), decision("review"), T0).case
    approved = staff_decide(
        in_review, "approve", "documents checked by hand", "staff-9", T0 + timedelta(hours=2)
    )
    case = approved.case
    assert (case.status, case.decided_by, case.decision_reason, case.decided_at) == (
        "approved",
        "staff-9",
        "documents checked by hand",
        T0 + timedelta(hours=2),
    )
    assert ResumeWorkflow(TRADER, "approved", ("token-funded",)) in approved.actions


def test_a_staff_decision_needs_a_reason_and_a_case_waiting_for_one() -> None:
    in_review = receive(started(), decision("review"), T0).case
    with pytest.raises(InvalidInputError) as missing:
        staff_decide(in_review, "decline", "  ", "staff-9", T0)
    assert missing.value.field == "reason"
    with pytest.raises(KycCaseConflictError):
        staff_decide(started(), "approve", "looks fine", "staff-9", T0)


def test_the_providers_own_review_may_still_conclude_a_case_waiting_for_staff() -> None:
    in_review = receive(started(), decision("review"), T0).case
    assert receive(in_review, decision("approved", minutes=30), T0).case.status == "approved"


# ---- what is refused or ignored ----


def test_a_webhook_for_an_unknown_session_is_refused() -> None:
    stranger = replace(decision("approved"), session_id="someone-elses-session")
    with pytest.raises(UnknownKycSessionError) as refused:
        receive(started(), stranger, T0)
    assert (refused.value.code, refused.value.field) == ("unknown_kyc_session", "session_id")


def test_a_webhook_from_another_provider_for_the_same_session_id_is_unknown() -> None:
    with pytest.raises(UnknownKycSessionError):
        receive(started(), decision("approved", provider="sumsub"), T0)


def test_a_decision_for_an_older_attempt_is_ignored_with_a_reason() -> None:
    second = with_session(receive(started(), decision("resubmission_requested"), T0).case).case
    late = receive(second, decision("approved", 1), T0)
    assert (late.case, late.verdict, late.reason) == (second, "ignored", "older_attempt")


def test_an_older_attempts_decision_is_ignored_even_before_the_new_session_exists() -> None:
    waiting = receive(started(), decision("resubmission_requested"), T0).case
    assert receive(waiting, decision("review", 1), T0).reason == "older_attempt"


def test_progress_is_acknowledged_and_changes_nothing() -> None:
    case = started()
    noted = receive(case, progress("submitted"), T0)
    assert (noted.case, noted.verdict, noted.reason, noted.actions) == (case, "acknowledged", "submitted", ())
    with pytest.raises(UnknownKycSessionError):
        receive(case, replace(progress("started"), session_id="nope"), T0)


# ---- approved is absorbing, declined waits for staff ----


def test_a_redelivered_approval_changes_nothing() -> None:
    approved = receive(started(), decision("approved"), T0).case
    again = receive(approved, decision("approved"), T0)
    assert (again.case, again.verdict, again.reason, again.actions) == (approved, "ignored", "duplicate", ())


def test_a_redelivered_account_passed_never_resets_an_approved_case() -> None:
    approved = receive(started(), decision("approved"), T0).case
    again = open_case(approved, TRADER, Need("funded", "acc-1", "token-of-a-second-run"), POLICY, T0)
    assert again.case == approved
    assert again.actions == (ResumeWorkflow(TRADER, "approved", ("token-of-a-second-run",)),)


def test_a_late_decline_of_an_approved_trader_leaves_the_case_approved_and_flags_it() -> None:
    approved = receive(started(), decision("approved"), T0).case
    reversed_ = receive(approved, decision("declined", codes=("106",), minutes=60), T0)
    assert reversed_.case == approved
    assert reversed_.actions == (
        FlagForStaff(TRADER, "provider_declined_after_approved", "declined", "veriff:declined"),
    )


def test_a_declined_case_is_not_reopened_by_a_new_need() -> None:
    declined = receive(started(), decision("declined"), T0).case
    again = open_case(declined, TRADER, PAYOUT, POLICY, T0 + timedelta(days=1))
    assert again.case == declined
    assert again.actions == (ResumeWorkflow(TRADER, "declined", ("token-payout",)),)


def test_staff_reopen_a_declined_case_with_a_new_attempt_window_and_budget() -> None:
    case = started()
    for number in (1, 2, 3):
        case = receive(case, decision("resubmission_requested", number), T0).case
        if case.status == "awaiting_session":
            case = with_session(case).case
    assert case.status == "declined"
    later = T0 + timedelta(days=20)

    reopened = staff_reopen(case, "trader sent a new passport by mail", "staff-3", POLICY, later)

    assert reopened.case.status == "awaiting_session"
    assert (reopened.case.current.number, reopened.case.attempts_left, reopened.case.deadline) == (
        4,
        2,
        later + timedelta(days=14),
    )
    assert reopened.actions == (
        CreateSession(TRADER, f"kyc-{TRADER}-4", 4),
        ScheduleExpiry(TRADER, later + timedelta(days=14)),
    )


def test_staff_cannot_reopen_an_open_or_approved_case() -> None:
    with pytest.raises(KycCaseConflictError):
        staff_reopen(started(), "why not", "staff-3", POLICY, T0)
    approved = receive(started(), decision("approved"), T0).case
    with pytest.raises(KycCaseConflictError):
        staff_reopen(approved, "why not", "staff-3", POLICY, T0)


def test_staff_may_revoke_an_approval_and_overturn_a_decline() -> None:
    approved = receive(started(), decision("approved"), T0).case
    revoked = staff_decide(
        approved, "decline", "provider flagged fraud later", "staff-1", T0 + timedelta(days=2)
    )
    assert (revoked.case.status, revoked.case.decided_by) == ("declined", "staff-1")
    overturned = staff_decide(revoked.case, "approve", "appeal upheld", "staff-2", T0 + timedelta(days=3))
    assert overturned.case.status == "approved"
    assert staff_decide(overturned.case, "approve", "again", "staff-2", T0).reason == "already_approved"


# ---- time ----


def test_no_decision_within_the_window_expires_the_case() -> None:
    case = started()
    assert expire_if_due(case, case.deadline - timedelta(seconds=1)).reason == "not_due"
    expired = expire_if_due(case, case.deadline)
    assert (expired.case.status, expired.case.decision_reason) == ("expired", "decision_window_elapsed")
    assert expired.actions == (
        NotifyTrader(TRADER, "expired"),
        ResumeWorkflow(TRADER, "expired", ("token-funded",)),
    )


def test_a_case_waiting_for_staff_does_not_expire() -> None:
    in_review = receive(started(), decision("review"), T0).case
    assert expire_if_due(in_review, T0 + timedelta(days=60)).reason == "case_awaiting_staff"


def test_a_provider_session_that_expires_inside_the_window_gets_a_new_attempt() -> None:
    again = receive(started(), decision("expired"), T0 + timedelta(days=7))
    assert again.case.status == "awaiting_session"
    assert again.actions == (CreateSession(TRADER, f"kyc-{TRADER}-2", 2),)


def test_a_provider_session_that_expires_after_the_window_expires_the_case() -> None:
    case = started()
    late = receive(case, decision("expired"), case.deadline + timedelta(hours=1))
    assert (late.case.status, late.case.decision_reason) == ("expired", "session_expired")


def test_a_late_approval_after_the_case_expired_is_honoured() -> None:
    case = started()
    expired = expire_if_due(case, case.deadline).case
    honoured = receive(expired, decision("approved", minutes=14 * 24 * 60 + 5), case.deadline)
    assert honoured.case.status == "approved"
    assert honoured.actions[-1] == ResumeWorkflow(TRADER, "approved", ())
    assert receive(expired, decision("resubmission_requested"), case.deadline).reason == "case_expired"


def test_an_expired_case_starts_over_when_the_trader_needs_kyc_again() -> None:
    case = started()
    expired = expire_if_due(case, case.deadline).case
    later = case.deadline + timedelta(days=30)
    again = open_case(expired, TRADER, PAYOUT, POLICY, later)
    assert (again.case.status, again.case.current.number, again.case.deadline) == (
        "awaiting_session",
        2,
        later + timedelta(days=14),
    )
    assert again.case.needs == (PAYOUT,)


# ---- sessions ----


def test_only_the_first_session_told_for_an_attempt_counts() -> None:
    case = started()
    same = KycSession("veriff", case.current.reference, session_id(1), "https://verify.test/v/1")
    other = KycSession("veriff", case.current.reference, "another-session", "https://verify.test/v/x")
    assert session_created(case, same, T0).reason == "duplicate"
    assert session_created(case, other, T0).reason == "session_already_created"


def test_a_session_for_an_older_attempt_or_a_foreign_reference_is_not_taken() -> None:
    waiting = receive(started(), decision("resubmission_requested"), T0).case
    old = KycSession("veriff", f"kyc-{TRADER}-1", "late-session", "https://verify.test/v/late")
    assert session_created(waiting, old, T0).reason == "older_attempt"
    with pytest.raises(InvalidInputError):
        session_created(waiting, replace(old, reference="kyc-someone-1"), T0)


def test_a_session_arriving_after_the_case_expired_is_ignored() -> None:
    case = opened()
    expired = expire_if_due(case, case.deadline).case
    session = KycSession("veriff", case.current.reference, session_id(1), "https://verify.test/v/1")
    assert session_created(expired, session, case.deadline).reason == "case_expired"


# ---- the machine itself ----


def test_attempt_references_name_the_trader_and_the_attempt() -> None:
    assert parse_attempt_reference(attempt_reference(TRADER, 12)) == (TRADER, 12)
    for junk in ("", "kyc-", "kyc-x-y", "other-7c9e-1", "kyc--1"):
        assert parse_attempt_reference(junk) is None


def test_the_staff_only_transitions_are_refused_to_anything_else() -> None:
    approved = receive(started(), decision("approved"), T0).case
    with pytest.raises(AssertionError):
        _move(approved, "declined")
    with pytest.raises(AssertionError):
        _move(approved, "awaiting_session", by_staff=True)
    assert all(to in TRANSITIONS[source] for source, to in STAFF_ONLY)


@pytest.mark.parametrize(
    ("policy", "field"),
    [({"max_attempts": 0}, "max_attempts"), ({"decision_window": timedelta(0)}, "decision_window")],
)
def test_a_policy_needs_an_attempt_and_a_window(policy: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        KycPolicy(**policy)  # type: ignore[arg-type]
    assert invalid.value.field == field


def test_a_case_belongs_to_one_trader() -> None:
    with pytest.raises(InvalidInputError):
        open_case(started(), "another-trader", PAYOUT, POLICY, T0)
    with pytest.raises(InvalidInputError):
        open_case(None, "", PAYOUT, POLICY, T0)


def test_a_late_review_after_the_case_expired_is_flagged_and_the_case_stays_expired() -> None:
    case = started()
    expired = expire_if_due(case, case.deadline).case
    late = receive(expired, decision("review"), case.deadline)
    assert (late.case, late.reason) == (expired, "case_expired")
    assert late.actions == (FlagForStaff(TRADER, "provider_review_after_expired", "review", "veriff:review"),)
