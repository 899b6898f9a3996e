"""What a trading event costs on the risk path: DynamoDB requests counted on DynamoDB Local's real stream
records (`benchmarks/risk_requests.py` prints the figures), and the batch step's partial-batch contract."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.records import StoredEvent
from pynamodb.connection.base import Connection

from functions.risk_recalc import handler as risk_recalc
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import CONTEXT, RiskWorld, core
from tests.integration.test_risk_recalc import closed, equity, opened

pytestmark = pytest.mark.integration


@contextmanager
def counted_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every request the data layer sends meanwhile, by operation."""
    operations: Counter[str] = Counter()
    original = Connection._make_api_call

    def counting(connection: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        operations[operation] += 1
        return original(connection, operation, kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Connection, "_make_api_call", counting)
        yield operations


def a_calm_hour(world: RiskWorld, count: int = 10) -> list[dict[str, str]]:
    start = world.account.opened_at + timedelta(hours=1)
    events = [opened("e00", start.isoformat(), "p1")]
    for number in range(1, count - 1):
        time = (start + timedelta(minutes=5 * number)).isoformat()
        events.append(equity(f"e{number:02d}", time, f"{100_000 + 25 * number}.00"))
    events.append(closed(f"e{count - 1:02d}", (start + timedelta(hours=1)).isoformat(), "p1", "250.00"))
    return events


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str) -> RiskWorld:
    return RiskWorld.open(dynamodb_local, tables, unique_id)


def test_a_batch_of_ten_records_of_one_account_costs_at_most_two_requests_per_event(
    world: RiskWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = a_calm_hour(world)
    with counted_requests(monkeypatch) as ingestion:
        world.store(*events)
    records = world.stream()
    assert len(records) == 10

    with counted_requests(monkeypatch) as risk:
        assert world.deliver(records)  # a cold environment == {"batchItemFailures": []}

    assert core(world.evaluation()) == world.in_order_verdict()
    assert sum(ingestion.values()) == 10
    assert risk.get("Query", 0) == 0, "the events come from the records, not from the log"
    assert (sum(risk.values()) + sum(ingestion.values())) / len(events) <= 2


def test_a_failing_account_reports_its_records_and_the_others_are_processed(
    world: RiskWorld, dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str
) -> None:
    other = RiskWorld.open(dynamodb_local, tables, f"{unique_id}-other")
    events = a_calm_hour(world, 4)
    world.store(*events)
    other.store(*a_calm_hour(other, 4))
    good = world.stream()
    orphans = copy.deepcopy(other.stream())
    for number, record in enumerate(orphans):
        record["dynamodb"]["NewImage"]["account_id"] = {"S": "no-such-account"}
        record["dynamodb"]["SequenceNumber"] = f"9{number:03d}"
    mixed = [record for pair in zip(good, orphans, strict=True) for record in pair]

    response = world.deliver(mixed)

    assert response == {"batchItemFailures": [{"itemIdentifier": f"9{n:03d}"} for n in range(4)]}
    assert core(world.evaluation()) == world.in_order_verdict()


def test_a_batch_of_ten_accounts_one_event_each_reads_them_in_two_requests(
    dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    worlds = [RiskWorld.open(dynamodb_local, tables, f"{unique_id}-{n}") for n in range(10)]
    for world in worlds:
        world.store(a_calm_hour(world, 2)[0])
    records = sorted(
        (record for world in worlds for record in world.stream()),
        key=lambda record: int(record["dynamodb"]["SequenceNumber"]),
    )
    deps = worlds[0].dependencies()
    with counted_requests(monkeypatch) as risk:
        assert risk_recalc.process({"Records": records}, CONTEXT, deps) == {"batchItemFailures": []}

    for world in worlds:
        assert core(world.evaluation()) == world.in_order_verdict()
    assert risk["BatchGetItem"] == 2  # the ten accounts, then their ten snapshots
    assert risk["PutItem"] == 10  # one snapshot write each
    assert risk.get("GetItem", 0) <= 1  # at most the program version, once


def test_a_snapshot_written_after_the_batch_read_it_is_read_again_never_overwritten(
    dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str
) -> None:
    first, second = (RiskWorld.open(dynamodb_local, tables, f"{unique_id}-{n}") for n in range(2))
    early, late = a_calm_hour(second, 3)[:2]
    first.store(a_calm_hour(first, 2)[0])
    second.store(early)
    records = sorted(
        first.stream() + second.stream(), key=lambda record: int(record["dynamodb"]["SequenceNumber"])
    )
    deps = first.dependencies()
    preload = deps.preload

    def then_another_writer(account_ids: Sequence[str]) -> None:
        preload(account_ids)
        second.store(late)  # another invocation (a redelivery, the daily reset) steps the second account
        second.service().on_event_recorded(second_stored(second, late))

    racing = dataclasses.replace(deps, preload=then_another_writer)
    assert risk_recalc.process({"Records": records}, CONTEXT, racing) == {"batchItemFailures": []}

    for world in (first, second):
        assert core(world.evaluation()) == world.in_order_verdict()
    assert RiskStateRepository().get(second.account.account_id).applied_events == 2  # type: ignore[union-attr]


def second_stored(world: RiskWorld, raw: dict[str, str]) -> StoredEvent:
    replayed = TradingEventRepository().replay(world.account.account_id)
    (stored,) = [event for event in replayed if event.event_id == raw["event_id"]]
    return stored
