"""What a trading event costs on the risk path: DynamoDB requests counted on DynamoDB Local's real stream
records (`benchmarks/risk_requests.py` prints the figures), and the batch step's partial-batch contract."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import RiskWorld, core
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
