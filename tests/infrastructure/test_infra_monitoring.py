"""Operators hear about every function error, every failed workflow run and every message parked in a
dead-letter queue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized

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


def test_each_workflow_has_a_failed_runs_alarm(synthesized: Synthesized) -> None:
    machine_ids = sorted(synthesized.of_type("AWS::StepFunctions::StateMachine"))
    alarms = _alarms_on(synthesized, "ExecutionsFailed")

    assert sorted(alarm["Dimensions"][0]["Value"]["Ref"] for alarm in alarms) == machine_ids
    assert len(machine_ids) == 2  # KYC and payouts


def test_alarms_fire_on_the_first_occurrence_and_notify_the_alarm_topic(synthesized: Synthesized) -> None:
    topic = _alarm_topic(synthesized)
    for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        assert properties["Threshold"] == 1
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
