"""Enforcement on the platforms in the template: the platform commands reach their function through a queue
fed by the bus (retries, dead-letter queues with alarms, partial batches), with least-privilege grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.constructs.platforms import COMMAND_DETAIL_TYPES, COMMANDS_CONCURRENCY, COMMANDS_TIMEOUT_SECONDS
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


def _rule(synthesized: Synthesized, detail_types: list[str]) -> dict[str, Any]:
    (rule,) = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail-type") == detail_types
    ]
    return rule


def test_the_four_platform_commands_reach_platform_commands_through_a_queue(synthesized: Synthesized) -> None:
    rule = _rule(synthesized, list(COMMAND_DETAIL_TYPES))
    assert rule["EventPattern"]["source"] == ["propdesk"]
    (target,) = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in synthesized.dead_letter_queue_ids()
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = synthesized.resources[queue_id]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * COMMANDS_TIMEOUT_SECONDS
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": synthesized.function_id("platform_commands")},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": COMMANDS_CONCURRENCY},
        },
    )
    _, function = synthesized.functions()["platform_commands"]
    assert function["ReservedConcurrentExecutions"] == COMMANDS_CONCURRENCY
    assert function["Environment"]["Variables"]["COMMANDS_QUEUE_URL"] == {"Ref": queue_id}


def test_every_enforcement_dead_letter_queue_is_alarmed(synthesized: Synthesized) -> None:
    alarms = json.dumps(synthesized.of_type("AWS::CloudWatch::Alarm"))
    queues = [q for q in synthesized.of_type("AWS::SQS::Queue") if q.startswith("Platforms") and "Dlq" in q]
    assert len(queues) == 3  # commands: failed processing, failed delivery by EventBridge; drift runs
    for logical_id in queues:
        assert logical_id in alarms


@pytest.mark.parametrize("name", ["platform_commands", "platform_drift"])
def test_the_connections_name_each_platforms_secret_and_the_functions_read_only_those(
    synthesized: Synthesized, name: str
) -> None:
    _, function = synthesized.functions()[name]
    rendered = json.dumps(function["Environment"]["Variables"]["PLATFORM_CONNECTIONS"])
    secrets = synthesized.of_type("AWS::SecretsManager::Secret")
    secret_id = next(logical_id for logical_id in secrets if logical_id.startswith("SecretsMatch"))
    assert "match-trader" in rendered and secret_id in rendered
    read = [
        statement["Resource"]
        for statement in synthesized.function_statements(name)
        if "secretsmanager:GetSecretValue" in statement_actions(statement)
    ]
    assert read == [{"Ref": secret_id}]


def test_the_drift_check_runs_daily_with_retries_and_a_dead_letter_queue(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(30 3 * * ? *)",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [synthesized.function_id("platform_drift"), "Arn"]},
                        "RetryPolicy": {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 2},
                        "DeadLetterConfig": Match.any_value(),
                    }
                )
            ],
        },
    )


def test_the_drift_check_reads_the_table_and_writes_only_the_platforms_circuits(
    synthesized: Synthesized,
) -> None:
    actions = synthesized.function_actions("platform_drift")
    assert {"dynamodb:GetItem", "dynamodb:Query", "events:PutEvents"} <= actions
    assert "dynamodb:Scan" not in actions
    # its writes: test_infra_table_writes.py (SYSTEM only, where the circuit breakers live)


def test_platform_commands_may_append_audit_entries_but_never_scan_or_reach_other_queues(
    synthesized: Synthesized,
) -> None:
    actions = synthesized.function_actions("platform_commands")
    assert {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query", "events:PutEvents"} <= actions
    assert "dynamodb:Scan" not in actions
    queue_id = _rule(synthesized, list(COMMAND_DETAIL_TYPES))["Targets"][0]["Arn"]["Fn::GetAtt"][0]
    for statement in synthesized.function_statements("platform_commands"):
        if any(action.startswith("sqs:") for action in statement_actions(statement)):
            assert statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
            assert "sqs:ChangeMessageVisibility" in statement_actions(statement)  # the backoff
