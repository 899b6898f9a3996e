"""Faults injected into the local system (DynamoDB throttling and version races in the middle of a batch,
partial `PutEvents` failures, a function killed between a risk snapshot and its effects, provider 5xx and
lost answers): once everything that failed has been delivered again, the final state equals a fault-free
run's. Nothing lost, nothing doubled."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import _bind
from tests.integration.dynamodb_local import DynamoDBLocal
from tests.integration.faults.injector import FaultRates
from tests.integration.faults.scenario import RunResult, differences, run

pytestmark = pytest.mark.integration
CLEAN_RUNS: dict[int, RunResult] = {}  # the fault-free run of a seed, shared by the tests of that seed


def a_run(dynamodb_local: DynamoDBLocal, seed: int, rates: FaultRates, redeliver: bool = True) -> RunResult:
    tables = dynamodb_local.create_tables(f"faults-{uuid.uuid4().hex[:10]}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _bind(monkeypatch, dynamodb_local, tables)
        return run(dynamodb_local, tables, monkeypatch, seed, rates, redeliver=redeliver)


def clean_run(dynamodb_local: DynamoDBLocal, seed: int) -> RunResult:
    if seed not in CLEAN_RUNS:
        CLEAN_RUNS[seed] = a_run(dynamodb_local, seed, FaultRates.none())
    return CLEAN_RUNS[seed]


def test_the_fault_free_run_breaches_passes_provisions_and_publishes_each_event_once(
    aws_env: None, dynamodb_local: DynamoDBLocal
) -> None:
    clean = clean_run(dynamodb_local, 3)

    assert sum(clean.faults.values()) == 0 and clean.redeliveries == 0
    statuses = {account["status"][0] for account in clean.state["risk"].values()}
    assert statuses == {"failed", "passed", "active"}
    purchases = clean.state["purchases"].values()
    assert any(p["order"][0] == "provisioned" and p["platform_accounts"] == 1 for p in purchases)
    assert any(p["order"][0] == "pending" and p["platform_accounts"] == 0 for p in purchases)
    published = clean.state["published"]
    assert published["same_id_different_content"] == 0 and published["doubled_effects"] == 0
    assert any('"account.breached"' in content for content in published["distinct"])


# Seed 11 found a login e-mail sent twice (a throttled `sent` mark after SES accepted it): fixed in
# propdesk.mail.delivery (docs/faults.md).
@pytest.mark.parametrize("seed", [3, 11, 2026])
def test_a_run_with_random_faults_ends_as_the_fault_free_run(
    aws_env: None, dynamodb_local: DynamoDBLocal, seed: int
) -> None:
    faulty = a_run(dynamodb_local, seed, FaultRates.default())

    assert sum(faulty.faults.values()) > 0 and faulty.redeliveries > 0
    assert differences(clean_run(dynamodb_local, seed).state, faulty.state) == []
    assert all(account["pending_effects"] == 0 for account in faulty.state["risk"].values())
    assert faulty.state["published"]["same_id_different_content"] == 0


def test_the_comparison_sees_what_is_lost_when_failures_are_not_delivered_again(
    aws_env: None, dynamodb_local: DynamoDBLocal
) -> None:
    dropped = a_run(dynamodb_local, 2026, FaultRates.default(), redeliver=False)

    assert differences(clean_run(dynamodb_local, 2026).state, dropped.state) != []
