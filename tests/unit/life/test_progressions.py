"""The progression use case: a passed account continues in exactly one next account, on the platform and
here, whatever is delivered twice or retried; the trader sees the chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.access import OwnAccountError
from propdesk.domain_events import AccountDisableRequested, AccountFunded, AccountPhaseStarted
from propdesk.errors import ConflictError, NotFoundError
from propdesk.life.ports import ResumePendingError
from propdesk.life.progression import next_account_id, progression_key
from propdesk.life.workflow import Passed, ProgressionNotReadyError

from tests.unit.life.progression_world import NOW, PASSED_AT, TRADER, LifeWorld


def test_passing_phase_1_opens_the_phase_2_account_with_a_fresh_balance_on_its_current_version() -> None:
    world = LifeWorld()
    world.passed_account()
    world.republish("two-step-100k-phase-2", description="phase 2, version 2")

    assert world.run() == "proceed"

    (phase_2,) = world.opened_accounts()
    assert phase_2.account_id == next_account_id(progression_key("acc-1", PASSED_AT))
    assert (phase_2.program_id, phase_2.program_version) == ("two-step-100k-phase-2", 2)
    assert (phase_2.status, phase_2.initial_balance, phase_2.trader_id) == ("active", Decimal(100000), TRADER)
    assert len(world.platform.accounts) == 1
    assert world.store.previous_of(phase_2.account_id) == "acc-1"


def test_the_old_account_is_closed_for_trading_and_the_trader_told_once() -> None:
    world = LifeWorld()
    world.passed_account()
    world.run()

    disable, started = world.publisher.published
    assert isinstance(disable, AccountDisableRequested) and disable.account_id == "acc-1"
    assert isinstance(started, AccountPhaseStarted)
    assert (started.previous_account_id, started.phase, started.program_id) == (
        "acc-1",
        2,
        "two-step-100k-phase-2",
    )
    assert started.login and started.server == world.platform.server
    ((to, mail),) = world.mail.sent
    assert to == "ada@example.com" and mail.template.startswith("platform_credentials")
    assert "pw" in mail.text and "pw" not in started.model_dump_json()  # the password goes by e-mail only
    assert world.logins.logins[started.account_id].login == started.login
    assert world.accounts.accounts[started.account_id].platform is not None


def test_account_passed_delivered_twice_gives_one_next_account() -> None:
    world = LifeWorld()
    world.passed_account()

    first, second = world.run(owner="run-1"), world.run(owner="run-2")

    assert (first, second) == ("proceed", "duplicate")
    assert len(world.opened_accounts()) == 1 and len(world.platform.accounts) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["start", "open", "finish"]), min_size=1, max_size=12))
def test_any_retried_steps_give_exactly_one_next_account_and_one_announcement(steps: list[str]) -> None:
    world = LifeWorld()
    world.passed_account()
    world.service.start(world.passed(), NOW)
    for step in [*steps, "open", "finish"]:
        try:
            if step == "start":
                world.service.start(world.passed(), NOW)
            elif step == "open":
                world.service.open_next("acc-1", PASSED_AT, NOW)
            else:
                world.service.finish("acc-1", PASSED_AT, NOW)
        except ProgressionNotReadyError:
            pass  # finishing before opening: the workflow retries it

    assert len(world.opened_accounts()) == 1 and len(world.platform.accounts) == 1
    assert len(world.publisher.of_type("account.phase_started")) == 1


def test_a_retry_after_the_platform_created_the_account_finds_it_instead_of_creating_another() -> None:
    world = LifeWorld()
    world.passed_account()
    world.service.start(world.passed(), NOW)
    world.store.lose_next_save = 5  # the attempt dies after the platform and the account store answered

    with pytest.raises(ProgressionNotReadyError):
        world.service.open_next("acc-1", PASSED_AT, NOW)
    world.service.open_next("acc-1", PASSED_AT, NOW)

    assert world.platform.created == 1 and len(world.opened_accounts()) == 1


def test_a_platform_outage_fails_the_step_so_the_workflow_retries_it() -> None:
    from propdesk.platforms.port import PlatformUnavailableError

    world = LifeWorld()
    world.passed_account()
    world.service.start(world.passed(), NOW)
    world.platform.fail_next = 1

    with pytest.raises(PlatformUnavailableError):
        world.service.open_next("acc-1", PASSED_AT, NOW)
    assert world.opened_accounts() == []
    world.service.open_next("acc-1", PASSED_AT, NOW)
    assert len(world.opened_accounts()) == 1


def test_passing_the_last_phase_opens_the_funded_account_and_announces_it_funded() -> None:
    world = LifeWorld()
    world.passed_account()
    world.run()
    (phase_2,) = world.opened_accounts()
    world.pass_next(phase_2)

    later = PASSED_AT + timedelta(days=9)
    started = world.service.start(Passed(phase_2.account_id, TRADER, later, "run-9"), NOW)
    assert started.to_output()["funded"] is True and started.to_output()["review"] is False
    world.service.open_next(phase_2.account_id, later, NOW)
    world.service.finish(phase_2.account_id, later, NOW)

    (funded,) = world.publisher.of_type("account.funded")
    assert isinstance(funded, AccountFunded)
    assert (funded.program_id, funded.phase, funded.previous_account_id) == (
        "two-step-100k-funded",
        3,
        phase_2.account_id,
    )


def test_a_funded_account_has_nothing_after_it() -> None:
    world = LifeWorld()
    world.passed_account("instant-funding-25k")

    assert world.run() == "end"
    assert world.opened_accounts() == []


def test_an_account_that_has_not_passed_does_not_progress() -> None:
    world = LifeWorld()
    world.accounts.accounts["acc-1"] = replace(world.passed_account(), status="failed")

    assert world.run() == "not_passed"


def test_a_broken_chain_stops_the_progression_and_alerts_the_firm() -> None:
    world = LifeWorld()
    world.passed_account()
    world.republish("two-step-100k-phase-2", next_program_id="two-step-100k-phase-1", kind="challenge")

    assert world.run() == "chain_broken"
    (alert,) = world.publisher.of_type("firm.alert")
    assert "loops" in alert.model_dump()["message"]


# ---- staff review


def test_a_program_that_asks_for_review_waits_for_a_staff_decision_which_is_audited_and_resumes() -> None:
    world = LifeWorld()
    world.passed_account("three-step-100k-phase-3")
    started = world.service.start(world.passed(), NOW)
    assert started.to_output()["review"] is True

    world.service.await_review("acc-1", PASSED_AT, "token-1", NOW)
    with pytest.raises(ProgressionNotReadyError):
        world.service.open_next("acc-1", PASSED_AT, NOW)
    world.review("approved")

    assert world.callback.succeeded == [("token-1", {"decision": "approved"})]
    (entry,) = world.audit.entries
    assert (entry.action, entry.actor, entry.subject) == (
        "progression.reviewed",
        "risk-officer",
        "ACCOUNT#acc-1",
    )
    assert world.service.open_next("acc-1", PASSED_AT, NOW).status == "opened"


def test_a_rejected_review_opens_nothing_and_a_second_decision_is_a_conflict() -> None:
    world = LifeWorld()
    world.passed_account("three-step-100k-phase-3")
    world.service.start(world.passed(), NOW)
    world.service.await_review("acc-1", PASSED_AT, "token-1", NOW)

    world.review("rejected")

    assert world.callback.succeeded == [("token-1", {"decision": "rejected"})]
    with pytest.raises(ConflictError):
        world.review("approved")
    assert world.service.start(world.passed(), NOW).outcome == "rejected"
    assert world.opened_accounts() == []


def test_a_review_step_run_again_after_the_decision_resumes_at_once() -> None:
    world = LifeWorld()
    world.passed_account("three-step-100k-phase-3")
    world.service.start(world.passed(), NOW)
    world.review("approved")  # decided before the workflow parked its token

    world.service.await_review("acc-1", PASSED_AT, "token-2", NOW)

    assert world.callback.succeeded == [("token-2", {"decision": "approved"})]


def waiting_for_review() -> LifeWorld:
    world = LifeWorld()
    world.passed_account("three-step-100k-phase-3")
    world.service.start(world.passed(), NOW)
    world.service.await_review("acc-1", PASSED_AT, "token-1", NOW)
    return world


def test_a_resume_that_failed_keeps_the_decision_and_the_same_decision_sent_again_resumes_once() -> None:
    world = waiting_for_review()
    world.callback.fail_next = 1

    with pytest.raises(ResumePendingError):
        world.review("approved")
    stored = world.store.latest_for("acc-1")
    assert stored is not None and (stored.review, stored.task_token) == ("approved", "token-1")
    assert world.callback.succeeded == []

    again = world.review("approved", by="another-officer")

    assert world.callback.succeeded == [("token-1", {"decision": "approved"})]
    assert (again.reviewed_by, again.task_token) == ("risk-officer", None)
    assert len(world.audit.entries) == 1  # decided and audited once
    assert world.service.open_next("acc-1", PASSED_AT, NOW).status == "opened"


def test_a_failed_resume_cannot_be_turned_into_the_other_decision() -> None:
    world = waiting_for_review()
    world.callback.fail_next = 1
    with pytest.raises(ResumePendingError):
        world.review("approved")

    with pytest.raises(ConflictError, match="approved already"):
        world.review("rejected")
    assert world.callback.succeeded == []
    world.review("approved")
    assert world.callback.succeeded == [("token-1", {"decision": "approved"})]


def test_a_decision_repeated_after_the_workflow_resumed_changes_nothing() -> None:
    world = waiting_for_review()
    world.review("approved")

    world.review("approved")
    world.review("approved")

    assert world.callback.succeeded == [("token-1", {"decision": "approved"})]
    assert len(world.audit.entries) == 1
    assert world.publisher.of_type("firm.alert")[1:] == []  # only the review alert


def test_a_resume_whose_answer_was_lost_is_sent_again_and_the_run_is_resumed_once() -> None:
    world = waiting_for_review()
    world.callback.lose_answer_next = 1
    with pytest.raises(ResumePendingError):
        world.review("approved")

    world.review("approved")

    assert world.callback.succeeded == [("token-1", {"decision": "approved"})]
    stored = world.store.latest_for("acc-1")
    assert stored is not None and stored.task_token is None


def test_a_token_that_expired_before_the_decision_keeps_the_decision_and_alerts_the_firm() -> None:
    world = waiting_for_review()
    world.callback.expired.add("token-1")  # the two-week wait ran out: the run ended

    decided = world.review("approved")

    assert (decided.review, decided.task_token) == ("approved", None)
    assert len(world.audit.entries) == 1
    stale = [
        a for a in world.publisher.of_type("firm.alert") if "no run was waiting" in a.model_dump()["subject"]
    ]
    assert len(stale) == 1 and decided.next_account_id in stale[0].model_dump()["message"]


def test_the_waiting_step_run_again_resumes_with_the_stored_decision_even_after_a_failed_resume() -> None:
    world = waiting_for_review()
    world.callback.fail_next = 1
    with pytest.raises(ResumePendingError):
        world.review("approved")

    state = world.service.await_review("acc-1", PASSED_AT, "token-2", NOW)

    assert state == "decided already: approved"
    assert world.callback.succeeded == [("token-2", {"decision": "approved"})]
    world.review("approved")  # staff's retry finds nothing left to resume
    assert len(world.callback.succeeded) == 1


def test_a_waiting_step_whose_resume_fails_stays_parked_for_the_staff_retry() -> None:
    world = LifeWorld()
    world.passed_account("three-step-100k-phase-3")
    world.service.start(world.passed(), NOW)
    world.review("approved")  # decided before the workflow parked its token
    world.callback.fail_next = 1

    state = world.service.await_review("acc-1", PASSED_AT, "token-2", NOW)

    assert "waits for a retry" in state
    world.review("approved")
    assert world.callback.succeeded == [("token-2", {"decision": "approved"})]


@settings(max_examples=60, deadline=None)
@given(
    outages=st.lists(st.sampled_from(["fail", "lose", "ok"]), min_size=1, max_size=6),
    decision=st.sampled_from(["approved", "rejected"]),
)
def test_whatever_fails_in_between_the_decision_is_stored_once_and_the_run_resumed_once(
    outages: list[str], decision: str
) -> None:
    world = waiting_for_review()
    for outage in outages:
        world.callback.fail_next = int(outage == "fail")
        world.callback.lose_answer_next = int(outage == "lose")
        try:
            world.review(decision)
        except ResumePendingError:
            continue
    world.callback.fail_next = world.callback.lose_answer_next = 0
    world.review(decision)

    assert world.callback.succeeded == [("token-1", {"decision": decision})]
    assert len(world.audit.entries) == 1
    stored = world.store.latest_for("acc-1")
    assert stored is not None and (stored.review, stored.task_token) == (decision, None)


def test_reviewing_an_account_without_a_progression_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        LifeWorld().review("approved", account_id="nobody")


# ---- the chain as the trader sees it


def test_the_chain_shows_the_phase_what_comes_next_and_the_accounts_before() -> None:
    world = LifeWorld()
    phase_1 = world.passed_account()
    before = world.service.chain_of(phase_1)
    assert (before.stage, before.phase, before.history) == ("challenge", 1, ())
    assert [s.program_id for s in before.upcoming] == ["two-step-100k-phase-2", "two-step-100k-funded"]

    world.run()
    (phase_2,) = world.opened_accounts()
    after = world.service.chain_of(phase_2)
    assert (after.phase, [a.account_id for a in after.history]) == (2, ["acc-1"])
    assert [s.program_id for s in after.upcoming] == ["two-step-100k-funded"]
    passed = world.service.chain_of(world.accounts.accounts["acc-1"])
    assert passed.progression is not None and passed.progression.next_account_id == phase_2.account_id


def test_staff_cannot_review_the_progression_of_an_account_they_trade() -> None:
    world = waiting_for_review()

    with pytest.raises(OwnAccountError) as refused:
        world.review("approved", by=TRADER)

    assert (refused.value.code, refused.value.field) == ("own_account", "account_id")
    assert world.audit.entries == [] and world.callback.succeeded == []
