"""The abuse outbox sweep's wiring, in its nested stack: a rule runs `abuse_outbox_sweep` every minute (no
retry, a dead-letter queue); the function queries the table's outbox index (never scans), writes only what a
decision's effects write (flags, accounts, payouts; not the review API's rate windows), appends to the audit
log, publishes what the abuse functions publish, may answer the payout workflow's approval wait, and is
alarmed on its errors, its queue, effects that fail again and effects overdue. Nothing of it is in the main
stack but the nested stack itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.abuse_outbox_sweep import SWEEP_TIMEOUT_SECONDS
from infra.constructs.publishing import ABUSE_FACTS
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

NAME = "abuse_outbox_sweep"


def _schedule(synthesized: Synthesized) -> dict[str, Any]:
    function_id = synthesized.function_id(NAME)
    (rule,) = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]} for t in r["Properties"].get("Targets", []))
    ]
    return rule


def test_a_rule_runs_the_sweep_every_minute_without_retries_and_with_a_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    rule = _schedule(synthesized)
    assert rule["ScheduleExpression"] == "rate(1 minute)" and rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 120, "MaximumRetryAttempts": 0}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in synthesized.dead_letter_queue_ids()
    _, function = synthesized.functions()[NAME]
    assert function["Timeout"] == SWEEP_TIMEOUT_SECONDS < 60  # a run ends before the next one starts


def test_the_sweep_queries_the_outbox_index_and_never_scans(synthesized: Synthesized) -> None:
    reads = [
        statement
        for statement in synthesized.function_statements(NAME)
        if "dynamodb:Query" in statement_actions(statement)
    ]
    assert any("/index/outbox" in json.dumps(statement["Resource"]) for statement in reads)
    assert "dynamodb:Scan" not in synthesized.function_actions(NAME)


def test_the_sweep_acts_as_a_decisions_effects_do_and_nothing_more(synthesized: Synthesized) -> None:
    writes = [
        statement
        for statement in synthesized.function_statements(NAME)
        if "dynamodb:PutItem" in statement_actions(statement)
        and "LeadingKeys" in json.dumps(statement.get("Condition", {}))
    ]
    assert [s["Condition"] for s in writes] == [
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["FLAG#*", "ACCOUNT#*", "PAYOUT#*"]}},
        # the platform's circuit breaker, when a denied payout's withdrawal in doubt is put back
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SYSTEM"]}},
    ]
    (publish,) = [
        statement
        for statement in synthesized.function_statements(NAME)
        if "events:PutEvents" in statement_actions(statement)
    ]
    assert set(publish["Condition"]["StringEquals"]["events:detail-type"]) == ABUSE_FACTS
    actions = synthesized.function_actions(NAME)
    assert "states:SendTaskSuccess" in actions, "a denial resumes the payout waiting for approval"


def test_the_sweep_is_alarmed_on_errors_its_queue_failures_again_and_overdue_effects(
    synthesized: Synthesized,
) -> None:
    alarms = list(synthesized.of_type("AWS::CloudWatch::Alarm").values())
    rendered = json.dumps(alarms)
    function_id = synthesized.function_id(NAME)
    dlq = _schedule(synthesized)["Targets"][0]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert function_id in rendered and dlq in rendered
    custom = {a["Properties"]["MetricName"] for a in alarms if a["Properties"].get("Namespace") == "propdesk"}
    assert {"AbuseOutboxSettleFailed", "AbuseOutboxOverdue"} <= custom


def test_the_sweep_lives_in_its_nested_stack(synthesized: Synthesized) -> None:
    main = json.loads(synthesized.template_path.read_text())["Resources"]
    handlers = {
        resource["Properties"].get("Handler")
        for resource in main.values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert f"functions.{NAME}.handler.handler" not in handlers
    assert any(logical_id.startswith("AbuseOutboxSweep") for logical_id in main)  # the nested stack
