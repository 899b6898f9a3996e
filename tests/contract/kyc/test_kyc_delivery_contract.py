"""The providers' delivery as it really is (a failed delivery redelivered with backoff, deliveries twice, out
of order) against the KYC case fed by each adapter: the case ends where an orderly delivery takes it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from propdesk.kyc.actions import Action, CreateSession, ResumeWorkflow
from propdesk.kyc.case import (
    KycPolicy,
    Need,
    Transition,
    VerificationCase,
    open_case,
    receive,
    session_created,
)
from propdesk.kyc.port import Applicant, KycSession, ProviderDecision

from tests.contract.kyc.harness import Harness, Verified

TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@dataclass
class Desk:
    """A minimal KYC service for the tests: follows the case's actions with the adapter, and judges each
    verified webhook against the case (as the webhook handler will)."""

    provider: Harness
    policy: KycPolicy = field(default_factory=lambda: KycPolicy(max_attempts=3))
    case: VerificationCase | None = None
    actions: list[Action] = field(default_factory=list)
    verdicts: list[tuple[str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.provider.endpoint.then = self.webhook

    def open(self) -> None:
        with self.lock:
            self._apply(
                open_case(self.case, TRADER, Need("funded", "acc-1", "token-1"), self.policy, self._now())
            )

    def webhook(self, verified: Verified) -> None:
        with self.lock:
            assert self.case is not None
            transition = receive(self.case, verified, self._now())  # an unknown session raises: 404
            self.verdicts.append((transition.verdict, transition.reason))
            self._apply(transition)

    def session(self) -> KycSession:
        """The current attempt's session, as the trader's link shows it."""
        assert self.case is not None
        current = self.case.current
        assert current.provider and current.session_id and current.url
        return KycSession(current.provider, current.reference, current.session_id, current.url)

    def _apply(self, transition: Transition) -> None:
        self.case = transition.case
        self.actions.extend(transition.actions)
        for action in transition.actions:
            if isinstance(action, CreateSession):
                session = self.provider.adapter.create_session(Applicant(action.attempt_reference))
                self._apply(session_created(self.case, session, self._now()))

    def _now(self) -> datetime:
        return self.provider.clock.now()

    def conclusions(self) -> list[ResumeWorkflow]:
        return [a for a in self.actions if isinstance(a, ResumeWorkflow)]


@pytest.fixture()
def desk(provider: Harness) -> Desk:
    desk = Desk(provider)
    desk.open()
    return desk


def test_a_trader_completes_kyc_and_the_workflow_resumes_approved(provider: Harness, desk: Desk) -> None:
    provider.complete(desk.session(), "approve")

    assert desk.case is not None and desk.case.status == "approved"
    assert desk.conclusions() == [ResumeWorkflow(TRADER, "approved", ("token-1",))]


def test_a_resubmission_gives_the_trader_a_new_session_then_approval(provider: Harness, desk: Desk) -> None:
    first = desk.session()
    provider.complete(first, "resubmit")
    second = desk.session()
    assert second.session_id != first.session_id
    provider.complete(second, "approve")

    assert desk.case is not None and desk.case.status == "approved"
    assert [a.outcome for a in desk.case.attempts] == ["resubmission_requested", "approved"]


def test_a_failed_delivery_is_redelivered_with_backoff_until_it_lands(provider: Harness, desk: Desk) -> None:
    provider.endpoint.fail_next(3)

    provider.complete(desk.session(), "decline")

    retried = [d for d in provider.fake.webhooks.log if d.statuses[:1] == [500]]
    assert retried and all(d.state == "delivered" for d in provider.fake.webhooks.log)
    assert desk.case is not None and desk.case.status == "declined"


def test_every_event_delivered_twice_changes_nothing_more(provider: Harness, desk: Desk) -> None:
    provider.fake.webhooks.deliver_twice = True

    provider.complete(desk.session(), "approve")

    decisions = provider.endpoint.decisions()
    assert len(decisions) == 2 and decisions[0].delivery_id == decisions[1].delivery_id
    assert ("ignored", "duplicate") in desk.verdicts
    assert desk.case is not None and desk.case.status == "approved"
    assert len(desk.conclusions()) == 1


def test_events_out_of_order_end_in_the_same_case(provider: Harness, desk: Desk) -> None:
    provider.fake.webhooks.hold = True
    session = desk.session()
    status, _ = provider.open_page(session, "review")
    assert status == 200
    provider.open_page(session, "approve")
    provider.fake.webhooks.release(newest_first=True)  # the approval lands before the review and progress
    assert provider.fake.webhooks.wait(10)

    assert [d.outcome for d in provider.endpoint.decisions()] == ["approved", "review"]
    assert desk.case is not None and desk.case.status == "approved"


def test_a_webhook_for_a_session_the_case_does_not_know_is_refused_and_redelivered(
    provider: Harness, desk: Desk
) -> None:
    stranger = provider.adapter.create_session(Applicant(f"kyc-{TRADER}-99"))

    provider.complete(stranger, "approve")

    refused = [r for r in provider.endpoint.received if r.refusal is not None]
    assert refused and all(r.status == 404 for r in refused)
    assert any(d.state == "failed" and d.attempts > 1 for d in provider.fake.webhooks.log)  # retried, gave up
    assert desk.case is not None and desk.case.status == "awaiting_trader"


def test_an_older_attempts_decision_replayed_later_is_ignored(provider: Harness, desk: Desk) -> None:
    provider.complete(desk.session(), "resubmit")
    old = next(r for r in provider.endpoint.received if isinstance(r.verified, ProviderDecision))
    before = desk.case

    assert provider.endpoint.handle(old.body, old.headers) == 200

    assert desk.verdicts[-1] == ("ignored", "older_attempt")
    assert desk.case == before
