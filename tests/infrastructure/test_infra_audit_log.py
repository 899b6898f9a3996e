"""The audit log is append-only for every function: IAM denies changing or deleting `AUDIT#` items, and only
the audit writers may put one; the read models' stream trigger is filtered and has its DLQ."""

from __future__ import annotations

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

# abuse_*: decisions on flags (staff or automatic) are audited in the same transaction
AUDIT_WRITERS = {
    "staff_api",
    "stream_projections",
    "payouts_api",
    "orders_api",
    "kyc_api",
    "platform_commands",
    "payout_steps",
    "abuse_api",
    "abuse_detect",
    "abuse_deep_pass",
}
EDITS = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def audit_denials(synthesized: Synthesized, name: str) -> set[str]:
    return {
        action
        for statement in synthesized.function_statements(name)
        if statement["Effect"] == "Deny"
        and statement.get("Condition", {}).get("ForAnyValue:StringLike", {}).get("dynamodb:LeadingKeys")
        == ["AUDIT#*"]
        for action in statement_actions(statement)
    }


def test_no_function_that_writes_the_table_may_edit_the_audit_log(synthesized: Synthesized) -> None:
    writers = {
        name
        for name in synthesized.functions()
        if any(
            statement["Effect"] == "Allow"
            and "PropdeskTable" in str(statement["Resource"])
            and "dynamodb:UpdateItem" in statement_actions(statement)
            for statement in synthesized.function_statements(name)
        )
    }

    assert writers >= AUDIT_WRITERS
    for name in writers:
        denied = audit_denials(synthesized, name)
        assert denied >= EDITS, name
        assert ("dynamodb:PutItem" in denied) is (name not in AUDIT_WRITERS), name


def test_read_models_read_the_stream_filtered_to_risk_states_and_breaches(synthesized: Synthesized) -> None:
    function_id = synthesized.function_id("stream_projections")
    [mapping] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == {"Ref": function_id}
    ]

    patterns = [f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]]
    assert any('"RISK"' in pattern for pattern in patterns)
    assert any("BREACH#" in pattern and "INSERT" in pattern for pattern in patterns)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ParallelizationFactor"] == 4  # one account's records stay in order
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"]
