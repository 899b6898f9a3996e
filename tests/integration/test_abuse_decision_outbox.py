"""Abuse decisions on DynamoDB Local: a decision is stored with its effects (the flag's outbox) in one
conditional write; effects that crashed leave the flag in the table's sparse outbox index, where
abuse_outbox_sweep finds it (a Query, no scan) and settles it exactly once, the flag leaving the index with
its last effect. Absorbed flags: closed as `superseded` (their own queue partition), holding nothing, and a
decision on one is refused by the review route with 409 naming the survivor."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.abuse.decisions import Decision, Effect
from propdesk.abuse.enforcement import Enforcer
from propdesk.abuse.flags import Evidence, Flag
from propdesk.abuse.outbox import DecisionOutbox
from propdesk.abuse.review import DecideFlag, FlagReview
from propdesk.abuse.store import CachedTraders, FlagQuery
from propdesk.data.abuse_flags import AbuseFlagRepository
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.domain_events import AbuseFlagDecided
from propdesk.errors import VersionConflictError
from propdesk.payouts.holds import PayoutHold
from propdesk.records import PendingOutbox
from propdesk.services.risk_outbox_sweep import GRACE, OutboxSweep

from functions.abuse_outbox_sweep import handler as abuse_outbox_sweep
from tests.doubles.ports import InMemoryAccountControl, InMemoryEventPublisher, ManualClock
from tests.integration.abuse_world import dynamo_enforcer
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


def ring(
    subject: str, accounts: tuple[str, ...], traders: tuple[str, ...], supersedes: tuple[str, ...] = ()
) -> Flag:
    evidence = Evidence("a ring", Decimal("6.00"), "score", (("repeats", "6"),), (("min_score", "4"),))
    found = Flag(f"copy_trading:{subject}", "copy_trading", "high", accounts, traders, evidence, MONDAY)
    return replace(found, supersedes=supersedes)


class ThisFlagsOutbox:
    """The real index, seen through this test's flags only (the session's tests share the table)."""

    def __init__(self, *flag_ids: str) -> None:
        self.flag_ids = set(flag_ids)

    def pending_outboxes(self) -> Iterator[PendingOutbox]:
        return (e for e in AbuseFlagRepository().pending_outboxes() if e.account_id in self.flag_ids)


class Desk:
    def __init__(self, unique: str) -> None:
        self.a, self.b = f"ob-a{unique}", f"ob-b{unique}"
        self.t1, self.t2 = f"ob-t1{unique}", f"ob-t2{unique}"
        for account_id, trader in ((self.a, self.t1), (self.b, self.t2)):
            AccountRepository().open(account(account_id, trader))
        self.flag = ring(f"{self.a}+{self.b}", (self.a, self.b), (self.t1, self.t2))
        self.flags = AbuseFlagRepository()
        self.flags.save(self.flag, self.flag)
        self.bus, self.control = InMemoryEventPublisher(), InMemoryAccountControl()
        self.clock = ManualClock(MONDAY)

    def enforcer(self) -> Enforcer:
        traders = CachedTraders(AccountRepository())
        return dynamo_enforcer(self.control, traders, self.clock.now, self.bus)

    def review(self) -> FlagReview:
        return FlagReview(AbuseFlagRepository(), self.enforcer(), lambda: uuid.uuid4().hex)

    def sweep(self) -> dict[str, Any]:
        """One scheduled run of the function, on this test's part of the index."""
        settler = DecisionOutbox(AbuseFlagRepository(), self.enforcer(), lambda: uuid.uuid4().hex)
        service = OutboxSweep(ThisFlagsOutbox(self.flag.flag_id), settler, self.clock)
        return abuse_outbox_sweep.process({}, LambdaContextStub(), service)

    def told(self) -> list[str]:
        return sorted(e.trader_id for e in self.bus.published if isinstance(e, AbuseFlagDecided))


@pytest.fixture()
def desk(tables: TableNames, unique_id: str) -> Desk:
    return Desk(unique_id)


def platform_down(*args: object, **kwargs: object) -> None:
    raise ConnectionError("platform bridge unreachable")


def test_a_decision_whose_effects_crashed_is_settled_by_the_sweep_exactly_once(desk: Desk) -> None:
    desk.control.disable = platform_down  # type: ignore[method-assign]
    command = DecideFlag(desk.flag.flag_id, Decision.FAIL_ACCOUNTS, "ring", "risk-1", ("risk",), MONDAY)

    outcome = desk.review().decide(command)

    assert outcome.flag.status == "accounts_failed", "the decision stands"
    found = desk.flags.outbox(desk.flag.flag_id)
    assert found is not None
    assert found[1].effects == (Effect("fail_account", desk.a), Effect("fail_account", desk.b),
                                Effect("tell_traders"))  # fmt: skip
    assert [e.account_id for e in ThisFlagsOutbox(desk.flag.flag_id).pending_outboxes()] == [
        desk.flag.flag_id
    ]
    assert desk.told() == []

    desk.control = InMemoryAccountControl()  # the platform is back
    early = desk.sweep()
    desk.clock.advance(GRACE)
    summary = desk.sweep()
    again = desk.sweep()

    assert early["waiting"] == 1 and early["settled"] == []
    assert summary["settled"] == [desk.flag.flag_id] and summary["failed"] == []
    assert again["found"] == 0, "left the outbox index with its last effect"
    assert desk.flags.outbox(desk.flag.flag_id) is None
    for account_id in (desk.a, desk.b):
        stored = AccountRepository().get(account_id, consistent=True)
        assert stored is not None and stored.status == "failed"
        actions = [e.action for e in AuditLog().for_subject(f"ACCOUNT#{account_id}").items]
        assert actions.count("account.failed") == 1
    assert sorted(a for a, _ in desk.control.disabled) == sorted((desk.a, desk.b))
    assert desk.told() == sorted((desk.t1, desk.t2))


def test_the_outbox_survives_a_detection_update_and_is_cleared_only_by_its_own_decision(desk: Desk) -> None:
    desk.control.disable = platform_down  # type: ignore[method-assign]
    command = DecideFlag(desk.flag.flag_id, Decision.FAIL_ACCOUNTS, "ring", "risk-1", ("risk",), MONDAY)
    desk.review().decide(command)
    decided = desk.flags.get(desk.flag.flag_id)
    assert decided is not None

    desk.flags.save(decided, replace(decided, detected_at=MONDAY + timedelta(hours=1)))  # a later write
    found = desk.flags.outbox(desk.flag.flag_id)
    assert found is not None

    with pytest.raises(VersionConflictError):
        desk.flags.set_pending(desk.flag.flag_id, "another-decision", ())
    desk.flags.set_pending(desk.flag.flag_id, found[1].outbox_id, ())
    assert desk.flags.outbox(desk.flag.flag_id) is None


def test_an_absorbed_flag_is_closed_out_of_the_queue_and_a_decision_on_it_answers_409_naming_the_survivor(
    desk: Desk, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.abuse_api import handler as abuse_api
    from tests.integration.api.api_world import claims, request

    c = f"ob-c{unique_id}"
    AccountRepository().open(account(c, desk.t1))
    holds = PayoutHoldRepository()
    for held in (desk.a, desk.b):
        holds.place(PayoutHold(held, "abuse", desk.flag.flag_id, "review", MONDAY))
    survivor = ring(f"{c}+x{unique_id}", (desk.a, desk.b, c), (desk.t1, desk.t2), (f"{desk.a}+{desk.b}",))
    desk.flags.save(survivor, survivor)  # stored as before supersession: the absorbed flag still open

    monkeypatch.setenv("EVENT_BUS_NAME", "propdesk-test")
    abuse_api.production_dependencies.cache_clear()
    deps = abuse_api.production_dependencies()
    deps = replace(deps, review=desk.review(), clock=ManualClock(MONDAY))

    def call(operation: str, **given: Any) -> tuple[int, Any]:
        who = claims("risk-1", "risk")
        answer = abuse_api.process(request(operation, identity=who, **given), LambdaContextStub(), deps)
        return answer["statusCode"], json.loads(answer["body"])

    path = {"flag_id": desk.flag.flag_id.replace("+", "%2B")}
    status, detail = call("getAbuseFlag", path=path)
    assert status == 200 and (detail["status"], detail["superseded_by"]) == ("superseded", survivor.flag_id)

    status, refused = call(
        "decideAbuseFlag", path=path, body={"decision": "warn", "reason": "checked the ring"}
    )

    assert status == 409 and survivor.flag_id in json.dumps(refused), refused
    closed = desk.flags.get(desk.flag.flag_id)
    assert closed is not None and (closed.status, closed.superseded_by) == ("superseded", survivor.flag_id)
    assert holds.holds_on(desk.a) == [] and holds.holds_on(desk.b) == [], "its holds lifted"
    listed = desk.flags.page(FlagQuery(status="superseded", detector="copy_trading"), limit=100).items
    assert desk.flag.flag_id in [f.flag_id for f in listed]
    still_open = desk.flags.page(FlagQuery(status="open", detector="copy_trading"), limit=100).items
    assert desk.flag.flag_id not in [f.flag_id for f in still_open]
    actions = [e.action for e in AuditLog().for_subject(f"FLAG#{desk.flag.flag_id}").items]
    assert actions == ["abuse_flag_superseded"]
