"""The outbox sweeps' wiring (`infra/constructs/outbox_sweep.py`), each in its nested stack: a rule runs
`risk_outbox_sweep` and `abuse_outbox_sweep` every minute (no retry, a dead-letter queue); each queries the
table's outbox index (never scans) and is alarmed on its errors, its queue, effects that fail again and
effects overdue; nothing of them is in the main stack but the nested stack itself.

What each may do differs: the risk sweep writes only accounts' partitions and publishes what the risk engine
publishes; the abuse sweep writes what a decision's effects write (flags, accounts, payouts; not the review
API's rate windows; the platform's circuit breaker when a withdrawal in doubt is put back), appends to the
audit log, publishes what the abuse functions publish and may answer the payout workflow's approval wait."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.outbox_sweep import SWEEP_TIMEOUT_SECONDS
from infra.constructs.publishing import ABUSE_FACTS, RISK_OUTCOMES
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

SWEEPS = pytest.mark.parametrize(
    ("name", "prefix"), [("risk_outbox_sweep", "Risk"), ("abuse_outbox_sweep", "Abuse")]
)


def _schedule(synthesized: Synthesized, name: str) -> dict[str, Any]:
    function_id = synthesized.function_id(name)
    (rule,) = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]} for t in r["Properties"].get("Targets", []))
    ]
    return rule


def _statements_with(synthesized: Synthesized, name: str, action: str) -> list[dict[str, Any]]:
    return [s for s in synthesized.function_statements(name) if action in statement_actions(s)]


@SWEEPS
def test_a_rule_runs_the_sweep_every_minute_without_retries_and_with_a_dead_letter_queue(
    synthesized: Synthesized, name: str, prefix: str
) -> None:
    rule = _schedule(synthesized, name)
    assert rule["ScheduleExpression"] == "rate(1 minute)" and rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 120, "MaximumRetryAttempts": 0}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in synthesized.dead_letter_queue_ids()
    _, function = synthesized.functions()[name]
    assert function["Timeout"] == SWEEP_TIMEOUT_SECONDS < 60  # a run ends before the next one starts


@SWEEPS
def test_the_sweep_queries_the_outbox_index_and_never_scans(
    synthesized: Synthesized, name: str, prefix: str
) -> None:
    reads = _statements_with(synthesized, name, "dynamodb:Query")
    assert any("/index/outbox" in json.dumps(statement["Resource"]) for statement in reads)
    assert "dynamodb:Scan" not in synthesized.function_actions(name)


def test_the_risk_sweep_writes_only_accounts_partitions_and_publishes_only_risk_outcomes(
    synthesized: Synthesized,
) -> None:
    writes = _statements_with(synthesized, "risk_outbox_sweep", "dynamodb:PutItem")
    assert [s["Condition"] for s in writes] == [
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ACCOUNT#*"]}}
    ]
    (publish,) = _statements_with(synthesized, "risk_outbox_sweep", "events:PutEvents")
    assert set(publish["Condition"]["StringEquals"]["events:detail-type"]) == RISK_OUTCOMES


def test_the_abuse_sweep_acts_as_a_decisions_effects_do_and_nothing_more(synthesized: Synthesized) -> None:
    writes = [
        statement
        for statement in _statements_with(synthesized, "abuse_outbox_sweep", "dynamodb:PutItem")
        if "LeadingKeys" in json.dumps(statement.get("Condition", {}))
    ]
    assert [s["Condition"] for s in writes] == [
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["FLAG#*", "ACCOUNT#*", "PAYOUT#*"]}},
        # the platform's circuit breaker, when a denied payout's withdrawal in doubt is put back
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SYSTEM"]}},
    ]
    (publish,) = _statements_with(synthesized, "abuse_outbox_sweep", "events:PutEvents")
    assert set(publish["Condition"]["StringEquals"]["events:detail-type"]) == ABUSE_FACTS
    actions = synthesized.function_actions("abuse_outbox_sweep")
    assert "states:SendTaskSuccess" in actions, "a denial resumes the payout waiting for approval"


@SWEEPS
def test_the_sweep_is_alarmed_on_errors_its_queue_failures_again_and_overdue_effects(
    synthesized: Synthesized, name: str, prefix: str
) -> None:
    alarms = list(synthesized.of_type("AWS::CloudWatch::Alarm").values())
    rendered = json.dumps(alarms)
    function_id = synthesized.function_id(name)
    dlq = _schedule(synthesized, name)["Targets"][0]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert function_id in rendered and dlq in rendered
    custom = {a["Properties"]["MetricName"] for a in alarms if a["Properties"].get("Namespace") == "propdesk"}
    assert {f"{prefix}OutboxSettleFailed", f"{prefix}OutboxOverdue"} <= custom


@SWEEPS
def test_the_sweep_lives_in_its_nested_stack(synthesized: Synthesized, name: str, prefix: str) -> None:
    main = json.loads(synthesized.template_path.read_text())["Resources"]
    handlers = {
        resource["Properties"].get("Handler")
        for resource in main.values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert f"functions.{name}.handler.handler" not in handlers
    assert any(logical_id.startswith(f"{prefix}OutboxSweep") for logical_id in main)  # the nested stack
