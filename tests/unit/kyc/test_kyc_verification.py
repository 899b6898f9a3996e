"""The KYC use case over the in-memory case store and provider: the workflow's steps (request, wait, check,
announce), the provider's webhooks, the trader's look and staff's acts, with what each announces and
resumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from propdesk.access import OwnAccountError
from propdesk.domain_events import DomainEvent
from propdesk.kyc.case import KycCaseConflictError, KycPolicy, UnknownKycSessionError
from propdesk.kyc.port import KycProviderUnavailableError, Outcome
from propdesk.kyc.verification import KycVerification, NoKycCaseError, awaited

from tests.doubles.kyc import InMemoryKycCaseStore, InMemoryKycProvider
from tests.doubles.ports import InMemoryEventPublisher, InMemoryWorkflowCallback, ManualClock

T0 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
POLICY = KycPolicy(max_attempts=3, decision_window=timedelta(days=14))


@dataclass
class World:
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    store: InMemoryKycCaseStore = field(default_factory=InMemoryKycCaseStore)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    callback: InMemoryWorkflowCallback = field(default_factory=InMemoryWorkflowCallback)
    provider: InMemoryKycProvider = field(default_factory=InMemoryKycProvider)
    policy: KycPolicy = POLICY

    @property
    def kyc(self) -> KycVerification:
        return KycVerification(
            self.store, self.clock, self.publisher, self.callback, self.policy, self.provider,
            return_url="https://app.test/kyc/done", new_id=lambda: f"audit-{self.store.saves}",
        )  # fmt: skip

    def gate(self, token: str = "token-1", kind: str = "funded", reference: str = "acc-1") -> str:  # noqa: S107
        """The workflow's request and wait steps, as the KYC gate runs them."""
        self.callback.valid_tokens.add(token)
        self.kyc.request(TRADER, kind, reference)  # type: ignore[arg-type]
        self.kyc.wait(TRADER, kind, reference, token)  # type: ignore[arg-type]
        return token

    def current_session(self) -> str:
        session_id = self.store.case(TRADER).current.session_id
        assert session_id is not None
        return session_id

    def provider_says(self, outcome: Outcome, reasons: tuple[str, ...] = ()) -> None:
        self.kyc.receive(self.provider.decision_of(self.current_session(), outcome, reasons))

    def events(self, detail_type: str) -> list[DomainEvent]:
        return self.publisher.of_type(detail_type)

    def resumed(self) -> list[tuple[str, str]]:
        return [(token, output["outcome"]) for token, output in self.callback.succeeded]


@pytest.fixture()
def world() -> World:
    return World()


# ---- the session and the trader's link


def test_the_gate_opens_the_case_creates_the_session_once_and_announces_the_link(world: World) -> None:
    world.gate()
    world.gate("token-2")  # a redelivered account.passed runs the gate again

    case = world.store.case(TRADER)
    (requested,) = world.events("kyc.requested")
    assert len(world.provider.created) == 1
    assert world.provider.created[0].reference == f"kyc-{TRADER}-1"
    assert world.provider.created[0].return_url == "https://app.test/kyc/done"
    assert (case.status, awaited(case), case.current.url) == (
        "awaiting_trader",
        "trader",
        "https://kyc.test/v/mem-1",
    )
    assert world.store.trader_of_session("veriff", "mem-1") == TRADER
    assert requested.model_dump(include={"attempt", "attempts_allowed", "resubmission", "url"}) == {
        "attempt": 1, "attempts_allowed": 3, "resubmission": False, "url": "https://kyc.test/v/mem-1",
    }  # fmt: skip
    assert world.callback.succeeded == []


def test_a_payout_needing_kyc_joins_the_open_case_instead_of_opening_another(world: World) -> None:
    world.gate("token-funded")
    world.gate("token-payout", "payout", "payout-1")
    world.provider_says("approved")

    assert len(world.provider.created) == 1
    assert sorted(world.resumed()) == [("token-funded", "approved"), ("token-payout", "approved")]


def test_a_provider_that_is_down_leaves_the_case_waiting_for_its_session_until_a_later_try(
    world: World,
) -> None:
    world.provider.unavailable = 1

    first = world.kyc.request(TRADER, "funded", "acc-1")
    assert (first.outcome, first.status) == ("provider_unavailable", "awaiting_session")
    assert world.events("kyc.requested") == []

    again = world.kyc.request(TRADER, "funded", "acc-1")
    assert (again.outcome, again.status) == ("open", "awaiting_trader")
    assert len(world.events("kyc.requested")) == 1


def test_the_traders_look_creates_a_session_the_provider_could_not_give_earlier(world: World) -> None:
    world.provider.unavailable = 1
    world.kyc.request(TRADER, "funded", "acc-1")

    case = world.kyc.case_of(TRADER)

    assert case is not None and (case.status, case.current.url) == (
        "awaiting_trader",
        "https://kyc.test/v/mem-1",
    )
    assert world.kyc.case_of("someone-else") is None


# ---- the provider's decisions


def test_an_approval_resumes_the_waiting_workflow_and_announces_it_once(world: World) -> None:
    token = world.gate()

    world.provider_says("approved")
    world.provider_says("approved")  # redelivered

    (approved,) = world.events("kyc.approved")
    assert world.resumed() == [(token, "approved")]
    assert approved.model_dump(include={"account_id", "verification_id", "decided_by", "attempt"}) == {
        "account_id": "acc-1", "verification_id": "mem-1", "decided_by": "provider", "attempt": 1,
    }  # fmt: skip
    assert world.kyc.announce(TRADER).outcome == "approved"


def test_a_resubmission_loops_to_a_new_attempt_while_the_same_wait_continues(world: World) -> None:
    token = world.gate()

    world.provider_says("resubmission_requested", ("201",))

    case = world.store.case(TRADER)
    _, second = world.events("kyc.requested")
    assert (case.status, case.current.number, case.current.session_id) == ("awaiting_trader", 2, "mem-2")
    assert second.model_dump(include={"attempt", "resubmission", "url"}) == {
        "attempt": 2, "resubmission": True, "url": "https://kyc.test/v/mem-2",
    }  # fmt: skip
    assert world.callback.succeeded == [] and token in world.callback.valid_tokens
    world.provider_says("approved")
    assert world.resumed() == [(token, "approved")]


def test_a_resubmission_after_the_last_allowed_attempt_declines_the_case(world: World) -> None:
    token = world.gate()

    for _ in range(3):
        world.provider_says("resubmission_requested")

    (declined,) = world.events("kyc.declined")
    assert world.store.case(TRADER).status == "declined"
    assert len(world.provider.created) == 3
    assert declined.model_dump(include={"reason", "attempt"}) == {
        "reason": "attempts_exhausted",
        "attempt": 3,
    }
    assert world.resumed() == [(token, "declined")]


def test_a_resubmission_whose_new_session_cannot_be_created_is_kept_and_redelivery_creates_it(
    world: World,
) -> None:
    world.gate()
    webhook = world.provider.decision_of(world.current_session(), "resubmission_requested")
    world.provider.unavailable = 1

    with pytest.raises(KycProviderUnavailableError):
        world.kyc.receive(webhook)
    assert world.store.case(TRADER).status == "awaiting_session"

    world.kyc.receive(webhook)  # the provider redelivers: ignored as an older attempt's, the session is made
    assert (world.store.case(TRADER).status, world.current_session()) == ("awaiting_trader", "mem-2")


def test_a_webhook_for_a_session_no_case_holds_is_refused_and_changes_nothing(world: World) -> None:
    world.gate()
    orphan = world.provider.create_session(world.provider.created[0])  # e.g. a lost creation's answer

    with pytest.raises(UnknownKycSessionError):
        world.kyc.receive(world.provider.decision_of(orphan.session_id, "approved"))
    assert world.store.case(TRADER).status == "awaiting_trader"
    assert world.events("kyc.approved") == []


def test_a_redelivered_account_passed_never_resets_an_approved_case(world: World) -> None:
    world.gate()
    world.provider_says("approved")
    saves = world.store.saves

    again = world.kyc.request(TRADER, "funded", "acc-1")

    assert (again.outcome, world.store.saves, len(world.provider.created)) == ("approved", saves, 1)
    world.callback.valid_tokens.add("token-late")
    world.kyc.wait(TRADER, "funded", "acc-1", "token-late")
    assert world.resumed()[-1] == ("token-late", "approved")  # the gate answers at once
    assert len(world.events("kyc.approved")) == 1


# ---- review by staff


def test_a_review_waits_for_staff_whose_approval_is_audited_and_resumes_the_workflow(world: World) -> None:
    token = world.gate()
    world.provider_says("review")

    assert (world.store.case(TRADER).status, world.resumed()) == ("awaiting_staff", [])
    assert len(world.events("kyc.in_review")) == 1
    world.clock.advance(timedelta(days=30))
    assert world.kyc.check(TRADER).outcome == "open"  # a case waiting for staff does not expire

    world.kyc.decide(TRADER, "approve", "documents checked by hand", "staff-1", ("risk",))

    (approved,) = world.events("kyc.approved")
    (entry,) = world.store.audit
    assert world.resumed() == [(token, "approved")]
    assert approved.model_dump(include={"decided_by", "reason"}) == {
        "decided_by": "staff", "reason": "documents checked by hand",
    }  # fmt: skip
    assert (entry.action, entry.subject, entry.actor, entry.actor_roles) == (
        "kyc.approve", f"TRADER#{TRADER}", "staff-1", ("risk",),
    )  # fmt: skip
    assert (entry.before, entry.after) == (
        {"status": "awaiting_staff", "attempt": 1, "decided_by": None, "decision_reason": None},
        {"status": "approved", "attempt": 1, "decided_by": "staff-1",
         "decision_reason": "documents checked by hand"},
    )  # fmt: skip


def test_staff_cannot_decide_a_case_that_waits_for_the_trader_or_that_does_not_exist(world: World) -> None:
    world.gate()

    with pytest.raises(KycCaseConflictError):
        world.kyc.decide(TRADER, "approve", "why not", "staff-1")
    with pytest.raises(NoKycCaseError):
        world.kyc.decide("nobody", "approve", "why not", "staff-1")
    assert world.store.audit == []


def test_staff_reopen_a_declined_case_with_a_new_session_audited(world: World) -> None:
    world.gate()
    world.provider_says("declined", ("102",))

    case = world.kyc.reopen(TRADER, "the trader sent a valid passport", "staff-2", ("admin",))

    assert (case.status, case.current.number, case.current.session_id) == ("awaiting_trader", 2, "mem-2")
    assert [entry.action for entry in world.store.audit] == ["kyc.reopen"]
    assert world.events("kyc.requested")[-1].model_dump(include={"attempt"}) == {"attempt": 1}


# ---- the firm's window


def test_no_decision_within_the_window_expires_the_case_and_answers_every_waiter(world: World) -> None:
    token = world.gate()
    world.clock.advance(timedelta(days=13))
    assert world.kyc.check(TRADER).outcome == "open"

    world.clock.advance(timedelta(days=1, seconds=1))
    checked = world.kyc.check(TRADER)

    (expired,) = world.events("kyc.expired")
    assert (checked.outcome, world.resumed()) == ("expired", [(token, "expired")])
    assert expired.model_dump(include={"reason", "account_id"}) == {
        "reason": "decision_window_elapsed", "account_id": "acc-1",
    }  # fmt: skip


def test_the_next_need_after_an_expiry_starts_a_new_window_with_a_new_session(world: World) -> None:
    world.gate()
    world.clock.advance(timedelta(days=15))

    again = world.kyc.request(TRADER, "payout", "payout-1")  # the window is over: expired, then a new one

    assert len(world.events("kyc.expired")) == 1
    assert (again.outcome, again.status, world.current_session()) == ("open", "awaiting_trader", "mem-2")


# ---- effects survive failures and races


def test_an_announcement_the_bus_refused_is_made_by_the_next_act_on_the_case(world: World) -> None:
    token = world.gate()
    world.publisher.fail_next = 1

    with pytest.raises(RuntimeError):
        world.provider_says("approved")
    assert world.store.case(TRADER).status == "approved" and world.events("kyc.approved") == []

    assert world.kyc.announce(TRADER).outcome == "approved"  # the workflow's last step
    assert len(world.events("kyc.approved")) == 1
    assert world.resumed() == [(token, "approved")]
    assert world.store.load(TRADER).pending == ()  # type: ignore[union-attr]


def test_a_lost_race_is_applied_again_to_the_case_as_it_now_is(world: World) -> None:
    world.gate()
    world.store.races = 2

    world.provider_says("approved")

    assert world.store.case(TRADER).status == "approved"
    assert len(world.events("kyc.approved")) == 1


def test_a_conclusion_landing_while_a_workflow_parks_its_token_still_resumes_it(world: World) -> None:
    world.kyc.request(TRADER, "funded", "acc-1")
    world.callback.valid_tokens.add("token-1")
    decision = world.provider.decision_of(world.current_session(), "approved")
    world.store.before_save = lambda: world.kyc.receive(decision)  # the webhook wins the race

    world.kyc.wait(TRADER, "funded", "acc-1", "token-1")

    assert world.resumed() == [("token-1", "approved")]


def test_staff_cannot_decide_or_reopen_their_own_kyc_case(world: World) -> None:
    world.gate()
    world.provider_says("review")

    with pytest.raises(OwnAccountError) as refused:
        world.kyc.decide(TRADER, "approve", "it is me", TRADER, ("risk",))
    with pytest.raises(OwnAccountError):
        world.kyc.reopen(TRADER, "it is me", TRADER, ("admin",))

    assert (refused.value.code, refused.value.field) == ("own_account", "trader_id")
    assert world.store.case(TRADER).status == "awaiting_staff" and world.store.audit == []
