"""A staff breach override replays the risk engine: risk_recalc on the override's real stream record.

The override is written as the staff API writes it (StaffActions, one transaction with the reinstatement
and the audit entry); its INSERT record comes from DynamoDB Local's stream.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.data.staff_actions import StaffActions
from propdesk.engine import Evaluator, Program
from propdesk.records import AuditEntry, BreachEvidence, BreachOverride, RiskSnapshot
from propdesk.services.account_metrics import live_metrics

from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records
from tests.integration.risk_world import RiskWorld
from tests.integration.test_risk_recalc import equity, opened

pytestmark = pytest.mark.integration

DAY_ONE = "2026-03-02T{}:00+01:00"
DAY_TWO = "2026-03-03T{}:00+01:00"


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str) -> RiskWorld:
    return RiskWorld.open(dynamodb_local, tables, unique_id)


def fail_on_day_one(world: RiskWorld, drop: str = "94999.99") -> BreachEvidence:
    world.store(
        opened("e1", DAY_ONE.format("10:00"), "p1"),
        equity("e2", DAY_ONE.format("10:05"), drop),
        equity("e3", DAY_ONE.format("10:06"), "96000.00"),
    )
    assert world.deliver(world.stream()) == {"batchItemFailures": []}
    assert world.evaluation()["status"] == "failed"
    return BreachRepository().list_for_account(world.account.account_id).items[0]


def override(world: RiskWorld, evidence: BreachEvidence, reinstate: bool = True) -> None:
    """What `POST /v1/staff/accounts/{id}/breach-overrides` writes."""
    account_id = world.account.account_id
    account = AccountRepository().get(account_id)
    assert account is not None
    at = world.clock.now()
    StaffActions().override_breach(
        BreachOverride(
            override_id=uuid.uuid4().hex,
            account_id=account_id,
            breach_id=keys.breach_id(keys.breach_sk(evidence.time, evidence.rule, evidence.identity)),
            actor="risk-ann",
            reason="platform price spike",
            at=at,
        ),
        account if reinstate and account.status == "failed" else None,
        AuditEntry(
            entry_id=uuid.uuid4().hex,
            at=at,
            actor="risk-ann",
            action="breach.overridden",
            subject=f"ACCOUNT#{account_id}",
            reason="platform price spike",
        ),
    )


def override_records(world: RiskWorld) -> list[dict[str, Any]]:
    """The account's override INSERT records on the real stream (what the mapping's second filter passes)."""
    pk = keys.account_pk(world.account.account_id)
    return [
        record
        for record in stream_records(
            world.server.streams_client(), world.server.stream_arn(world.tables.main)
        )
        if record["eventName"] == "INSERT"
        and record["dynamodb"]["Keys"]["pk"]["S"] == pk
        and record["dynamodb"]["Keys"]["sk"]["S"].startswith(keys.OVERRIDE_PREFIX)
    ]


def snapshot(world: RiskWorld) -> RiskSnapshot:
    stored = RiskStateRepository().get(world.account.account_id)
    assert stored is not None
    return stored


def metrics_status(world: RiskWorld) -> str:
    account = AccountRepository().get(world.account.account_id)
    assert account is not None
    version = CatalogueRepository().get_version(account.program_id, account.program_version)
    assert version is not None
    evaluator = Evaluator(Program.from_dict(version.document))
    now = datetime.fromisoformat(DAY_ONE.format("12:00"))
    return live_metrics(account, evaluator, snapshot(world), now).status


def test_an_override_with_reinstatement_replays_the_account_active(world: RiskWorld) -> None:
    account_id = world.account.account_id
    evidence = fail_on_day_one(world)
    before = snapshot(world)
    override(world, evidence)

    [record] = override_records(world)
    assert world.deliver([record]) == {"batchItemFailures": []}

    after = snapshot(world)
    assert after.version > before.version
    assert after.evaluation["status"] == "active"
    [breach] = after.evaluation["breaches"]
    assert (breach["rule"], breach["event_id"], breach["overridden"]) == ("daily_loss", "e2", True)
    assert after.evaluation["metrics"]["equity"] == "96000.00"  # e3 counts now
    assert metrics_status(world) == "active"
    assert len(world.publisher.of_type("account.breached")) == 1  # not published again
    assert world.control.disabled == [(account_id, "daily_loss")]
    assert world.control.enabled == [(account_id, "breach overridden")]
    account = AccountRepository().get(account_id)
    assert account is not None and account.status == "active"
    assert len(BreachRepository().list_for_account(account_id).items) == 1  # the evidence is unchanged


def test_a_redelivered_override_record_changes_nothing(world: RiskWorld) -> None:
    override(world, fail_on_day_one(world))
    records = override_records(world)
    world.deliver(records)
    settled = snapshot(world)

    assert world.deliver(records + records) == {"batchItemFailures": []}

    assert snapshot(world) == settled
    assert len(world.control.enabled) == 1
    assert len(world.publisher.of_type("account.breached")) == 1


def test_after_the_override_a_new_breach_counts_and_fails_the_account_again(world: RiskWorld) -> None:
    account_id = world.account.account_id
    override(world, fail_on_day_one(world))
    world.deliver(override_records(world))

    # day 2: the daily floor is again 95,000 (p1 is still open, the balance at reset 100,000); below it
    world.store(equity("e4", DAY_TWO.format("10:00"), "94000.00"))
    fresh = [r for r in world.stream() if r["dynamodb"]["Keys"]["sk"]["S"].endswith("#e4")]
    assert world.deliver(fresh) == {"batchItemFailures": []}

    after = snapshot(world)
    assert after.evaluation["status"] == "failed"
    assert [(b["event_id"], b["overridden"]) for b in after.evaluation["breaches"]] == [
        ("e2", True),
        ("e4", False),
    ]
    assert len(world.publisher.of_type("account.breached")) == 2
    assert len(world.control.disabled) == 2  # a distinct request: the platform had enabled it meanwhile
    account = AccountRepository().get(account_id)
    assert account is not None and account.status == "failed"
    assert len(BreachRepository().list_for_account(account_id).items) == 2


def test_a_late_event_replay_keeps_the_override(world: RiskWorld) -> None:
    override(world, fail_on_day_one(world))
    world.deliver(override_records(world))

    world.store(equity("late", DAY_ONE.format("10:03"), "97000.00"))  # before the breach's tick
    late = [r for r in world.stream() if r["dynamodb"]["Keys"]["sk"]["S"].endswith("#late")]
    assert world.deliver(late) == {"batchItemFailures": []}

    after = snapshot(world)
    assert after.evaluation["status"] == "active"
    assert [b["overridden"] for b in after.evaluation["breaches"]] == [True]
    assert len(world.publisher.of_type("account.breached")) == 1


def test_a_reinstated_account_another_breach_still_fails_is_failed_again(world: RiskWorld) -> None:
    account_id = world.account.account_id
    fail_on_day_one(world, drop="89000.00")  # below the daily (95,000) and the overall (90,000) floor at once
    daily = next(e for e in BreachRepository().list_for_account(account_id).items if e.rule == "daily_loss")
    override(world, daily)
    reinstated = AccountRepository().get(account_id)
    assert reinstated is not None and reinstated.status == "active"

    world.deliver(override_records(world))

    after = snapshot(world)
    assert after.evaluation["status"] == "failed"
    assert [(b["rule"], b["overridden"]) for b in after.evaluation["breaches"]] == [
        ("daily_loss", True),
        ("max_loss", False),
    ]
    account = AccountRepository().get(account_id)
    assert account is not None and (account.status, account.status_reason) == ("failed", "max_loss")
    assert world.control.enabled == []
    assert len(world.publisher.of_type("account.breached")) == 2  # the two original ones, nothing new


def test_an_override_without_reinstatement_keeps_the_account_failed_and_disabled(world: RiskWorld) -> None:
    override(world, fail_on_day_one(world), reinstate=False)

    world.deliver(override_records(world))

    assert snapshot(world).evaluation["status"] == "active"  # the engine's view: the breach is waived
    assert metrics_status(world) == "failed"  # the account's stored status rules
    assert world.control.enabled == []


def test_an_overridden_pause_lifts_the_lock(
    dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str
) -> None:
    world = RiskWorld.open(
        dynamodb_local, tables, unique_id, program_id="futures-50k", opened_at="2026-03-02T14:00:00+00:00"
    )
    world.store(
        {"event_id": "o1", "time": "2026-03-02T09:00:00-06:00", "type": "position_opened",
         "position_id": "p1", "symbol": "ES", "side": "buy", "volume": "1"},
        {"event_id": "q1", "time": "2026-03-02T10:00:00-06:00", "type": "equity", "equity": "48999.00"},
    )  # fmt: skip
    world.deliver(world.stream())
    [(_, _, until)] = world.control.paused
    [evidence] = BreachRepository().list_for_account(world.account.account_id).items

    override(world, evidence, reinstate=False)
    assert world.deliver(override_records(world)) == {"batchItemFailures": []}

    assert world.control.resumed == [(world.account.account_id, until)]
    state = snapshot(world).state
    assert state["paused_until"] is None and state["breaches"][0]["overridden"] is True


def test_poison_override_records_are_reported_not_raised(world: RiskWorld) -> None:
    override(world, fail_on_day_one(world))
    [record] = override_records(world)
    foreign = copy.deepcopy(record)
    foreign["dynamodb"]["SequenceNumber"] = "901"
    foreign["dynamodb"]["Keys"]["pk"] = {"S": "SYSTEM"}
    unknown = copy.deepcopy(record)
    unknown["dynamodb"]["SequenceNumber"] = "902"
    unknown["dynamodb"]["Keys"]["pk"] = {"S": keys.account_pk("no-such-account")}
    keyless = copy.deepcopy(record)
    keyless["dynamodb"]["SequenceNumber"] = "903"
    del keyless["dynamodb"]["Keys"]["pk"]
    removed = copy.deepcopy(record)
    removed["eventName"] = "REMOVE"

    response = world.deliver([foreign, unknown, keyless, removed, record])

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "901"}, {"itemIdentifier": "902"}, {"itemIdentifier": "903"}]
    }
    assert snapshot(world).evaluation["status"] == "active"  # the good record was still processed


def test_the_override_record_has_the_shape_lambda_delivers(world: RiskWorld) -> None:
    override(world, fail_on_day_one(world))
    [record] = override_records(world)

    assert record["eventSource"] == "aws:dynamodb" and record["eventName"] == "INSERT"
    assert record["dynamodb"]["Keys"]["sk"]["S"].startswith("OVERRIDE#")
    assert record["dynamodb"]["NewImage"]["entity"] == {"S": "breach_override"}
