"""Trusted ingestion in the template: a signing secret per platform read only by platform_events, and the
reconciliation function on a daily schedule with least privilege."""

from __future__ import annotations

import json

import pytest
from propdesk.platforms.port import PLATFORMS

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


def _signing_secrets(synthesized: Synthesized) -> dict[str, str]:
    """platform -> the logical id of its signing secret."""
    found = {}
    for logical_id, secret in synthesized.of_type("AWS::SecretsManager::Secret").items():
        name = secret["Properties"].get("Name", "")
        if isinstance(name, str) and "/platform-signing/" in name:
            found[name.rsplit("/", 1)[1]] = logical_id
    return found


def _secret_readers(synthesized: Synthesized, secret_id: str) -> set[str]:
    readers = set()
    for function in synthesized.functions():
        for statement in synthesized.function_statements(function):
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            if (
                "secretsmanager:GetSecretValue" in statement_actions(statement)
                and {"Ref": secret_id} in resources
            ):
                readers.add(function)
    return readers


def test_every_platform_has_its_own_generated_signing_secret(synthesized: Synthesized) -> None:
    secrets = _signing_secrets(synthesized)

    assert set(secrets) == set(PLATFORMS)
    for logical_id in secrets.values():
        generated = synthesized.resources[logical_id]["Properties"]["GenerateSecretString"]
        assert generated["GenerateStringKey"] == "signing_secret"


def test_only_platform_events_reads_the_signing_secrets(synthesized: Synthesized) -> None:
    for platform, secret_id in _signing_secrets(synthesized).items():
        assert _secret_readers(synthesized, secret_id) == {"platform_events"}, platform


def test_platform_events_is_told_each_platforms_secret(synthesized: Synthesized) -> None:
    _, function = synthesized.functions()["platform_events"]
    arns = json.dumps(function["Environment"]["Variables"]["PLATFORM_SIGNING_SECRET_ARNS"])
    for secret_id in _signing_secrets(synthesized).values():
        assert f'{{"Ref": "{secret_id}"}}' in arns


def test_reconciliation_runs_daily_with_retries_and_a_dead_letter_queue(synthesized: Synthesized) -> None:
    function_id = synthesized.function_id("platform_reconciliation")
    [rule] = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]} for t in r["Properties"].get("Targets", []))
    ]
    assert rule["ScheduleExpression"] == "cron(45 0 * * ? *)"
    [target] = rule["Targets"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in synthesized.dead_letter_queue_ids()


def test_reconciliation_writes_only_account_and_system_partitions(synthesized: Synthesized) -> None:
    writes = [
        statement
        for statement in synthesized.function_statements("platform_reconciliation")
        if statement["Effect"] == "Allow"
        and {"dynamodb:PutItem", "dynamodb:DeleteItem"} & set(statement_actions(statement))
    ]

    [statement] = writes
    assert statement["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ACCOUNT#*", "SYSTEM"]}
    }
    assert "events:PutEvents" in synthesized.function_actions("platform_reconciliation")
