"""The audit log is append-only where storage and IAM enforce it: a table of its own without TTL, whose policy
denies every update and delete to everyone; the functions that write it hold PutItem alone on it (and nothing
else may touch it); any entry changed or removed reaches a watcher that raises an alarm. The read models'
stream trigger is filtered and has its DLQ."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

# abuse_*: decisions on flags (staff or automatic) are audited in the same transaction
AUDIT_APPENDERS = {
    "staff_api",
    "stream_projections",
    "payouts_api",
    "orders_api",
    "kyc_api",
    "platform_commands",
    "progression_api",
    "payout_steps",
    "payout_webhooks",  # a return after paid fails the payout, audited
    "abuse_api",
    "abuse_detect",
    "abuse_deep_pass",
    "abuse_outbox_sweep",  # a decision's effects it carries out audit a failed account, a denied payout
    "payout_scaling",
    "scaling_growth",  # the account's size change, audited with it
}
AUDIT_READERS = {"staff_api"}
EDITS = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
# Reading the table's stream (the watcher) is not item access.
STREAM_READS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}


def audit_table(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    [(logical_id, table)] = [
        (logical_id, table)
        for logical_id, table in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "AuditTable" in logical_id
    ]
    return logical_id, table["Properties"]


def audit_actions(synthesized: Synthesized, name: str, table_id: str) -> set[str]:
    """The item actions the function's role allows on the audit table (or its indexes)."""
    return {
        action
        for statement in synthesized.function_statements(name)
        if statement["Effect"] == "Allow" and table_id in str(statement["Resource"])
        for action in statement_actions(statement)
        if action not in STREAM_READS
    }


def test_the_audit_log_has_a_table_of_its_own_where_nothing_expires(synthesized: Synthesized) -> None:
    _, table = audit_table(synthesized)

    assert "TimeToLiveSpecification" not in table
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}


def test_the_audit_table_s_policy_denies_every_change_to_everyone(synthesized: Synthesized) -> None:
    _, table = audit_table(synthesized)
    [statement] = table["ResourcePolicy"]["PolicyDocument"]["Statement"]

    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert set(statement_actions(statement)) >= EDITS


def test_writers_hold_put_item_alone_on_the_audit_table_and_others_nothing(synthesized: Synthesized) -> None:
    table_id, _ = audit_table(synthesized)

    for name in synthesized.functions():
        actions = audit_actions(synthesized, name, table_id)
        expected = ({"dynamodb:PutItem"} if name in AUDIT_APPENDERS else set()) | (
            {"dynamodb:GetItem", "dynamodb:Query"} if name in AUDIT_READERS else set()
        )
        assert actions == expected, name
        environment = synthesized.functions()[name][1].get("Environment", {}).get("Variables", {})
        assert ("AUDIT_TABLE_NAME" in environment) is bool(expected), name


def test_the_main_table_holds_no_audit_entries(synthesized: Synthesized) -> None:
    from propdesk.data.models import MAIN_TABLE_MODELS, AuditEntryItem

    assert AuditEntryItem not in MAIN_TABLE_MODELS


def test_a_changed_or_removed_entry_reaches_the_watcher_and_raises_an_alarm(synthesized: Synthesized) -> None:
    table_id, _ = audit_table(synthesized)
    watcher = synthesized.function_id("audit_watch")
    [mapping] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == {"Ref": watcher}
    ]

    assert table_id in str(mapping["EventSourceArn"])
    assert [f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]] == [
        '{"eventName":["MODIFY","REMOVE"]}'
    ]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"]
    alarms = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "AuditEntriesModified"
    ]
    service = {"Name": "service", "Value": "propdesk-audit_watch"}
    assert [alarm["Dimensions"] for alarm in alarms] == [[service]]


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
