"""Copy audit entries written before the audit log had its own table: the main table's `AUDIT#{subject}` /
`ENTRY#…` items → the same items in the audit table (`AuditTable`), where the code reads them since issue 14
(docs/security.md, "The audit log is append-only where storage and IAM enforce it").

    .venv/bin/python -m scripts.migrations.audit_entries_to_audit_table \
        --table propdesk-prod-main --audit-table propdesk-prod-audit --dry-run
    .venv/bin/python -m scripts.migrations.audit_entries_to_audit_table \
        --table propdesk-prod-main --audit-table propdesk-prod-audit
    .venv/bin/python -m scripts.migrations.audit_entries_to_audit_table \
        --table propdesk-prod-main --audit-table propdesk-prod-audit --delete-old

Run it after deploying the code that reads the audit table, with an operator's credentials (read the main
table, put into the audit table, and with `--delete-old` delete from the main table; the functions' roles may
not). Each old entry:
1. is put into the audit table only if no item has its key (`attribute_not_exists`: the table is append-only,
   so an existing entry is never overwritten; an insert does not wake `audit_watch`, which hears MODIFY and
   REMOVE only);
2. is read back (strongly consistent) and compared with the old item attribute by attribute, keys included;
3. with `--delete-old`, and only when the two are equal, is deleted from the main table.
An entry of the audit table with the same key but other content is `differing`: neither item is touched, the
run reports both keys and exits 1; an operator compares them.

`--delete-old` is off by default: until an operator has read the report (and the entries through the staff
API), the old items are a second copy of evidence that cannot be written again, and deleting them is the one
step that cannot be undone; the copy alone is. A run without it, then a run with it, is the intended order:
the second run finds every entry already there, verifies it and only then deletes the old item.

Running it again is safe: an entry already copied is verified (and counted `already_there`), a deleted one
is no longer found. `--dry-run` reads and reports what a run would do, writing nothing.

Finding the old items takes a Scan of the main table (filtered on `AUDIT#` partitions, page by page): a
one-off operator task, not a request path, and no index holds every subject's entries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from propdesk.data import keys

from scripts.migrations.scans import matching_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]  # DynamoDB's typed attribute values, e.g. {"pk": {"S": "AUDIT#ACCOUNT#acc-1"}}


@dataclass
class Report:
    dry_run: bool
    delete_old: bool
    found: int = 0
    copied: int = 0  # with --dry-run: would be copied
    already_there: int = 0  # the audit table holds an equal entry (an earlier run, or a dry run's count)
    deleted: int = 0  # old items deleted from the main table (with --dry-run: would be)
    differing: list[str] = field(default_factory=list)  # keys whose audit-table entry holds other content

    @property
    def finished(self) -> bool:
        return not self.differing


class AuditTableMigration:
    def __init__(
        self,
        client: DynamoDBClient,
        main_table: str,
        audit_table: str,
        dry_run: bool = False,
        delete_old: bool = False,
        page_size: int = 500,
    ):
        self._client = client
        self._main = main_table
        self._audit = audit_table
        self._dry_run = dry_run
        self._delete_old = delete_old
        self._page_size = page_size

    def run(self) -> Report:
        report = Report(dry_run=self._dry_run, delete_old=self._delete_old)
        for key in self.old_entries():
            self._copy(key, report)
        return report

    def old_entries(self) -> Iterator[Item]:
        """Every main-table item whose partition is `AUDIT#…` and sort key `ENTRY#…`, keys only."""
        return matching_keys(
            self._client,
            self._main,
            "begins_with(pk, :audit) AND begins_with(sk, :entry)",
            {":audit": {"S": keys.AUDIT_PREFIX}, ":entry": {"S": keys.ENTRY_PREFIX}},
            self._page_size,
        )

    def _copy(self, key: Item, report: Report) -> None:
        old = self._get(self._main, key)
        if old is None:  # deleted since the scan saw it (a concurrent run)
            return
        report.found += 1
        new = self._get(self._audit, key)
        if new is None:
            if self._dry_run:
                report.copied += 1
                if self._delete_old:
                    report.deleted += 1
                return
            if self._put_if_absent(old):
                report.copied += 1
            new = self._get(self._audit, key)  # read back: verified before anything is deleted
        elif new == old:
            report.already_there += 1
        if new != old:
            report.differing.append(_describe(key))
            return
        if self._delete_old and (self._dry_run or self._delete(key)):
            report.deleted += 1

    def _get(self, table: str, key: Item) -> Item | None:
        found = self._client.get_item(TableName=table, Key=key, ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item

    def _put_if_absent(self, item: Item) -> bool:
        try:
            self._client.put_item(
                TableName=self._audit, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # written meanwhile (a concurrent run): the read-back decides
        return True

    def _delete(self, key: Item) -> bool:
        """An old entry is written once and never changed, so: delete it if it is still there."""
        try:
            self._client.delete_item(
                TableName=self._main, Key=key, ConditionExpression="attribute_exists(pk)"
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _describe(key: Item) -> str:
    return f"{key['pk']['S']} / {key['sk']['S']}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="copy audit entries from the main table's AUDIT# items")
    parser.add_argument("--table", default=os.environ.get("TABLE_NAME"), help="the main table (TABLE_NAME)")
    parser.add_argument(
        "--audit-table", default=os.environ.get("AUDIT_TABLE_NAME"), help="the audit table (AUDIT_TABLE_NAME)"
    )
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    parser.add_argument("--region", default=region)
    parser.add_argument("--dry-run", action="store_true", help="report what would be done; write nothing")
    parser.add_argument(
        "--delete-old",
        action="store_true",
        help="delete each old item once its copy is verified (off by default: run without it first)",
    )
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("--table (or TABLE_NAME) is required")
    if not args.audit_table:
        parser.error("--audit-table (or AUDIT_TABLE_NAME) is required")
    import boto3

    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url, region_name=args.region)
    migration = AuditTableMigration(
        client, args.table, args.audit_table, dry_run=args.dry_run, delete_old=args.delete_old
    )
    report = migration.run()
    print(json.dumps(asdict(report), indent=2))
    if report.differing:
        print(
            f"{len(report.differing)} differing: both kept, nothing overwritten; see docs/security.md",
            file=sys.stderr,
        )
    return 0 if report.finished else 1


if __name__ == "__main__":
    raise SystemExit(main())
