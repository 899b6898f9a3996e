"""Polling in the template: a rule a minute per polled platform, in a nested stack of its own, reaching
platform_polling with the platform named, a dead-letter queue that is alarmed; the function reads the
platforms' connections and only their secrets; reconciliation reaches every connected platform too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.polling import DEFAULT_POLLED
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra


def polling_rules(synthesized: Synthesized) -> list[dict[str, Any]]:
    function_id = synthesized.function_id("platform_polling")
    return [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if rule["Properties"].get("ScheduleExpression") == "rate(1 minute)"
        and any(t["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]} for t in rule["Properties"]["Targets"])
    ]


def test_a_stack_connected_to_no_polled_platform_polls_nothing(synthesized: Synthesized) -> None:
    # polled by default: TradeLocker; connected by default: Match-Trader alone (it pushes through streams)
    assert polling_rules(synthesized) == [] and DEFAULT_POLLED == "tradelocker"


def test_a_connected_polled_platform_has_a_rule_every_minute_naming_it(with_connector: Synthesized) -> None:
    rules = polling_rules(with_connector)  # connected there: cTrader and TradeLocker
    assert [json.loads(rule["Targets"][0]["Input"]) for rule in rules] == [{"platform": "tradelocker"}]
    (target,) = rules[0]["Targets"]
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in with_connector.dead_letter_queue_ids()


def test_polling_lives_in_a_nested_stack_and_its_dead_letter_queue_is_alarmed(
    with_connector: Synthesized,
) -> None:
    parent = json.loads(with_connector.template_path.read_text())["Resources"]
    assert with_connector.function_id("platform_polling") not in parent
    nested = [k for k, r in parent.items() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert any(logical_id.startswith("Polling") for logical_id in nested)
    alarms = json.dumps(with_connector.of_type("AWS::CloudWatch::Alarm"))
    (dlq,) = [q for q in with_connector.of_type("AWS::SQS::Queue") if q.startswith("PlatformPollingDlq")]
    assert dlq in alarms


@pytest.mark.parametrize("name", ["platform_polling", "platform_reconciliation"])
def test_the_function_gets_the_platform_connections_and_may_read_their_secrets(
    synthesized: Synthesized, name: str
) -> None:
    _, function = synthesized.functions()[name]
    assert "PLATFORM_CONNECTIONS" in function["Environment"]["Variables"]
    assert "secretsmanager:GetSecretValue" in synthesized.function_actions(name)
