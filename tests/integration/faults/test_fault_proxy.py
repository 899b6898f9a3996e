"""The fault proxy (`fakes/fault_proxy.py`) in front of DynamoDB Local and of a recording EventBridge
stand-in, called by boto3 as the deployed functions call AWS: throttled DynamoDB calls are DynamoDB's own
error and never reach the table, everything else passes untouched; a partially failed `PutEvents` forwards
only the entries it reports accepted, in order, and reports the others as EventBridge does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from fakes.fault_proxy import FaultPlan, FaultProxy
from fakes.server import FakeService, Reply, Request
from tests.integration.dynamodb_local import REGION, DynamoDBLocal, TableNames

pytestmark = pytest.mark.integration

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client_via(service: str, url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=NO_RETRIES,
    )


@pytest.fixture()
def proxy(dynamodb_local: DynamoDBLocal) -> Iterator[FaultProxy]:
    started = FaultProxy(dynamodb_local.endpoint_url, FaultPlan(seed=3, dynamodb_throttle=0.3))
    started.start()
    yield started
    started.stop()


def put(client: Any, table: str, key: str) -> bool:
    try:
        client.put_item(TableName=table, Item={"pk": {"S": key}, "sk": {"S": "X"}})
    except client.exceptions.ProvisionedThroughputExceededException:
        return False
    return True


def test_throttled_writes_fail_as_dynamodb_fails_them_and_never_reach_the_table(
    fresh_tables: TableNames, proxy: FaultProxy, dynamodb_local: DynamoDBLocal
) -> None:
    via_proxy = client_via("dynamodb", proxy.url)

    written = [key for key in (f"FAULT#{n}" for n in range(120)) if put(via_proxy, fresh_tables.main, key)]

    throttled = sum(count for kind, count in proxy.injected.items() if kind.startswith("dynamodb_throttle"))
    assert 15 < throttled < 60 and len(written) == 120 - throttled
    direct = dynamodb_local.client()
    stored = [
        key
        for key in (f"FAULT#{n}" for n in range(120))
        if "Item" in direct.get_item(TableName=fresh_tables.main, Key={"pk": {"S": key}, "sk": {"S": "X"}})
    ]
    assert stored == written
    reads = [
        via_proxy.get_item(TableName=fresh_tables.main, Key={"pk": {"S": key}, "sk": {"S": "X"}})
        for key in written[:20]
    ]
    assert all("Item" in read for read in reads)  # reads are not throttled (the plan names writes)


def test_the_sdks_own_retries_absorb_a_short_burst_and_switching_off_stops_the_faults(
    fresh_tables: TableNames, proxy: FaultProxy
) -> None:
    retrying = boto3.client(
        "dynamodb",
        endpoint_url=proxy.url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )
    assert all(put(retrying, fresh_tables.main, f"RETRY#{n}") for n in range(30))
    assert proxy.injected  # faults happened, the SDK absorbed them

    proxy.enabled = False
    before = sum(proxy.injected.values())
    no_retry = client_via("dynamodb", proxy.url)
    assert all(put(no_retry, fresh_tables.main, f"OFF#{n}") for n in range(30))
    assert sum(proxy.injected.values()) == before


class RecordingEventBridge(FakeService):
    """Accepts every PutEvents entry, as EventBridge does when nothing fails, and keeps them."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.route("POST", "/", self._post)

    def _post(self, request: Request) -> Reply:
        entries = request.json()["Entries"]
        self.entries.extend(entries)
        return Reply(
            200, {"FailedEntryCount": 0, "Entries": [{"EventId": f"id-{next(self._ids)}"} for _ in entries]}
        )


def test_a_partial_put_events_forwards_only_the_accepted_entries_and_reports_the_others_in_place() -> None:
    bus = RecordingEventBridge()
    bus.start()
    proxy = FaultProxy(bus.url, FaultPlan(seed=11, put_events_partial=1.0))
    proxy.start()
    try:
        events = client_via("events", proxy.url)
        entries = [
            {
                "Source": "propdesk",
                "DetailType": "purchase.completed",
                "Detail": f'{{"n": {n}}}',
                "EventBusName": "b",
            }
            for n in range(6)
        ]

        answer = events.put_events(Entries=entries)

        refused = [
            n for n, entry in enumerate(answer["Entries"]) if entry.get("ErrorCode") == "InternalFailure"
        ]
        accepted = [n for n, entry in enumerate(answer["Entries"]) if "EventId" in entry]
        assert refused and answer["FailedEntryCount"] == len(refused)
        assert sorted(refused + accepted) == list(range(6))
        assert [entry["Detail"] for entry in bus.entries] == [entries[n]["Detail"] for n in accepted]
        assert proxy.injected["put_events_entries_refused"] == len(refused)
    finally:
        proxy.stop()
        bus.stop()


def test_with_no_faults_it_counts_each_dynamodb_request_by_operation_and_table(
    fresh_tables: TableNames, dynamodb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_SDK_UA_APP_ID", raising=False)
    counting = FaultProxy(dynamodb_local.endpoint_url, FaultPlan())
    counting.start()
    try:
        via_proxy = client_via("dynamodb", counting.url)
        table = fresh_tables.main
        assert put(via_proxy, table, "COUNT#1") and put(via_proxy, table, "COUNT#2")
        via_proxy.get_item(TableName=table, Key={"pk": {"S": "COUNT#1"}, "sk": {"S": "X"}})
        via_proxy.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "COUNT#3"}, "sk": {"S": "X"}}}}]}
        )
        via_proxy.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "COUNT#4"}, "sk": {"S": "X"}}}}]
        )
    finally:
        counting.stop()

    assert counting.dynamodb_calls == {
        ("PutItem", table): 2,
        ("GetItem", table): 1,
        ("BatchWriteItem", table): 1,
        ("TransactWriteItems", table): 1,
    }
    assert set(counting.dynamodb_calls_by_caller) == {("unnamed", op, t) for op, t in counting.dynamodb_calls}
    assert not counting.injected


def test_the_proxy_names_the_caller_by_its_sdk_app_id(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SDK_UA_APP_ID", "propdesk-risk_recalc")  # as every function's environment sets it
    counting = FaultProxy(dynamodb_local.endpoint_url, FaultPlan())
    counting.start()
    try:
        via_proxy = client_via("dynamodb", counting.url)
        via_proxy.get_item(TableName=fresh_tables.main, Key={"pk": {"S": "X"}, "sk": {"S": "Y"}})
    finally:
        counting.stop()

    assert counting.dynamodb_calls_by_caller == {("propdesk-risk_recalc", "GetItem", fresh_tables.main): 1}
