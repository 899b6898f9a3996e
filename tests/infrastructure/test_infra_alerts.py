"""Firm alerts in the template: a bus rule mails them to ops through the (encrypted) alarm topic, whose key
EventBridge may use; another rule feeds the staff inbox through a queue with a DLQ; the consumer writes only
alert items and the staff route is read only."""

from __future__ import annotations

import json

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


def _firm_alert_rules(synthesized: Synthesized) -> list[dict[str, object]]:
    return [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if "firm.alert" in rule["Properties"].get("EventPattern", {}).get("detail-type", [])
    ]


def test_abuse_flags_raised_reach_the_staff_inbox_but_not_ops_mail(synthesized: Synthesized) -> None:
    patterns = [rule["EventPattern"]["detail-type"] for rule in _firm_alert_rules(synthesized)]  # type: ignore[index]
    assert sorted(patterns) == [["firm.alert"], ["firm.alert", "abuse.flag_raised"]]


def test_firm_alerts_reach_the_alarm_topic_that_mails_ops(synthesized: Synthesized) -> None:
    (topic_id,) = synthesized.of_type("AWS::SNS::Topic")
    to_topic = [
        target
        for rule in _firm_alert_rules(synthesized)
        for target in rule["Targets"]  # type: ignore[attr-defined]
        if target["Arn"] == {"Ref": topic_id}
    ]
    (target,) = to_topic
    template = target["InputTransformer"]["InputTemplate"]
    assert template.startswith('"propdesk firm alert (<detail-severity>): <detail-subject>. ')
    assert target["InputTransformer"]["InputPathsMap"]["detail-severity"] == "$.detail.severity"
    assert "DeadLetterConfig" in target
    synthesized.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": synthesized.context["alarm_email"], "TopicArn": {"Ref": topic_id}},
    )


def test_eventbridge_may_use_the_alarm_topics_key_and_publish_to_it(synthesized: Synthesized) -> None:
    (topic_id,) = synthesized.of_type("AWS::SNS::Topic")
    key_id = synthesized.resources[topic_id]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    statements = synthesized.resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        "events.amazonaws.com" in json.dumps(statement.get("Principal"))
        and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(statement_actions(statement))
        for statement in statements
    )
    policies = synthesized.of_type("AWS::SNS::TopicPolicy").values()
    assert any(
        statement.get("Principal") == {"Service": "events.amazonaws.com"}
        and "sns:Publish" in statement_actions(statement)
        for policy in policies
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_firm_alerts_reach_the_staff_inbox_through_a_queue_reporting_item_failures(
    synthesized: Synthesized,
) -> None:
    to_queue = [
        target
        for rule in _firm_alert_rules(synthesized)
        for target in rule["Targets"]  # type: ignore[attr-defined]
        if "Fn::GetAtt" in target["Arn"]
        and synthesized.resources[target["Arn"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
    ]
    (target,) = to_queue
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = synthesized.resources[queue_id]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": synthesized.function_id("firm_alerts")},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def test_the_consumer_may_only_put_alert_items(synthesized: Synthesized) -> None:
    writes = [
        statement
        for statement in synthesized.function_statements("firm_alerts")
        if statement["Effect"] == "Allow" and "dynamodb:PutItem" in statement_actions(statement)
    ]
    (statement,) = writes
    assert statement_actions(statement) == ["dynamodb:PutItem"]
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ALERT#*"]}}
    reads = {a for s in synthesized.function_statements("firm_alerts") for a in statement_actions(s)}
    assert not reads & {"dynamodb:GetItem", "dynamodb:Query"}


def test_the_alerts_route_is_served_by_alerts_api_behind_cognito(synthesized: Synthesized) -> None:
    methods = [
        method["Properties"]
        for method in synthesized.of_type("AWS::ApiGateway::Method").values()
        if method["Properties"]["HttpMethod"] == "GET"
        and synthesized.function_id("alerts_api") in json.dumps(method["Properties"]["Integration"])
    ]
    (method,) = methods
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
