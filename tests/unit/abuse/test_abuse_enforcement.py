"""A decision's effects bite: warn tells each trader (their own accounts, nothing of the case), deny rejects
the payouts still waiting, fail fails the accounts through the status path and disables them; every effect
idempotent and audited; a flag that opens is announced for staff."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.decisions import Decision, DecisionRefusedError
from propdesk.abuse.flags import Evidence, Flag
from propdesk.abuse.payout_denial import DENIAL_ACTOR, DENIAL_REASON
from propdesk.abuse.review import DecideFlag, FlagReview
from propdesk.domain_events import AbuseFlagDecided, AbuseFlagRaised, PayoutRejected
from propdesk.payouts.model import Payout, PayoutStatus

from tests.doubles.abuse import EnforcementDoubles, InMemoryFlagStore, InMemoryTraders
from tests.doubles.ports import ManualClock
from tests.unit.abuse.desk import MONDAY

FLAG_ID = "hedging:a1+b1"


def flag(status: str = "open") -> Flag:
    evidence = Evidence("2 hedges", Decimal("2.00"), "hedges", (("hedges", "2"),), (("min_hedges", "2"),))
    return Flag(
        FLAG_ID, "hedging", "high", ("a1", "a2", "b1"), ("t1", "t2"), evidence, MONDAY,
        status=status,  # type: ignore[arg-type]
    )  # fmt: skip


def payout(payout_id: str, account: str, status: PayoutStatus, revision: int = 0) -> Payout:
    return Payout(
        payout_id, account, "t1", status, "USD", Decimal(1000), Decimal(800), Decimal(200),
        MONDAY - timedelta(days=1), revision=revision, published_status=status,
    )  # fmt: skip


class Review:
    def __init__(self) -> None:
        self.effects = EnforcementDoubles()
        self.flags = InMemoryFlagStore()
        self.flags.flags[FLAG_ID] = flag()
        self.clock = ManualClock(MONDAY + timedelta(hours=1))
        traders = InMemoryTraders({"a1": "t1", "a2": "t1", "b1": "t2"})
        self.enforcer = self.effects.enforcer(traders, self.clock.now)
        self.review = FlagReview(self.flags, self.enforcer, lambda: "entry-1")

    def decide(self, decision: Decision, actor: str = "staff-1") -> None:
        self.review.decide(DecideFlag(FLAG_ID, decision, "reviewed", actor, ("risk",), self.clock.now()))

    def told(self) -> list[AbuseFlagDecided]:
        return [e for e in self.effects.publisher.published if isinstance(e, AbuseFlagDecided)]


def test_a_warning_tells_each_trader_once_about_their_own_accounts_and_nothing_of_the_case() -> None:
    world = Review()

    world.decide(Decision.WARN)

    told = {event.trader_id: event for event in world.told()}
    assert set(told) == {"t1", "t2"}
    assert told["t1"].account_ids == ["a1", "a2"] and told["t2"].account_ids == ["b1"]
    assert told["t1"].decision == "warn" and told["t1"].decided_by == "staff"
    assert "hedging" not in told["t1"].model_dump_json(), "no detector, score or evidence reaches the trader"
    assert world.effects.holds.holds_on("a1") == []


def test_a_dismissal_reaches_no_trader() -> None:
    world = Review()

    world.decide(Decision.DISMISS)

    assert world.told() == []


def test_denying_payouts_rejects_those_waiting_resumes_their_workflow_and_leaves_those_paying() -> None:
    world = Review()
    store = world.effects.payouts
    store.payouts["p1"] = payout("p1", "a1", "requested")
    store.payouts["p2"] = payout("p2", "b1", "withdrawn")
    store.payouts["p0"] = payout("p0", "a2", "paid")
    store.tokens[("p1", "approval")] = "token-1"
    world.effects.callback.valid_tokens.add("token-1")

    world.decide(Decision.DENY_PAYOUT)

    rejected = store.payouts["p1"]
    assert rejected.status == "rejected" and rejected.decided_by == DENIAL_ACTOR
    assert rejected.decision_reason == DENIAL_REASON
    assert store.payouts["p2"].status == "withdrawn" and store.payouts["p0"].status == "paid"
    assert world.effects.callback.succeeded == [("token-1", {"decision": "reject", "payout_id": "p1"})]
    entry = store.audit[-1]
    assert entry.action == "payout.rejected" and entry.actor == DENIAL_ACTOR and FLAG_ID in entry.reason
    published = [e for e in world.effects.publisher.published if isinstance(e, PayoutRejected)]
    assert [(e.payout_id, e.reason) for e in published] == [("p1", DENIAL_REASON)]
    assert len(world.effects.holds.holds_on("a1")) == 1, "the hold stays"
    assert {e.decision for e in world.told()} == {"deny_payout"}


def test_a_payout_the_workflow_moved_meanwhile_is_read_again_and_still_refused() -> None:
    world = Review()
    store = world.effects.payouts
    store.payouts["p1"] = payout("p1", "a1", "requested")
    stale = store.payouts["p1"]
    store.payouts["p1"] = payout("p1", "a1", "approved", revision=1)  # the workflow approved it
    store.all_for_account = lambda account: [stale] if account == "a1" else []  # type: ignore[method-assign]

    world.decide(Decision.DENY_PAYOUT)

    assert store.payouts["p1"].status == "rejected"


def test_failing_the_accounts_fails_each_active_one_once_audited_and_disables_them_all() -> None:
    world = Review()
    world.effects.statuses.statuses["b1"] = "failed"  # failed by a breach before: not failed again

    world.decide(Decision.FAIL_ACCOUNTS)

    statuses = world.effects.statuses
    assert statuses.statuses == {"a1": "failed", "a2": "failed", "b1": "failed"}
    assert statuses.reasons == {"a1": "abuse_review", "a2": "abuse_review"}
    assert [(e.subject, e.actor) for e in world.effects.audit.entries] == [
        ("ACCOUNT#a1", "staff-1"), ("ACCOUNT#a2", "staff-1"),
    ]  # fmt: skip
    assert sorted(world.effects.control.disabled) == [("a1", "abuse"), ("a2", "abuse"), ("b1", "abuse")]
    assert {e.decision for e in world.told()} == {"fail_accounts"}


def test_the_same_decision_sent_again_redoes_its_effects_harmlessly_and_another_is_refused() -> None:
    world = Review()
    world.effects.payouts.payouts["p1"] = payout("p1", "a1", "requested")
    world.decide(Decision.DENY_PAYOUT)
    published = list(world.effects.publisher.published)
    audited = len(world.flags.audit)

    world.decide(Decision.DENY_PAYOUT, actor="staff-2")

    again = world.effects.publisher.published[len(published) :]
    assert {e.event_id for e in again} <= {e.event_id for e in published}, "the same events, deduped by id"
    assert len(world.flags.audit) == audited, "the decision is audited once"
    assert world.effects.payouts.payouts["p1"].revision == 1, "not rejected twice"
    with pytest.raises(DecisionRefusedError):
        world.decide(Decision.WARN)


def test_an_automatic_decision_is_told_as_automatic() -> None:
    from propdesk.abuse.decisions import Enforcement, on_detection

    world = Review()
    outcome = on_detection(flag(), Enforcement(Decision.WARN, "high"))

    world.enforcer.apply(outcome)

    assert {e.decided_by for e in world.told()} == {"automatic"}


def test_a_raised_flag_is_announced_for_staff_with_its_accounts_and_no_evidence() -> None:
    world = Review()

    world.enforcer.raised(flag())
    world.enforcer.raised(flag())

    raised = [e for e in world.effects.publisher.published if isinstance(e, AbuseFlagRaised)]
    assert len({e.event_id for e in raised}) == 1, "one detection, one event id"
    assert raised[0].account_ids == ["a1", "a2", "b1"] and raised[0].severity == "high"
    assert "evidence" not in raised[0].model_dump()
