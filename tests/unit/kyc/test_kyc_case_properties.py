"""What the KYC case promises whatever the provider's delivery does: any order and any duplication of its
webhooks (and any delay in opening sessions) gives the same final case; approved stays approved and declined
stays declined until staff act; a case never uses more attempts than the firm allows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.kyc.actions import CreateSession
from propdesk.kyc.case import (
    KycPolicy,
    Need,
    VerificationCase,
    expire_if_due,
    open_case,
    receive,
    session_created,
)
from propdesk.kyc.port import KycSession, Outcome, ProviderDecision, ProviderProgress

from tests.unit.kyc.case_builders import FUNDED, T0, TRADER, decision, progress, session_id

Webhook = ProviderDecision | ProviderProgress
Final = Literal["approved", "declined", "resubmission_requested", "expired", "none"]


@dataclass(frozen=True)
class AttemptScript:
    """What the provider sends about one attempt's session: progress, maybe a review, maybe a final word."""

    started: bool
    submitted: bool
    review: bool
    final: Final

    def webhooks(self, number: int) -> list[Webhook]:
        sent: list[Webhook] = []
        if self.started:
            sent.append(progress("started", number))
        if self.submitted:
            sent.append(progress("submitted", number))
        if self.review:
            sent.append(decision("review", number, minutes=10))
        if self.final != "none":
            sent.append(decision(self.final, number, minutes=20))
        return sent


def attempt_scripts(last: bool) -> st.SearchStrategy[AttemptScript]:
    # Every attempt but the last ends by asking for another (resubmission, or the session expired);
    # the last ends any way at all, or not at all.
    finals: st.SearchStrategy[Final] = (
        st.sampled_from(["approved", "declined", "resubmission_requested", "expired", "none"])
        if last
        else st.sampled_from(["resubmission_requested", "expired"])
    )
    return st.builds(AttemptScript, st.booleans(), st.booleans(), st.booleans(), finals)


@st.composite
def provider_scripts(draw: st.DrawFn) -> list[AttemptScript]:
    count = draw(st.integers(min_value=1, max_value=4))
    return [draw(attempt_scripts(last=index == count - 1)) for index in range(count)]


@dataclass
class World:
    """The case, the sessions still to open and the webhooks the provider still has to deliver."""

    policy: KycPolicy
    script: list[AttemptScript]
    case: VerificationCase
    to_open: list[CreateSession] = field(default_factory=list)
    to_deliver: list[Webhook] = field(default_factory=list)

    @classmethod
    def start(cls, policy: KycPolicy, script: list[AttemptScript]) -> World:
        opened = open_case(None, TRADER, FUNDED, policy, T0)
        world = cls(policy, script, opened.case)
        world.follow(opened.actions)
        return world

    def follow(self, actions: tuple[object, ...]) -> None:
        self.to_open.extend(a for a in actions if isinstance(a, CreateSession))

    def open_session(self, index: int) -> None:
        action = self.to_open.pop(index)
        number = action.attempt_number
        session = KycSession(
            "veriff", action.attempt_reference, session_id(number), f"https://v.test/{number}"
        )
        transition = session_created(self.case, session, T0)
        self.case = transition.case
        if transition.verdict == "applied" and number <= len(self.script):
            self.to_deliver.extend(self.script[number - 1].webhooks(number))

    def deliver(self, index: int, keep: bool) -> None:
        webhook = self.to_deliver[index] if keep else self.to_deliver.pop(index)
        transition = receive(self.case, webhook, T0 + timedelta(hours=1))
        self.case = transition.case
        self.follow(transition.actions)

    def in_order(self) -> VerificationCase:
        while self.to_open or self.to_deliver:
            if self.to_deliver:
                self.deliver(0, keep=False)
            else:
                self.open_session(0)
        return self.case


POLICIES = st.builds(KycPolicy, max_attempts=st.integers(min_value=1, max_value=4))


@settings(max_examples=150, deadline=None)
@given(policy=POLICIES, script=provider_scripts(), data=st.data())
def test_any_order_and_duplication_of_webhooks_gives_the_same_final_case(
    policy: KycPolicy, script: list[AttemptScript], data: st.DataObject
) -> None:
    expected = World.start(policy, script).in_order()
    world = World.start(policy, script)

    for _ in range(200):
        if not world.to_open and not world.to_deliver:
            break
        choices = len(world.to_open) + len(world.to_deliver)
        pick = data.draw(st.integers(min_value=0, max_value=choices - 1))
        if pick < len(world.to_open):
            world.open_session(pick)
        else:
            world.deliver(pick - len(world.to_open), keep=data.draw(st.booleans()))
    world.in_order()  # what the budget of steps left (duplicates can go on for ever), delivered in order

    assert world.case == expected
    assert len(world.case.attempts) <= policy.max_attempts


NON_STAFF_OUTCOMES: list[Outcome] = ["approved", "declined", "resubmission_requested", "review", "expired"]


@st.composite
def non_staff_inputs(draw: st.DrawFn, attempts: int) -> list[tuple[str, object]]:
    """Anything but a staff act: webhooks for any known session, new needs, expiry checks at any time."""
    steps: list[tuple[str, object]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        kind = draw(st.sampled_from(["decision", "progress", "need", "expire"]))
        number = draw(st.integers(min_value=1, max_value=attempts))
        if kind == "decision":
            steps.append((kind, decision(draw(st.sampled_from(NON_STAFF_OUTCOMES)), number, minutes=90)))
        elif kind == "progress":
            steps.append((kind, progress(draw(st.sampled_from(["started", "submitted", "other"])), number)))
        elif kind == "need":
            steps.append(
                (kind, Need(draw(st.sampled_from(["funded", "payout"])), f"ref-{number}", f"t-{number}"))
            )
        else:
            steps.append((kind, T0 + timedelta(days=draw(st.integers(min_value=0, max_value=90)))))
    return steps


def apply_non_staff(
    case: VerificationCase, policy: KycPolicy, steps: list[tuple[str, object]]
) -> VerificationCase:
    for kind, value in steps:
        if kind in ("decision", "progress"):
            assert isinstance(value, ProviderDecision | ProviderProgress)
            case = receive(case, value, T0 + timedelta(days=1)).case
        elif kind == "need":
            assert isinstance(value, Need)
            case = open_case(case, TRADER, value, policy, T0 + timedelta(days=1)).case
        else:
            assert not isinstance(value, Need | ProviderDecision | ProviderProgress)
            case = expire_if_due(case, value).case  # type: ignore[arg-type]
    return case


def concluded_by_provider(conclusion: Outcome, resubmissions: int, policy: KycPolicy) -> VerificationCase:
    world = World.start(
        policy,
        [AttemptScript(True, True, False, "resubmission_requested")] * resubmissions
        + [AttemptScript(True, True, False, conclusion)],  # type: ignore[arg-type]
    )
    return world.in_order()


@settings(max_examples=100, deadline=None)
@given(resubmissions=st.integers(min_value=0, max_value=2), data=st.data())
def test_approved_is_absorbing_except_by_staff(resubmissions: int, data: st.DataObject) -> None:
    policy = KycPolicy(max_attempts=3)
    approved = concluded_by_provider("approved", resubmissions, policy)
    assert approved.status == "approved"
    steps = data.draw(non_staff_inputs(len(approved.attempts)))

    assert apply_non_staff(approved, policy, steps) == approved


@settings(max_examples=100, deadline=None)
@given(resubmissions=st.integers(min_value=0, max_value=2), data=st.data())
def test_declined_stays_declined_until_staff_reopen_it(resubmissions: int, data: st.DataObject) -> None:
    policy = KycPolicy(max_attempts=3)
    declined = concluded_by_provider("declined", resubmissions, policy)
    assert declined.status == "declined"
    steps = data.draw(non_staff_inputs(len(declined.attempts)))

    assert apply_non_staff(declined, policy, steps) == declined
