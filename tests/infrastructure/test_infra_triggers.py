"""Every asynchronous trigger has a retry cap and somewhere for failures to go; streams and queues report
partial batch failures."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra


def _mapping_of(synthesized: Synthesized, name: str) -> dict[str, Any]:
    function_id = synthesized.function_id(name)
    mappings = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(mappings) == 1, mappings
    mapping: dict[str, Any] = mappings[0]
    return mapping


def _is_queue_arn(value: Any) -> bool:
    return isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn"


def test_risk_recalc_reads_the_table_stream_with_capped_retries_and_a_dlq(synthesized: Synthesized) -> None:
    table_id = next(iter(_main_table(synthesized)))
    mapping = _mapping_of(synthesized, "risk_recalc")

    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert mapping["BatchSize"] == 100
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 5
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert _is_queue_arn(destination)
    assert synthesized.resources[destination["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"


def test_risk_recalc_only_sees_trading_events_and_new_breach_overrides(synthesized: Synthesized) -> None:
    mapping = _mapping_of(synthesized, "risk_recalc")

    patterns = [f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]]
    assert patterns == [
        '{"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"EVENT#"}]}}}}',
        '{"eventName":["INSERT"],"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"OVERRIDE#"}]}}}}',
    ]


def test_notifications_consume_their_queue_reporting_item_failures(synthesized: Synthesized) -> None:
    mapping = _mapping_of(synthesized, "notifications")
    queue_id = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    queue = synthesized.resources[queue_id]["Properties"]

    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert _is_queue_arn(queue["RedrivePolicy"]["deadLetterTargetArn"])
    # The queue hides a message for longer than the consumer may take (AWS asks for six times).
    timeout = synthesized.functions()["notifications"][1]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_notifications_rule_matches_account_kyc_purchase_and_payout_events(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["propdesk"],
                "detail-type": [{"prefix": p} for p in ("account.", "kyc.", "purchase.", "payout.")],
            },
            "EventBusName": Match.any_value(),
        },
    )


def test_every_event_rule_target_retries_a_bounded_time_then_dead_letters(synthesized: Synthesized) -> None:
    rules = synthesized.of_type("AWS::Events::Rule")
    assert len(rules) >= 2
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert _is_queue_arn(target["DeadLetterConfig"]["Arn"]), target
            assert target["RetryPolicy"]["MaximumRetryAttempts"] <= 10
            assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 24 * 3600


def test_daily_reset_runs_every_minute_with_retries_and_a_dlq(synthesized: Synthesized) -> None:
    function_id = synthesized.function_id("daily_reset")
    schedules = [
        resource
        for resource in synthesized.of_type("AWS::Scheduler::Schedule").values()
        if function_id in str(resource["Properties"]["Target"]["Arn"])
    ]
    assert len(schedules) == 1
    schedule = schedules[0]["Properties"]

    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["State"] == "ENABLED"
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert _is_queue_arn(schedule["Target"]["DeadLetterConfig"]["Arn"])
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_daily_reset_async_failures_go_to_its_dlq(synthesized: Synthesized) -> None:
    function_id = synthesized.function_id("daily_reset")
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": function_id},
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}},
        },
    )


def test_every_dead_letter_queue_keeps_messages_for_the_maximum_14_days(synthesized: Synthesized) -> None:
    dlq_ids = synthesized.dead_letter_queue_ids()

    assert len(dlq_ids) >= 6
    for queue_id in dlq_ids:
        assert synthesized.resources[queue_id]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_queue_is_encrypted_and_refuses_plain_http(synthesized: Synthesized) -> None:
    queues = synthesized.of_type("AWS::SQS::Queue")
    policies = synthesized.of_type("AWS::SQS::QueuePolicy").values()
    for queue_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert any(
            {"Ref": queue_id} in policy["Properties"]["Queues"]
            and any(
                statement["Effect"] == "Deny"
                and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            )
            for policy in policies
        ), queue_id


def _main_table(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        key: table
        for key, table in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "StreamSpecification" in table["Properties"]
    }
