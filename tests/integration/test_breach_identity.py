"""Breach identity on DynamoDB Local: two violations of one rule at one instant, apart, both count."""

from __future__ import annotations

from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.models import BreachItem
from propdesk.data.risk import BreachRepository

from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import RiskWorld

pytestmark = pytest.mark.integration

RULES: list[dict[str, Any]] = [
    {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
    {"type": "forbidden_symbols", "symbols": ["XAUUSD"], "effect": "flag"},
]
AT = "2026-03-02T10:00:00+01:00"


def gold(event_id: str, position: str) -> dict[str, str]:
    return {"event_id": event_id, "time": AT, "type": "position_opened", "position_id": position,
            "symbol": "XAUUSD", "side": "buy", "volume": "1.0"}  # fmt: skip


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str) -> RiskWorld:
    return RiskWorld.open(dynamodb_local, tables, unique_id, rules=RULES)


def test_two_breaches_of_one_rule_at_one_instant_in_separate_invocations_are_both_kept(
    world: RiskWorld,
) -> None:
    world.store(gold("g1", "p1"))
    first = world.stream()
    assert world.deliver(first) == {"batchItemFailures": []}
    world.store(gold("g2", "p2"))
    second = [r for r in world.stream() if r not in first]
    assert world.deliver(second) == {"batchItemFailures": []}

    evidence = BreachRepository().list_for_account(world.account.account_id).items
    assert [(b.rule, b.event_id) for b in evidence] == [
        ("forbidden_symbols", "g1"),
        ("forbidden_symbols", "g2"),
    ]
    assert [b.identity for b in evidence] == ["1-g1", "1-g2"]
    published = world.publisher.of_type("account.breached")
    assert len(published) == 2 and len({event.event_id for event in published}) == 2


def test_the_evidence_key_names_the_rule_index_and_the_trigger(world: RiskWorld) -> None:
    world.store(gold("g1", "p1"))
    world.deliver(world.stream())
    items = list(BreachItem.query(keys.account_pk(world.account.account_id)))
    breach_items = [item for item in items if item.sk.startswith(keys.BREACH_PREFIX)]
    assert [item.sk for item in breach_items] == ["BREACH#2026-03-02T09:00:00.000000Z#forbidden_symbols#1-g1"]


def test_redelivery_and_replay_record_each_breach_once(world: RiskWorld) -> None:
    world.store(gold("g1", "p1"), gold("g2", "p2"))
    records = world.stream()
    world.deliver(records)
    world.deliver(records)
    world.deliver(list(reversed(records)))
    evidence = BreachRepository().list_for_account(world.account.account_id).items
    assert [b.identity for b in evidence] == ["1-g1", "1-g2"]
    assert len(world.publisher.of_type("account.breached")) == 2
