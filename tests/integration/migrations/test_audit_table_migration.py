"""The one-off copy of audit entries from the main table's `AUDIT#` items into the audit table
(scripts/migrations), against DynamoDB Local: old entries are the very items the code before issue 14 wrote
(made by the data layer, then put where it kept them), then copied; the audit log finds them afterwards by
subject and by actor. A second run changes nothing, an entry of the audit table with the same key and other
content is reported and kept (both items), a dry run writes nothing, and an old item is deleted only with
`--delete-old` and only once its copy reads back equal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.audit import AuditLog
from propdesk.records import AuditEntry

from scripts.migrations.audit_entries_to_audit_table import AuditTableMigration, Report, main
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames

pytestmark = pytest.mark.integration

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def entry(n: int, subject: str = "ACCOUNT#acc-1", actor: str = "staff-1") -> AuditEntry:
    return AuditEntry(
        entry_id=f"e-{n}",
        at=T0 + timedelta(minutes=n),
        actor=actor,
        action="account.size_changed",
        subject=subject,
        actor_roles=("risk",),
        reason=f"reason {n}",
        before={"size": "100000.00"},
        after={"size": str(100000 + n)},
    )


def old_entry(client: Any, names: TableNames, audit_entry: AuditEntry) -> dict[str, Any]:
    """The entry where the code before issue 14 kept it: the same item, in the main table."""
    assert AuditLog().append(audit_entry)
    key = {
        "pk": {"S": keys.audit_pk(audit_entry.subject)},
        "sk": {"S": keys.entry_sk(audit_entry.at, audit_entry.entry_id)},
    }
    item: dict[str, Any] = client.get_item(TableName=names.audit, Key=key, ConsistentRead=True)["Item"]
    client.put_item(TableName=names.main, Item=item)
    client.delete_item(TableName=names.audit, Key=key)  # DynamoDB Local has no resource policy to refuse it
    return item


def items(client: Any, table: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(found, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def audit_items(client: Any, names: TableNames) -> list[dict[str, Any]]:
    return [item for item in items(client, names.main) if item["pk"]["S"].startswith(keys.AUDIT_PREFIX)]


@pytest.fixture()
def client(dynamodb_local: DynamoDBLocal) -> Any:
    return dynamodb_local.client()


def migrate(client: Any, names: TableNames, dry_run: bool = False, delete_old: bool = False) -> Report:
    return AuditTableMigration(
        client, names.main, names.audit, dry_run=dry_run, delete_old=delete_old, page_size=2
    ).run()


def test_old_entries_are_copied_once_and_the_audit_log_finds_them(
    fresh_tables: TableNames, client: Any
) -> None:
    old = [
        old_entry(client, fresh_tables, entry(1)),
        old_entry(client, fresh_tables, entry(2)),
        old_entry(client, fresh_tables, entry(3, subject="PROGRAM#p-1", actor="staff-2")),
    ]
    assert AuditLog().for_subject("ACCOUNT#acc-1").items == []  # what the deployed code sees before the copy

    report = migrate(client, fresh_tables)

    assert (report.found, report.copied, report.already_there, report.deleted) == (3, 3, 0, 0)
    assert report.differing == [] and report.finished
    assert items(client, fresh_tables.audit) == sorted(old, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    assert len(audit_items(client, fresh_tables)) == 3  # without --delete-old the old items stay
    assert [e.entry_id for e in AuditLog().for_subject("ACCOUNT#acc-1").items] == ["e-2", "e-1"]
    assert AuditLog().for_subject("ACCOUNT#acc-1").items[1] == entry(1)  # field for field
    assert [e.entry_id for e in AuditLog().by_actor("staff-2").items] == ["e-3"]

    again = migrate(client, fresh_tables)

    assert (again.found, again.copied, again.already_there, again.deleted, again.differing) == (
        3,
        0,
        3,
        0,
        [],
    )
    assert items(client, fresh_tables.audit) == sorted(old, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_delete_old_deletes_each_old_item_after_its_copy_is_verified_and_a_rerun_finds_nothing(
    fresh_tables: TableNames, client: Any
) -> None:
    old_entry(client, fresh_tables, entry(1))
    old_entry(client, fresh_tables, entry(2))
    migrate(client, fresh_tables)  # the intended order: copy, check, then delete

    report = migrate(client, fresh_tables, delete_old=True)

    assert (report.found, report.copied, report.already_there, report.deleted) == (2, 0, 2, 2)
    assert audit_items(client, fresh_tables) == []
    assert len(items(client, fresh_tables.audit)) == 2
    assert (migrate(client, fresh_tables, delete_old=True).found, len(items(client, fresh_tables.audit))) == (
        0,
        2,
    )


def test_a_dry_run_reports_and_writes_nothing(fresh_tables: TableNames, client: Any) -> None:
    old_entry(client, fresh_tables, entry(1))
    old_entry(client, fresh_tables, entry(2))
    before = audit_items(client, fresh_tables)

    report = migrate(client, fresh_tables, dry_run=True, delete_old=True)

    assert (report.dry_run, report.found, report.copied, report.deleted) == (True, 2, 2, 2)
    assert audit_items(client, fresh_tables) == before
    assert items(client, fresh_tables.audit) == []


def test_an_entry_with_the_same_key_and_other_content_is_reported_and_neither_is_touched(
    fresh_tables: TableNames, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    old_entry(client, fresh_tables, entry(1))
    conflicting = old_entry(client, fresh_tables, entry(2))
    other = {**conflicting, "reason": {"S": "written by someone else"}}
    client.put_item(TableName=fresh_tables.audit, Item=other)

    code = main(["--table", fresh_tables.main, "--audit-table", fresh_tables.audit, "--delete-old"])

    assert code == 1
    out, err = capsys.readouterr()
    assert "differing" in err
    report = json.loads(out)
    assert (report["copied"], report["deleted"]) == (1, 1)
    assert report["differing"] == [f"{conflicting['pk']['S']} / {conflicting['sk']['S']}"]
    assert audit_items(client, fresh_tables) == [conflicting]  # the old one kept for an operator
    key = {"pk": conflicting["pk"], "sk": conflicting["sk"]}
    assert client.get_item(TableName=fresh_tables.audit, Key=key)["Item"] == other  # never overwritten


class LossyReads:
    """A client whose reads of the audit table lose an attribute: a copy that does not verify."""

    def __init__(self, client: Any, audit_table: str) -> None:
        self._client = client
        self._audit = audit_table

    def get_item(self, **params: Any) -> Any:
        found = self._client.get_item(**params)
        if params["TableName"] == self._audit and "Item" in found:
            found["Item"] = {k: v for k, v in found["Item"].items() if k != "reason"}
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_an_old_item_is_kept_when_its_copy_does_not_read_back_equal(
    fresh_tables: TableNames, client: Any
) -> None:
    old = old_entry(client, fresh_tables, entry(1))
    lossy: Any = LossyReads(client, fresh_tables.audit)

    report = AuditTableMigration(lossy, fresh_tables.main, fresh_tables.audit, delete_old=True).run()

    assert (report.copied, report.deleted, len(report.differing)) == (1, 0, 1)
    assert audit_items(client, fresh_tables) == [old]
