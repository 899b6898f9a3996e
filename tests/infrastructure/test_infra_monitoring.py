"""Operators hear about every function error, every failed workflow run, every message parked in a
dead-letter queue, every risk record or reset account that failed, and a stream read late."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.conftest import PROJECT_ROOT, Synthesized

pytestmark = pytest.mark.infra


def _alarms_on(synthesized: Synthesized, metric: str) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == metric
    ]


def _alarm_topic(synthesized: Synthesized) -> str:
    topics = synthesized.of_type("AWS::SNS::Topic")
    assert len(topics) == 1
    return next(iter(topics))


def test_every_function_has_an_errors_alarm(synthesized: Synthesized) -> None:
    alarmed = {
        alarm["Dimensions"][0]["Value"]["Ref"]
        for alarm in _alarms_on(synthesized, "Errors")
        if alarm["Namespace"] == "AWS/Lambda"
    }

    assert alarmed == {logical_id for logical_id, _ in synthesized.functions().values()}


def test_every_dead_letter_queue_has_a_depth_alarm(synthesized: Synthesized) -> None:
    alarmed = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _alarms_on(synthesized, "ApproximateNumberOfMessagesVisible")
    }

    assert alarmed == synthesized.dead_letter_queue_ids()
    assert len(alarmed) >= 6


def test_every_workflow_has_a_failed_runs_alarm(synthesized: Synthesized) -> None:
    machine_ids = list(synthesized.of_type("AWS::StepFunctions::StateMachine"))
    alarms = _alarms_on(synthesized, "ExecutionsFailed")

    assert sorted(str(alarm["Dimensions"][0]["Value"]) for alarm in alarms) == sorted(
        str({"Ref": machine_id}) for machine_id in machine_ids
    )
    assert len(machine_ids) >= 3  # KYC, progression, payouts


def test_alarms_fire_on_the_first_occurrence_and_notify_the_alarm_topic(synthesized: Synthesized) -> None:
    topic = _alarm_topic(synthesized)
    for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        assert properties["Threshold"] == (60_000 if properties["MetricName"] == "IteratorAge" else 1)
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["AlarmActions"] == [{"Ref": topic}]


def test_the_alarm_topic_mails_the_firms_operators_and_is_encrypted(synthesized: Synthesized) -> None:
    topic = _alarm_topic(synthesized)

    synthesized.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": synthesized.context["alarm_email"], "TopicArn": {"Ref": topic}},
    )
    assert "KmsMasterKeyId" in synthesized.resources[topic]["Properties"]


def _custom_alarm(synthesized: Synthesized, metric: str) -> dict[str, Any]:
    [alarm] = [alarm for alarm in _alarms_on(synthesized, metric) if alarm["Namespace"] == "propdesk"]
    return alarm


@pytest.mark.parametrize(
    ("function", "metric"),
    [
        ("risk_recalc", "RiskRecordsFailed"),
        ("daily_reset", "ResetAccountsFailed"),
        ("risk_outbox_sweep", "RiskOutboxSettleFailed"),
        ("risk_outbox_sweep", "RiskOutboxOverdue"),
        ("abuse_outbox_sweep", "AbuseOutboxSettleFailed"),
        ("abuse_outbox_sweep", "AbuseOutboxOverdue"),
    ],
)
def test_a_failed_risk_record_or_reset_account_alarms_on_the_metric_its_function_emits(
    synthesized: Synthesized, function: str, metric: str
) -> None:
    alarm = _custom_alarm(synthesized, metric)
    service = synthesized.functions()[function][1]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]

    assert alarm["Dimensions"] == [{"Name": "service", "Value": service}]
    assert alarm["Statistic"] == "Sum"
    assert f'"{metric}"' in (PROJECT_ROOT / "functions" / function / "handler.py").read_text()


def test_the_risk_stream_alarms_when_its_oldest_unread_record_is_a_minute_old(
    synthesized: Synthesized,
) -> None:
    ages = {
        alarm["Dimensions"][0]["Value"]["Ref"]: alarm
        for alarm in _alarms_on(synthesized, "IteratorAge")
        if alarm["Namespace"] == "AWS/Lambda"
    }
    risk = ages[synthesized.function_id("risk_recalc")]

    assert risk["Statistic"] == "Maximum"
    assert risk["Threshold"] == 60_000  # milliseconds: a breach found a minute late is already too late
    assert risk["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # Only the risk stream: the stack is at CloudFormation's 500-resource limit (docs/security.md).
    assert set(ages) == {synthesized.function_id("risk_recalc")}
