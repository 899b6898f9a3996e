"""A decision's effects are crash-safe: stored with the decision in one write (the flag's outbox), carried out
after it and cleared; what a failure or a crash left is carried out by the sweep after its grace period,
exactly once in effect; the decision itself always stands."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.decisions import Decision, Effect, Outcome, PendingOutcome
from propdesk.abuse.flags import Evidence, Flag
from propdesk.abuse.outbox import DecisionOutbox
from propdesk.abuse.review import DecideFlag, FlagReview
from propdesk.domain_events import AbuseFlagDecided
from propdesk.services.risk_outbox_sweep import GRACE, OVERDUE_AFTER, OutboxSweep

from tests.doubles.abuse import EnforcementDoubles, InMemoryFlagStore, InMemoryTraders
from tests.doubles.ports import ManualClock
from tests.unit.abuse.desk import MONDAY

FLAG_ID = "hedging:a1+b1"


def flag() -> Flag:
    evidence = Evidence("2 hedges", Decimal("2.00"), "hedges", (("hedges", "2"),), (("min_hedges", "2"),))
    return Flag(FLAG_ID, "hedging", "high", ("a1", "a2", "b1"), ("t1", "t2"), evidence, MONDAY)


class Desk:
    def __init__(self) -> None:
        self.effects = EnforcementDoubles()
        self.flags = InMemoryFlagStore()
        self.flags.flags[FLAG_ID] = flag()
        self.clock = ManualClock(MONDAY + timedelta(hours=1))
        ids = itertools.count(1)
        self.new_id = lambda: f"id-{next(ids)}"
        traders = InMemoryTraders({"a1": "t1", "a2": "t1", "b1": "t2"})
        self.enforcer = self.effects.enforcer(traders, self.clock.now)
        self.review = FlagReview(self.flags, self.enforcer, self.new_id)
        self.outbox = DecisionOutbox(self.flags, self.enforcer, self.new_id)
        self.sweep = OutboxSweep(self.flags, self.outbox, self.clock)

    def decide(self, decision: Decision) -> Outcome:
        command = DecideFlag(FLAG_ID, decision, "reviewed", "staff-1", ("risk",), self.clock.now())
        return self.review.decide(command)

    def told(self) -> list[str]:
        published = self.effects.publisher.published
        return sorted(e.trader_id for e in published if isinstance(e, AbuseFlagDecided))

    def disabled(self) -> list[str]:
        return sorted(account for account, _ in self.effects.control.disabled)


def platform_down(*args: object, **kwargs: object) -> None:
    raise ConnectionError("platform bridge unreachable")


def crash_after_the_write(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller dies right after the decision's write: nothing of its effects is carried out."""
    for outbox in (desk.outbox, desk.review._outbox):  # the review's own
        monkeypatch.setattr(outbox, "carry_out_now", lambda *args: None)


def test_a_decision_is_stored_with_its_effects_which_are_carried_out_and_cleared() -> None:
    desk = Desk()

    desk.decide(Decision.FAIL_ACCOUNTS)

    assert desk.flags.flags[FLAG_ID].status == "accounts_failed"
    assert desk.flags.outboxes == {}, "done: the outbox is empty"
    assert desk.disabled() == ["a1", "a2", "b1"] and desk.told() == ["t1", "t2"]


def test_a_crash_after_the_decision_leaves_its_effects_to_the_sweep_which_settles_them_exactly_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk()
    crash_after_the_write(desk, monkeypatch)
    desk.decide(Decision.FAIL_ACCOUNTS)
    pending = desk.flags.outboxes[FLAG_ID]
    assert [e.kind for e in pending.effects] == ["fail_account"] * 3 + ["tell_traders"]
    assert desk.disabled() == [] and desk.effects.statuses.statuses == {}

    early = desk.sweep.run()
    assert (early.found, early.waiting, early.settled) == (1, 1, ()), "within the grace: the caller's"

    desk.clock.advance(GRACE)
    report = desk.sweep.run()
    again = desk.sweep.run()

    assert report.settled == (FLAG_ID,) and again.found == 0
    assert desk.effects.statuses.statuses == {"a1": "failed", "a2": "failed", "b1": "failed"}
    assert desk.disabled() == ["a1", "a2", "b1"] and desk.told() == ["t1", "t2"]
    assert len(desk.effects.audit.entries) == 3, "each account's failure audited once"


def test_an_effect_that_fails_leaves_it_and_the_rest_pending_and_the_decision_stands() -> None:
    desk = Desk()
    calls: list[str] = []

    def platform_down_for_a2(account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        calls.append(account_id)
        if account_id == "a2":
            raise ConnectionError("platform bridge unreachable")
        desk.effects.control.disabled.append((account_id, reason))

    desk.effects.control.disable = platform_down_for_a2  # type: ignore[method-assign]

    outcome = desk.decide(Decision.FAIL_ACCOUNTS)

    assert outcome.flag.status == "accounts_failed", "answered: the decision is stored"
    left = desk.flags.outboxes[FLAG_ID].effects
    assert left == (Effect("fail_account", "a2"), Effect("fail_account", "b1"), Effect("tell_traders"))
    assert desk.told() == [], "told only once every account is done"

    desk.effects.control.disable = lambda account_id, trader_id, reason, cause="": (  # type: ignore[method-assign]
        desk.effects.control.disabled.append((account_id, reason))
    )
    desk.clock.advance(GRACE)
    report = desk.sweep.run()

    assert report.settled == (FLAG_ID,) and desk.flags.outboxes == {}
    assert desk.disabled() == ["a1", "a2", "b1"], "a1 not disabled again"
    assert desk.told() == ["t1", "t2"]


def test_effects_that_keep_failing_are_counted_each_run_and_reported_overdue() -> None:
    desk = Desk()
    desk.effects.publisher.fail_next = 10  # the bus is down: the traders cannot be told
    desk.decide(Decision.WARN)

    desk.clock.advance(GRACE)
    first = desk.sweep.run()
    desk.clock.advance(OVERDUE_AFTER)
    later = desk.sweep.run()

    assert first.failed == (FLAG_ID,) and later.overdue == (FLAG_ID,)
    assert desk.flags.outboxes[FLAG_ID].effects == (Effect("tell_traders"),)


def test_the_same_decision_sent_again_carries_out_what_its_outbox_still_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk()
    crash_after_the_write(desk, monkeypatch)
    desk.decide(Decision.WARN)
    monkeypatch.undo()

    desk.decide(Decision.WARN)
    desk.clock.advance(GRACE)

    assert desk.flags.outboxes == {} and desk.sweep.run().found == 0
    assert desk.told() == ["t1", "t2"]
    assert len(desk.flags.audit) == 1, "the decision audited once"


def test_the_sweep_and_the_caller_settling_at_once_land_each_effect_once() -> None:
    desk = Desk()
    decided = replace(flag(), status="accounts_failed")
    failing = tuple(Effect("fail_account", account) for account in ("a1", "a2", "b1"))
    outcome = Outcome(decided, Decision.FAIL_ACCOUNTS, "staff-1", "reviewed", failing, desk.clock.now())
    pending = desk.outbox.pending_for(outcome, desk.clock.now())
    desk.flags.flags[FLAG_ID], desk.flags.outboxes[FLAG_ID] = decided, pending

    desk.outbox.carry_out_now(FLAG_ID, pending, outcome)  # the caller
    desk.outbox.carry_out_now(FLAG_ID, pending, outcome)  # the sweep, having read the same outbox

    assert desk.effects.statuses.statuses == {"a1": "failed", "a2": "failed", "b1": "failed"}
    assert len(desk.effects.audit.entries) == 3, "each failure audited once"
    events = [e.event_id for e in desk.effects.publisher.published if isinstance(e, AbuseFlagDecided)]
    assert len(set(events)) == 2, "told twice with the same event ids (the bus's consumers dedupe)"
    assert desk.flags.outboxes == {}


def test_a_pending_outcome_is_stored_and_read_back_exactly() -> None:
    outcome = Outcome(
        flag(), Decision.DENY_PAYOUT, "staff-1", "reviewed", (Effect("deny_payouts", "a1"),), MONDAY
    )
    effects = (Effect("deny_payouts", "a1"), Effect("tell_traders"))
    pending = PendingOutcome.of(outcome, "outbox-1", effects, MONDAY)

    assert PendingOutcome.from_dict(pending.to_dict()) == pending
    rebuilt = pending.outcome(flag())
    assert rebuilt.decision is Decision.DENY_PAYOUT and rebuilt.effects == pending.effects


def test_an_automatic_decision_whose_effects_fail_is_stored_with_them_for_the_sweep() -> None:
    from propdesk.abuse.detection import FlagRecorder
    from propdesk.abuse.firm_settings import build_monitor, parse_settings
    from propdesk.abuse.state import MemoryState

    desk = Desk()
    del desk.flags.flags[FLAG_ID]
    monitor = build_monitor(MemoryState(), parse_settings("", "hedging=fail_accounts:high"))
    recorder = FlagRecorder(desk.flags, desk.enforcer, desk.clock, desk.new_id)
    desk.effects.control.disable = platform_down  # type: ignore[method-assign]

    recorder.record(flag(), monitor)  # the stream goes on: the decision is stored, its effects pending

    assert desk.flags.flags[FLAG_ID].status == "accounts_failed"
    assert desk.flags.audit[-1].actor == "system:abuse_detect"
    pending = desk.flags.outboxes[FLAG_ID]
    assert pending.decided_by == "automatic" and pending.effects[-1] == Effect("tell_traders")

    desk.effects.control.disable = lambda account_id, trader_id, reason, cause="": (  # type: ignore[method-assign]
        desk.effects.control.disabled.append((account_id, reason))
    )
    desk.clock.advance(GRACE)
    assert desk.sweep.run().settled == (FLAG_ID,)
    assert desk.disabled() == ["a1", "a2", "b1"]
    assert {e.decided_by for e in desk.effects.publisher.published if isinstance(e, AbuseFlagDecided)} == {
        "automatic"
    }
