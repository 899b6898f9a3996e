"""Move KYC cases written before they had their own partition: `TRADER#{id}` / `KYC` (the case) and
`TRADER#{id}` / `KYC#EFFECT#{effect_id}` (effects not yet carried out) → the same sort keys under
`KYC#{id}`, where the code reads them since the KYC data got its own partition (docs/kyc.md).

    .venv/bin/python -m scripts.migrations.kyc_cases_to_kyc_partition --table propdesk-prod-main --dry-run
    .venv/bin/python -m scripts.migrations.kyc_cases_to_kyc_partition --table propdesk-prod-main

Run it right after deploying the code that reads `KYC#`, once, with credentials that may read, put and delete
items of the main table (the functions' roles may not: this is an operator's tool). Each old item:
1. is copied to its new key only if nothing is there yet (a conditional put: a concurrent writer or an earlier
   run is never overwritten);
2. is read back from the new key (strongly consistent) and compared attribute by attribute with the old;
3. only when the two are equal, is deleted from the old key, on condition that it did not change since it was
   read (the case's `version`; an effect is written once, so its presence).
A new key holding something else (the trader opened a new case after the deploy, before this ran) is a
conflict: both items stay, the run reports them and exits 1; an operator compares the two (docs/kyc.md).
Running it again after a crash or a conflict is safe: a copy already made and verified is only deleted from
the old place, a moved item is no longer found. `--dry-run` reads and reports what a run would do, writing
nothing.

Finding the old items takes a Scan of the table (filtered on the old keys, page by page): a one-off operator
task, not a request path, and no index holds every trader's KYC items.
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

OLD_PREFIX = "TRADER#"
Item = dict[str, Any]  # DynamoDB's typed attribute values, e.g. {"pk": {"S": "TRADER#t-1"}}


@dataclass
class Report:
    dry_run: bool
    found: int = 0
    copied: int = 0  # with --dry-run: would be copied
    already_copied: int = 0  # an earlier run copied it (the copy equals the old item)
    deleted: int = 0  # with --dry-run: would be deleted
    changed_meanwhile: int = 0  # the old item changed between read and delete: left, run again
    conflicts: list[str] = field(default_factory=list)  # old keys whose new key holds something else

    @property
    def finished(self) -> bool:
        return not self.conflicts and not self.changed_meanwhile


class KycPartitionMigration:
    def __init__(self, client: DynamoDBClient, table_name: str, dry_run: bool = False, page_size: int = 500):
        self._client = client
        self._table = table_name
        self._dry_run = dry_run
        self._page_size = page_size

    def run(self) -> Report:
        report = Report(dry_run=self._dry_run)
        for old_key in self.old_items():
            self._move(old_key, report)
        return report

    def old_items(self) -> Iterator[Item]:
        """Every `TRADER#…` item whose sort key is `KYC` or `KYC#EFFECT#…`, keys only."""
        return matching_keys(
            self._client,
            self._table,
            "begins_with(pk, :trader) AND (sk = :case OR begins_with(sk, :effect))",
            {
                ":trader": {"S": OLD_PREFIX},
                ":case": {"S": keys.KYC_SK},
                ":effect": {"S": keys.KYC_EFFECT_PREFIX},
            },
            self._page_size,
        )

    def _move(self, old_key: Item, report: Report) -> None:
        old = self._get(old_key)
        if old is None:  # settled or moved since the scan saw it
            return
        report.found += 1
        new_key = _new_key(old_key)
        new = self._get(new_key)
        if new is None:
            if self._dry_run:
                report.copied += 1
                report.deleted += 1
                return
            if self._put_if_absent({**old, **new_key}):
                report.copied += 1
            new = self._get(new_key)  # read back: the copy is verified before the old item goes
        elif _same(old, new):
            report.already_copied += 1
        if new is None or not _same(old, new):
            report.conflicts.append(_describe(old_key))
            return
        if self._dry_run or self._delete_unchanged(old):
            report.deleted += 1
        else:
            report.changed_meanwhile += 1

    def _get(self, key: Item) -> Item | None:
        found = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item

    def _put_if_absent(self, item: Item) -> bool:
        try:
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _delete_unchanged(self, old: Item) -> bool:
        key = {"pk": old["pk"], "sk": old["sk"]}
        if "version" in old:  # the case: written whole with a condition on its version
            condition, values = "version = :version", {":version": old["version"]}
        else:  # an effect: written once, deleted once carried out (so: still there)
            condition, values = "sk = :sk", {":sk": old["sk"]}
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=key,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _new_key(old_key: Item) -> Item:
    trader_id = old_key["pk"]["S"].removeprefix(OLD_PREFIX)
    return {"pk": {"S": keys.kyc_case_pk(trader_id)}, "sk": old_key["sk"]}


def _same(old: Item, new: Item) -> bool:
    """The copy holds exactly the old item's attributes (the partition key aside)."""
    return {k: v for k, v in old.items() if k != "pk"} == {k: v for k, v in new.items() if k != "pk"}


def _describe(key: Item) -> str:
    return f"{key['pk']['S']} / {key['sk']['S']}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="move KYC cases from TRADER#{id} to KYC#{id}")
    parser.add_argument("--table", default=os.environ.get("TABLE_NAME"), help="the main table (TABLE_NAME)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    parser.add_argument("--region", default=region)
    parser.add_argument("--dry-run", action="store_true", help="report what would move; write nothing")
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("--table (or TABLE_NAME) is required")
    import boto3

    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url, region_name=args.region)
    report = KycPartitionMigration(client, args.table, dry_run=args.dry_run).run()
    print(json.dumps(asdict(report), indent=2))
    if report.conflicts:
        print(f"{len(report.conflicts)} conflict(s): both items kept; see docs/kyc.md", file=sys.stderr)
    return 0 if report.finished else 1


if __name__ == "__main__":
    raise SystemExit(main())
