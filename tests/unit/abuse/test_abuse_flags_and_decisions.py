"""Flags keep one stable id per subject and update rather than duplicate; decisions are staff's (or the
firm's automatic ones) as data; an open flag holds the payouts of the accounts it names."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.decisions import (
    Decision,
    DecisionRefusedError,
    Effect,
    Enforcement,
    decide,
    on_detection,
    payout_holds,
)
from propdesk.abuse.flags import Evidence, Flag, Severity, reconcile
from propdesk.abuse.graph import components

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def flag(score: str = "5", severity: Severity = "medium", accounts: tuple[str, ...] = ("a1", "a2")) -> Flag:
    evidence = Evidence(
        "two accounts copy each other", Decimal(score), "score = ...", (), (("min_score", "4"),)
    )
    return Flag("copy_trading:a1+a2", "copy_trading", severity, accounts, ("t1", "t2"), evidence, NOW)


def test_a_new_flag_is_stored_as_detected_and_an_open_one_takes_the_new_evidence() -> None:
    first = flag()
    later = replace(flag(score="9"), detected_at=NOW + timedelta(days=1), supersedes=("b1+b2",))

    assert reconcile(None, first) == first
    updated = reconcile(first, later)
    assert updated.score == Decimal(9)
    assert updated.first_detected_at == NOW
    assert updated.supersedes == ("b1+b2",)


def test_a_dismissed_flag_stays_dismissed_unless_the_detection_is_graver() -> None:
    dismissed = decide(flag(), Decision.DISMISS, "staff-1", "one family, one desk", NOW).flag

    assert reconcile(dismissed, flag(score="6")) is dismissed
    reopened = reconcile(dismissed, flag(score="8"))
    assert reopened.status == "open"
    assert reconcile(dismissed, flag(severity="high")).status == "open"


def test_an_open_flag_holds_the_payouts_of_every_account_it_names() -> None:
    outcome = on_detection(flag(), Enforcement())

    assert outcome.decision is None
    assert outcome.effects == (
        Effect("hold_payouts", account_id="a1"),
        Effect("hold_payouts", account_id="a2"),
    )
    assert payout_holds([flag(), replace(flag(accounts=("b1",)), status="warned")]) == {"a1", "a2"}


def test_automatic_enforcement_acts_only_where_the_firm_enabled_it_and_the_flag_is_grave_enough() -> None:
    automatic = Enforcement(automatic=Decision.FAIL_ACCOUNTS, min_severity="high")

    assert on_detection(flag(severity="medium"), automatic).decision is None
    outcome = on_detection(flag(severity="high"), automatic)
    assert outcome.decision is Decision.FAIL_ACCOUNTS
    assert outcome.decided_by == "automatic"
    assert outcome.flag.status == "accounts_failed"
    assert [effect.kind for effect in outcome.effects] == ["fail_account", "fail_account"]


def test_staff_decide_with_a_reason_once() -> None:
    warned = decide(flag(), Decision.WARN, "staff-7", " same signal group ", NOW)

    assert warned.flag.status == "warned"
    assert warned.reason == "same signal group"
    assert [effect.kind for effect in warned.effects] == [
        "warn_trader", "warn_trader", "release_payouts", "release_payouts",
    ]  # fmt: skip
    with pytest.raises(DecisionRefusedError) as refused:
        decide(flag(), Decision.DENY_PAYOUT, "staff-7", "  ", NOW)
    assert refused.value.field == "reason"
    with pytest.raises(DecisionRefusedError, match="already decided"):
        decide(warned.flag, Decision.DISMISS, "staff-8", "second look", NOW)


def test_a_flag_is_plain_json() -> None:
    data = json.loads(json.dumps(flag().to_dict()))

    assert data["flag_id"] == "copy_trading:a1+a2"
    assert data["evidence"]["thresholds"] == {"min_score": "4"}
    assert data["first_detected_at"] == NOW.isoformat()


def test_components_join_every_node_reachable_through_edges() -> None:
    groups = components([("a", "b"), ("c", "d"), ("b", "e"), ("d", "f"), ("f", "c"), ("x", "y")])

    assert groups == [{"a", "b", "e"}, {"c", "d", "f"}, {"x", "y"}]  # largest first, then by first node
