"""Two rings found to be one: the absorbed flag leaves the open set (`superseded`, pointing at the flag that
absorbed it), holds nothing more and is not decided on its own (409 naming the survivor); a decision on the
survivor covers its accounts. Flags stored before this, the absorbed one still open, are recognised when
staff touch either flag."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.decisions import Decision, FlagSupersededError, supersede
from propdesk.abuse.detection import FlagRecorder
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.flags import Evidence, Flag
from propdesk.abuse.review import DecideFlag, FlagReview
from propdesk.abuse.state import MemoryState
from propdesk.abuse.store import FlagQuery

from tests.doubles.abuse import EnforcementDoubles, InMemoryFlagStore, InMemoryTraders
from tests.doubles.ports import ManualClock
from tests.unit.abuse.desk import MONDAY

ABSORBED = "copy_trading:b1+b2"
SURVIVOR = "copy_trading:a1+a2"


def ring(subject: str, accounts: tuple[str, ...], supersedes: tuple[str, ...] = ()) -> Flag:
    evidence = Evidence("a ring", Decimal("6.00"), "score", (), (("min_score", "4"),))
    traders = tuple(f"t-{account}" for account in accounts)
    found = Flag(f"copy_trading:{subject}", "copy_trading", "high", accounts, traders, evidence, MONDAY)
    return replace(found, supersedes=supersedes)


SMALL = ring("b1+b2", ("b1", "b2"))
MERGED = ring("a1+a2", ("a1", "a2", "a3", "b1", "b2"), ("b1+b2",))


class Desk:
    def __init__(self) -> None:
        self.effects = EnforcementDoubles()
        self.flags = InMemoryFlagStore()
        self.clock = ManualClock(MONDAY + timedelta(hours=1))
        ids = itertools.count(1)
        new_id = lambda: f"id-{next(ids)}"  # noqa: E731
        traders = InMemoryTraders({a: f"t-{a}" for a in ("a1", "a2", "a3", "b1", "b2")})
        enforcer = self.effects.enforcer(traders, self.clock.now)
        self.recorder = FlagRecorder(self.flags, enforcer, self.clock, new_id)
        self.monitor = build_monitor(MemoryState(), AbuseSettings())
        self.review = FlagReview(self.flags, enforcer, new_id)

    def detect(self, flag: Flag) -> None:
        self.recorder.record(flag, self.monitor)

    def held(self) -> dict[str, list[str]]:
        holds = self.effects.holds
        accounts = ("a1", "a2", "a3", "b1", "b2")
        return {a: [h.reference for h in holds.holds_on(a)] for a in accounts if holds.holds_on(a)}

    def decide(self, flag_id: str, decision: Decision = Decision.DISMISS) -> None:
        command = DecideFlag(flag_id, decision, "reviewed", "staff-1", ("risk",), self.clock.now())
        self.review.decide(command)


def test_an_absorbed_flag_is_closed_only_when_the_survivor_names_all_its_accounts() -> None:
    closed = supersede(SMALL, MERGED, MONDAY)

    assert closed is not None
    assert (closed.flag.status, closed.flag.superseded_by) == ("superseded", SURVIVOR)
    assert [(e.kind, e.account_id) for e in closed.effects] == [
        ("release_payouts", "b1"), ("release_payouts", "b2"),
    ]  # fmt: skip
    at_its_bound = replace(MERGED, accounts=("a1", "a2", "a3", "b1"))
    assert supersede(SMALL, at_its_bound, MONDAY) is None, "b2 would be left unheld"
    assert supersede(replace(SMALL, status="warned"), MERGED, MONDAY) is None, "decided: stays so"
    assert supersede(SMALL, replace(MERGED, supersedes=()), MONDAY) is None, "not absorbed"


def test_when_two_rings_turn_out_to_be_one_the_absorbed_flag_leaves_the_queue_and_holds_nothing() -> None:
    desk = Desk()
    desk.detect(SMALL)
    assert desk.held() == {"b1": [ABSORBED], "b2": [ABSORBED]}

    desk.detect(MERGED)

    absorbed = desk.flags.flags[ABSORBED]
    assert (absorbed.status, absorbed.superseded_by) == ("superseded", SURVIVOR)
    assert desk.held() == {account: [SURVIVOR] for account in ("a1", "a2", "a3", "b1", "b2")}
    assert [f.flag_id for f in desk.review.queue(FlagQuery(status="open")).items] == [SURVIVOR]
    superseded = desk.review.queue(FlagQuery(status="superseded")).items
    assert [f.flag_id for f in superseded] == [ABSORBED]
    assert desk.flags.audit[-1].action == "abuse_flag_superseded"


def test_a_decision_on_an_absorbed_flag_is_refused_naming_the_survivor() -> None:
    desk = Desk()
    desk.detect(SMALL)
    desk.detect(MERGED)

    with pytest.raises(FlagSupersededError) as refused:
        desk.decide(ABSORBED, Decision.FAIL_ACCOUNTS)

    assert refused.value.survivor == SURVIVOR and SURVIVOR in refused.value.message
    assert desk.effects.statuses.statuses == {}


def test_a_survivor_absorbed_in_turn_is_followed_to_the_flag_to_decide() -> None:
    desk = Desk()
    desk.detect(SMALL)
    desk.detect(MERGED)
    larger = ring("c1+c2", ("a1", "a2", "a3", "b1", "b2", "c1", "c2"), ("a1+a2", "b1+b2"))
    desk.detect(larger)

    with pytest.raises(FlagSupersededError) as refused:
        desk.decide(ABSORBED)

    assert refused.value.survivor == larger.flag_id


def test_flags_stored_before_supersession_existed_are_closed_when_staff_decide_the_absorbed_one() -> None:
    desk = Desk()
    desk.detect(SMALL)
    desk.flags.flags[SURVIVOR] = MERGED  # stored as before: the absorbed flag still open, holding b1, b2

    assert desk.review.detail(ABSORBED).flag.status == "superseded", "shown superseded"
    assert desk.flags.flags[ABSORBED].status == "open", "reading changes nothing"
    with pytest.raises(FlagSupersededError):
        desk.decide(ABSORBED)

    assert desk.flags.flags[ABSORBED].status == "superseded"
    assert desk.held() == {}, "its holds lifted (the survivor's own holds were never placed in this test)"


def test_a_decision_on_the_survivor_covers_the_accounts_of_the_flags_it_absorbed() -> None:
    desk = Desk()
    desk.detect(SMALL)
    desk.flags.flags[SURVIVOR] = MERGED  # stored as before: the absorbed flag still open

    desk.decide(SURVIVOR, Decision.DISMISS)

    assert desk.flags.flags[ABSORBED].status == "superseded"
    assert desk.held() == {}, "dismissed: nothing of either flag holds payouts"


def test_a_superseded_flag_detected_again_graver_is_reopened_on_its_own() -> None:
    desk = Desk()
    desk.detect(SMALL)
    desk.detect(MERGED)

    desk.detect(replace(SMALL, evidence=replace(SMALL.evidence, score=Decimal("12.00"))))

    reopened = desk.flags.flags[ABSORBED]
    assert (reopened.status, reopened.superseded_by) == ("open", None)
    assert ABSORBED in desk.held()["b1"]
