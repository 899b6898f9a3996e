"""Faults injected into the local system (DynamoDB throttling and version races in the middle of a batch,
partial `PutEvents` failures, a function killed between a risk snapshot and its effects, provider 5xx and
lost answers): once everything failed has been delivered again, the final state equals a fault-free run's.
Nothing lost, nothing doubled."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.dynamodb_local import DynamoDBLocal
from tests.integration.faults.injector import FaultRates
from tests.integration.faults.scenario import RunResult, differences, run
from tests.integration.conftest import _bind

pytestmark = pytest.mark.integration


def a_run(dynamodb_local: DynamoDBLocal, seed: int, rates: FaultRates) -> RunResult:
    tables = dynamodb_local.create_tables(f"faults-{uuid.uuid4().hex[:10]}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _bind(monkeypatch, dynamodb_local, tables)
        return run(dynamodb_local, tables, monkeypatch, seed, rates)


@pytest.mark.parametrize("seed", [3, 11, 2026])
def test_a_run_with_random_faults_ends_as_the_fault_free_run(
    aws_env: None, dynamodb_local: DynamoDBLocal, seed: int
) -> None:
    clean = a_run(dynamodb_local, seed, FaultRates.none())
    faulty = a_run(dynamodb_local, seed, FaultRates.default())

    assert sum(clean.faults.values()) == 0
    assert sum(faulty.faults.values()) > 0
    assert differences(clean.state, faulty.state) == []
    assert clean.state["published"]["same_id_different_content"] == 0
    assert all(account["pending_effects"] == 0 for account in faulty.state["risk"].values())


def test_the_fault_free_run_breaches_passes_and_provisions(aws_env: None, dynamodb_local: DynamoDBLocal) -> None:
    state = a_run(dynamodb_local, 5, FaultRates.none()).state
    statuses = {account["status"][0] for account in state["risk"].values()}
    assert statuses == {"failed", "passed", "active"}
    assert any(p["platform_accounts"] == 1 and p["order"][0] == "provisioned" for p in state["purchases"].values())
