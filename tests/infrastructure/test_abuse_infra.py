"""Abuse detection in the stack: abuse_detect on the table's stream (new EVENT# items only, capped retries, a
DLQ, one batch per shard), its state table (TTL, reads and writes by key only), the daily deep pass with its
DLQ, the review routes behind Cognito, alarms on the DLQs, and the firm's settings in the environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


def _mapping(synthesized: Synthesized, name: str) -> dict[str, Any]:
    function_id = synthesized.function_id(name)
    mappings = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(mappings) == 1, mappings
    return mappings[0]


def _state_table_id(synthesized: Synthesized) -> str:
    (table_id,) = [
        logical_id
        for logical_id, resource in synthesized.of_type("AWS::DynamoDB::Table").items()
        if logical_id.startswith("AbuseAbuseStateTable")
    ]
    return table_id


def test_abuse_detect_reads_trading_events_signals_orders_and_outcomes_from_the_stream_capped_with_a_dlq(
    synthesized: Synthesized,
) -> None:
    mapping = _mapping(synthesized, "abuse_detect")

    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["ParallelizationFactor"] == 1
    assert "DestinationConfig" in mapping
    patterns = [criterion["Pattern"] for criterion in mapping["FilterCriteria"]["Filters"]]
    events, signals, orders, outcomes = patterns
    assert '"EVENT#"' in events and "INSERT" in events
    assert '"SIGNAL#"' in signals and "INSERT" in signals
    assert '"PENDING#"' in orders and "INSERT" in orders  # pending orders, for news straddling
    assert "MODIFY" in outcomes and '"META"' in outcomes and '"failed"' in outcomes and '"passed"' in outcomes


def test_the_functions_that_meet_the_trader_read_the_signal_key_and_put_signals_in_trader_partitions(
    synthesized: Synthesized,
) -> None:
    for name in ("auth_api", "stripe_webhook", "payouts_api", "kyc_webhook"):
        statements = synthesized.function_statements(name)
        assert any("secretsmanager:GetSecretValue" in statement_actions(s) for s in statements), name
        puts = [
            s for s in statements
            if "dynamodb:PutItem" in statement_actions(s) and "TRADER#*" in str(s.get("Condition"))
        ]  # fmt: skip
        assert puts, name


def test_the_state_table_expires_items_and_only_the_detectors_read_and_write_it_by_key(
    synthesized: Synthesized,
) -> None:
    table_id = _state_table_id(synthesized)
    table = synthesized.resources[table_id]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["KeySchema"] == [{"AttributeName": "key", "KeyType": "HASH"}]

    for reader in ("abuse_detect", "abuse_deep_pass"):  # the deep pass: links read, rings written back
        on_state = {
            action
            for statement in synthesized.function_statements(reader)
            if table_id in str(statement["Resource"])
            for action in statement_actions(statement)
        }
        assert on_state == {
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        }, reader  # fmt: skip
    for other in ("abuse_api", "risk_recalc", "staff_api"):
        assert table_id not in str(synthesized.function_statements(other)), other


def test_the_environment_carries_the_state_table_and_the_firm_settings(synthesized: Synthesized) -> None:
    environment = synthesized.functions()["abuse_detect"][1]["Environment"]["Variables"]
    assert {"ABUSE_STATE_TABLE_NAME", "ABUSE_THRESHOLDS", "ABUSE_ENFORCEMENT", "TABLE_NAME"} <= set(
        environment
    )
    deep = synthesized.functions()["abuse_deep_pass"][1]
    assert {"ABUSE_STATE_TABLE_NAME", "ABUSE_THRESHOLDS", "ABUSE_ENFORCEMENT"} <= set(
        deep["Environment"]["Variables"]
    )
    assert deep["Timeout"] == 900


def test_the_deep_pass_runs_daily_with_retries_and_a_dlq(synthesized: Synthesized) -> None:
    deep_id = synthesized.function_id("abuse_deep_pass")
    (schedule,) = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Scheduler::Schedule").values()
        if deep_id in str(resource["Properties"]["Target"]["Arn"])
    ]
    assert schedule["ScheduleExpression"].startswith("cron(30 0 ")
    assert "DeadLetterConfig" in schedule["Target"]
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_the_review_routes_need_a_cognito_token(synthesized: Synthesized) -> None:
    function_id = synthesized.function_id("abuse_api")
    methods = [
        properties
        for properties in (
            resource["Properties"] for resource in synthesized.of_type("AWS::ApiGateway::Method").values()
        )
        if function_id in str(properties.get("Integration", {}).get("Uri", ""))
    ]
    assert sorted(m["HttpMethod"] for m in methods) == ["GET", "GET", "POST"]
    assert {m["AuthorizationType"] for m in methods} == {"COGNITO_USER_POOLS"}


def test_every_abuse_dlq_is_alarmed(synthesized: Synthesized) -> None:
    alarms = str(synthesized.of_type("AWS::CloudWatch::Alarm"))
    queues = [
        logical_id
        for logical_id in synthesized.of_type("AWS::SQS::Queue")
        if logical_id.startswith(("AbuseAbuseDetectDlq", "AbuseAbuseDeepPassDlq"))
    ]
    assert len(queues) == 2
    assert all(queue in alarms for queue in queues)
