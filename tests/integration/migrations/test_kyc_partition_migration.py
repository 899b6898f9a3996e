"""The one-off move of KYC cases from `TRADER#{id}` to `KYC#{id}` (scripts/migrations), against DynamoDB
Local: old items are written exactly as the code before the move wrote them (the same items, under the
trader's partition), then moved; the KYC store finds them afterwards, with their pending effects and their
place in staff's review queue. A dry run writes nothing, a second run has nothing to do, a copy made by a run
that died before deleting is verified and finished, and a trader who opened a new case meanwhile is a
conflict that keeps both items."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.kyc import DynamoKycCaseStore, KycRepository
from propdesk.kyc.case import KycPolicy, Need, open_case
from propdesk.kyc.store import Announcement

from scripts.migrations.kyc_cases_to_kyc_partition import KycPartitionMigration, Report, main
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def old_case(
    client: Any, table: str, trader_id: str, status: str = "awaiting_session", effects: int = 0
) -> None:
    """A case (and `effects` pending effects) where the code before the move kept them: `TRADER#{id}`."""
    case = open_case(None, trader_id, Need("funded", "acc-1"), KycPolicy(), T0).case
    if status != "awaiting_session":
        case = replace(case, status=status)  # type: ignore[arg-type]
    announcements = [
        Announcement(f"eff-{trader_id}-{n}", "kyc.requested", {"trader_id": trader_id, "n": n})
        for n in range(effects)
    ]
    DynamoKycCaseStore().save(case, 0, announcements)
    for item in client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.kyc_case_pk(trader_id)}},
        ConsistentRead=True,
    )["Items"]:
        client.put_item(TableName=table, Item={**item, "pk": {"S": keys.trader_pk(trader_id)}})
        client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


def partition(client: Any, table: str, pk: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )["Items"]
    return items


@pytest.fixture()
def client(dynamodb_local: DynamoDBLocal) -> Any:
    return dynamodb_local.client()


def migrate(client: Any, names: TableNames, dry_run: bool = False) -> Report:
    return KycPartitionMigration(client, names.main, dry_run=dry_run, page_size=3).run()


def test_old_cases_and_their_effects_move_to_the_kyc_partition_and_the_store_finds_them(
    fresh_tables: TableNames, client: Any
) -> None:
    old_case(client, fresh_tables.main, "t-1", effects=2)
    old_case(client, fresh_tables.main, "t-2", status="awaiting_staff")
    old_case(client, fresh_tables.main, "t-3", status="approved")
    before = {t: partition(client, fresh_tables.main, keys.trader_pk(t)) for t in ("t-1", "t-2", "t-3")}
    assert DynamoKycCaseStore().load("t-1") is None  # what the deployed code sees before the move

    report = migrate(client, fresh_tables)

    assert (report.found, report.copied, report.deleted, report.conflicts) == (5, 5, 5, [])
    assert report.finished
    for trader, items in before.items():
        assert partition(client, fresh_tables.main, keys.trader_pk(trader)) == []
        moved = partition(client, fresh_tables.main, keys.kyc_case_pk(trader))
        assert [{**i, "pk": None} for i in moved] == [
            {**i, "pk": None} for i in items
        ]  # attribute for attribute
    stored = DynamoKycCaseStore().load("t-1")
    assert stored is not None and stored.version == 1
    assert sorted(effect.effect_id for effect in stored.pending) == ["eff-t-1-0", "eff-t-1-1"]
    queue = DynamoKycCaseStore().awaiting_staff().items
    assert [case.trader_id for case in queue] == ["t-2"]  # still in staff's review queue, once
    approved = KycRepository().get("t-3")
    assert approved is not None and approved.status == "approved"


def test_a_dry_run_reports_what_would_move_and_writes_nothing(fresh_tables: TableNames, client: Any) -> None:
    old_case(client, fresh_tables.main, "t-1", effects=1)

    report = migrate(client, fresh_tables, dry_run=True)

    assert (report.dry_run, report.found, report.copied, report.deleted) == (True, 2, 2, 2)
    assert len(partition(client, fresh_tables.main, keys.trader_pk("t-1"))) == 2
    assert partition(client, fresh_tables.main, keys.kyc_case_pk("t-1")) == []


def test_a_second_run_has_nothing_to_do(fresh_tables: TableNames, client: Any) -> None:
    old_case(client, fresh_tables.main, "t-1", effects=1)
    migrate(client, fresh_tables)
    moved = partition(client, fresh_tables.main, keys.kyc_case_pk("t-1"))

    again = migrate(client, fresh_tables)

    assert (again.found, again.copied, again.deleted, again.conflicts) == (0, 0, 0, [])
    assert partition(client, fresh_tables.main, keys.kyc_case_pk("t-1")) == moved


def test_a_copy_left_by_a_run_that_died_before_deleting_is_verified_and_the_old_item_deleted(
    fresh_tables: TableNames, client: Any
) -> None:
    old_case(client, fresh_tables.main, "t-1")
    (item,) = partition(client, fresh_tables.main, keys.trader_pk("t-1"))
    client.put_item(TableName=fresh_tables.main, Item={**item, "pk": {"S": keys.kyc_case_pk("t-1")}})

    report = migrate(client, fresh_tables)

    assert (report.copied, report.already_copied, report.deleted, report.conflicts) == (0, 1, 1, [])
    assert partition(client, fresh_tables.main, keys.trader_pk("t-1")) == []


def test_a_new_case_opened_before_the_move_is_a_conflict_and_both_stay(
    fresh_tables: TableNames, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    old_case(client, fresh_tables.main, "t-1", status="approved")
    old_case(client, fresh_tables.main, "t-2")
    newer = open_case(None, "t-1", Need("funded", "acc-2"), KycPolicy(), T0.replace(month=12)).case
    DynamoKycCaseStore().save(newer, 0)  # the deployed code found no case at KYC#t-1 and opened one

    code = main(["--table", fresh_tables.main])

    assert code == 1
    assert "conflict" in capsys.readouterr().err
    assert len(partition(client, fresh_tables.main, keys.trader_pk("t-1"))) == 1  # kept for an operator
    stored = DynamoKycCaseStore().load("t-1")
    assert stored is not None and stored.case.opened_at == newer.opened_at  # the new case is untouched
    assert partition(client, fresh_tables.main, keys.trader_pk("t-2")) == []  # the others moved all the same
    assert DynamoKycCaseStore().load("t-2") is not None
