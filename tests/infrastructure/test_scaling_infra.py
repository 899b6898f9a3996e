"""The scaling plan's wiring, in its nested stack: `account.scaled` reaches `scaling_growth` through a queue
fed by the bus (retries, dead-letter queues with alarms, partial batches); the function reaches the platforms'
connections and writes only the account's partition and the circuits. Nothing of it is in the main stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.scaling import GROWTH_TIMEOUT_SECONDS
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


def _rule(synthesized: Synthesized) -> dict[str, Any]:
    (rule,) = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail-type") == ["account.scaled"]
    ]
    return rule


def test_account_scaled_reaches_scaling_growth_through_a_queue(synthesized: Synthesized) -> None:
    rule = _rule(synthesized)
    assert rule["EventPattern"]["source"] == ["propdesk"]
    (target,) = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in synthesized.dead_letter_queue_ids()
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = synthesized.resources[queue_id]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * GROWTH_TIMEOUT_SECONDS
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": synthesized.function_id("scaling_growth")},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    _, function = synthesized.functions()["scaling_growth"]
    assert function["Timeout"] == GROWTH_TIMEOUT_SECONDS


def test_every_scaling_dead_letter_queue_is_alarmed(synthesized: Synthesized) -> None:
    alarms = json.dumps(synthesized.of_type("AWS::CloudWatch::Alarm"))
    queues = [q for q in synthesized.of_type("AWS::SQS::Queue") if q.startswith("Scaling") and "Dlq" in q]
    # the daily reviews; the growth: failed processing, failed delivery by EventBridge
    assert len(queues) == 3
    for logical_id in queues:
        assert logical_id in alarms


def test_scaling_growth_reads_the_platforms_connections_and_never_publishes(synthesized: Synthesized) -> None:
    _, function = synthesized.functions()["scaling_growth"]
    rendered = json.dumps(function["Environment"]["Variables"]["PLATFORM_CONNECTIONS"])
    secrets = synthesized.of_type("AWS::SecretsManager::Secret")
    secret_id = next(logical_id for logical_id in secrets if logical_id.startswith("SecretsMatch"))
    assert "match-trader" in rendered and secret_id in rendered
    read = [
        statement["Resource"]
        for statement in synthesized.function_statements("scaling_growth")
        if "secretsmanager:GetSecretValue" in statement_actions(statement)
    ]
    assert read == [{"Ref": secret_id}]
    actions = synthesized.function_actions("scaling_growth")
    assert "events:PutEvents" not in actions and "dynamodb:Scan" not in actions


def test_the_growth_lives_in_the_scaling_nested_stack(synthesized: Synthesized) -> None:
    main = json.loads(synthesized.template_path.read_text())["Resources"]
    handlers = {
        resource["Properties"].get("Handler")
        for resource in main.values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert "functions.scaling_growth.handler.handler" not in handlers
    assert not [
        r for r in main.values() if r["Type"] == "AWS::Events::Rule"
        and r["Properties"].get("EventPattern", {}).get("detail-type") == ["account.scaled"]
    ]  # fmt: skip
