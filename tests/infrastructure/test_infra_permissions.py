"""Least privilege: each function can do what its job needs and nothing beyond it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

PURCHASE_FUNCTIONS = {"orders_api", "stripe_webhook", "crypto_webhook", "provisioning", "reconciliation"}
# The payout workflow: its steps read the platform's and the rails' secrets, the webhooks their rails' and the
# platform's (a return after paid is put back on the platform account).
PAYOUT_SECRET_READERS = {"payout_steps", "payout_webhooks"}
PAYOUT_PUBLISHERS = {"payout_steps", "payout_webhooks", "payout_scaling"}  # payout.*, account.scaled
# Finance's decision and the rails' webhooks resume the payout workflow; two steps resume their own wait.
# abuse_*: a decision that denies payouts rejects one waiting for finance and resumes its workflow
PAYOUT_TASK_RESPONDERS = {
    "payouts_api", "payout_steps", "payout_webhooks", "abuse_api", "abuse_detect", "abuse_deep_pass",
    "abuse_outbox_sweep",
}  # fmt: skip
KYC_FUNCTIONS = {"kyc_request", "kyc_decision", "kyc_webhook", "kyc_api"}
# Which platform secrets: tests/infrastructure/test_platform_enforcement_infra.py.
PLATFORM_FUNCTIONS = {"platform_commands", "platform_drift"}

TABLE_WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
TABLE_READS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}


def _main_table_id(synthesized: Synthesized) -> str:
    return next(
        key
        for key, table in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "StreamSpecification" in table["Properties"]
    )


def _connections_table_id(synthesized: Synthesized) -> str:
    return next(
        key
        for key, table in synthesized.of_type("AWS::DynamoDB::Table").items()
        if table["Properties"]["KeySchema"][0]["AttributeName"] == "connection_id"
    )


def _table_actions(synthesized: Synthesized, name: str, table_id: str) -> set[str]:
    return {
        action
        for statement in synthesized.function_statements(name)
        if f'"{table_id}"' in json.dumps(statement["Resource"])
        for action in statement_actions(statement)
        if action.startswith("dynamodb:")
    }


@pytest.mark.parametrize("name", ["catalogue_api", "alerts_api"])
def test_read_only_apis_cannot_write_the_table(synthesized: Synthesized, name: str) -> None:
    actions = _table_actions(synthesized, name, _main_table_id(synthesized))

    assert actions >= TABLE_READS
    assert not actions & TABLE_WRITES
    assert "kms:Encrypt" not in synthesized.function_actions(name)


def test_the_accounts_api_writes_only_profiles_and_rate_counters(synthesized: Synthesized) -> None:
    writes = [
        statement
        for statement in synthesized.function_statements("accounts_api")
        if statement["Effect"] == "Allow" and set(statement_actions(statement)) & TABLE_WRITES
    ]

    [statement] = writes
    assert set(statement_actions(statement)) == {"dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert statement["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TRADER#*", "RATE#*"]}
    }


@pytest.mark.parametrize(
    "name",
    [
        "platform_events",
        "risk_recalc",
        "daily_reset",
        "risk_outbox_sweep",
        "notifications",
    ],
)
def test_read_write_functions_can_read_and_write_the_table(synthesized: Synthesized, name: str) -> None:
    actions = _table_actions(synthesized, name, _main_table_id(synthesized))

    assert actions >= TABLE_READS | TABLE_WRITES


@pytest.mark.parametrize("name", ["ws_authorizer", "ws_connect", "ws_disconnect"])
def test_websocket_functions_never_touch_the_main_table(synthesized: Synthesized, name: str) -> None:
    assert not _table_actions(synthesized, name, _main_table_id(synthesized))


def test_subscribing_only_reads_the_main_table_to_check_who_owns_an_account(synthesized: Synthesized) -> None:
    actions = _table_actions(synthesized, "ws_default", _main_table_id(synthesized))

    assert "dynamodb:GetItem" in actions
    assert not actions & TABLE_WRITES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ws_connect", {"dynamodb:PutItem"}),
        ("ws_disconnect", {"dynamodb:GetItem", "dynamodb:DeleteItem"}),
        ("notifications", TABLE_READS | {"dynamodb:DescribeTable", "dynamodb:DeleteItem"}),
    ],
)
def test_connection_keepers_get_only_the_connection_actions_they_use(
    synthesized: Synthesized, name: str, expected: set[str]
) -> None:
    assert _table_actions(synthesized, name, _connections_table_id(synthesized)) == expected


def test_disconnecting_deletes_subscriptions_and_moves_leaderboard_counts_only(
    synthesized: Synthesized,
) -> None:
    (realtime,) = [
        key for key in synthesized.of_type("AWS::DynamoDB::Table") if key.startswith("DataRealtime")
    ]
    actions = _table_actions(synthesized, "ws_disconnect", realtime)

    assert actions == {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"}


def test_no_function_may_scan_or_use_wildcard_actions(synthesized: Synthesized) -> None:
    for name in synthesized.functions():
        actions = synthesized.function_actions(name)
        assert "dynamodb:Scan" not in actions, name
        assert not [action for action in actions if action.endswith("*")], name


def test_table_grants_name_their_indexes_instead_of_a_wildcard(synthesized: Synthesized) -> None:
    for name in synthesized.functions():
        for statement in synthesized.function_statements(name):
            if any(action.startswith("dynamodb:") for action in statement_actions(statement)):
                assert "/index/*" not in json.dumps(statement["Resource"]), name


@pytest.mark.parametrize(
    ("name", "partitions"),
    [
        ("kyc_request", ["KYC#*", "KYCSESSION#*", "SYSTEM"]),
        ("kyc_decision", ["KYC#*", "KYCSESSION#*", "SYSTEM"]),
        ("kyc_webhook", ["KYC#*", "KYCSESSION#*", "SYSTEM"]),
        ("kyc_api", ["KYC#*", "KYCSESSION#*", "SYSTEM", "RATE#*"]),
    ],
)
def test_kyc_functions_write_only_kyc_cases_sessions_and_the_providers_circuit_never_a_traders_items(
    synthesized: Synthesized, name: str, partitions: list[str]
) -> None:
    main_table = f'"{_main_table_id(synthesized)}"'
    writes = [
        statement
        for statement in synthesized.function_statements(name)
        if statement["Effect"] == "Allow"
        and set(statement_actions(statement)) & TABLE_WRITES
        and main_table in json.dumps(statement["Resource"])
        and not _identity_signal_puts(statement)  # kyc_webhook: a decision's identity signals
    ]

    [statement] = writes
    assert set(statement_actions(statement)) == {
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
    }  # fmt: skip
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": partitions}}
    assert _table_actions(synthesized, name, _main_table_id(synthesized)) >= TABLE_READS


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def _identity_signal_puts(statement: dict[str, Any]) -> bool:
    """kyc_webhook's one other write: a decision's identity signals, put in the trader's partition."""
    return set(statement_actions(statement)) == {"dynamodb:PutItem"} and statement.get("Condition") == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TRADER#*"]}
    }


def test_only_the_chosen_kyc_providers_secret_is_read_and_only_by_the_functions_reaching_it(
    synthesized: Synthesized,
) -> None:
    secrets = {
        secret["Properties"]["Name"].rsplit("/", 1)[1]: logical_id
        for logical_id, secret in synthesized.of_type("AWS::SecretsManager::Secret").items()
    }

    def readers_of(provider: str) -> set[str]:
        return {
            name
            for name in synthesized.functions()
            for statement in synthesized.function_statements(name)
            if "secretsmanager:GetSecretValue" in statement_actions(statement)
            and {"Ref": secrets[provider]} in _resources(statement)  # with the signal key, CDK merges
        }

    assert readers_of("veriff") == {"kyc_request", "kyc_webhook", "kyc_api"}  # kyc_provider=veriff (default)
    assert readers_of("sumsub") == set()
    every_reader = {
        name
        for name in synthesized.functions()
        if "secretsmanager:GetSecretValue" in synthesized.function_actions(name)
    }
    # Purchase functions read their providers' secrets (which: tests/infrastructure/test_infra_purchases.py),
    # the payout workflow's steps the platform's and the rails' (infra/constructs/payout_workflow.py).
    assert every_reader == {
        "kyc_request", "kyc_webhook", "kyc_api", "progression_open", *PURCHASE_FUNCTIONS, *PLATFORM_FUNCTIONS,
        "platform_events", "platform_reconciliation", "platform_polling", *PAYOUT_SECRET_READERS,
        "scaling_growth",  # tops a scaled account's balance up on its platform
        "auth_api", "payouts_api",  # the identity-signal key (infra/constructs/abuse_signals.py)
        # a denied payout's withdrawal in doubt is put back on its platform (propdesk.payouts.put_back)
        "abuse_api", "abuse_detect", "abuse_deep_pass", "abuse_outbox_sweep",
    }  # fmt: skip


def test_only_kyc_functions_may_answer_a_waiting_workflow_and_only_the_kyc_workflow(
    synthesized: Synthesized,
) -> None:
    answering = {
        name
        for name in synthesized.functions()
        if "states:SendTaskSuccess" in synthesized.function_actions(name)
    }

    # The progression workflow's staff review resumes its own run (test_infra_progression.py).
    assert answering == KYC_FUNCTIONS | PAYOUT_TASK_RESPONDERS | {"progression_api", "progression_review"}
    for name in KYC_FUNCTIONS | PAYOUT_TASK_RESPONDERS:
        [statement] = [
            s
            for s in synthesized.function_statements(name)
            if "states:SendTaskSuccess" in statement_actions(s)
        ]
        assert set(statement_actions(statement)) == {
            "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat",
        }  # fmt: skip
        machine = "payouts" if name in PAYOUT_TASK_RESPONDERS else "kyc"
        assert f":stateMachine:propdesk-dev-{machine}" in json.dumps(statement["Resource"])


def test_only_event_producers_may_put_events_and_only_on_the_propdesk_bus(synthesized: Synthesized) -> None:
    bus_id = next(iter(synthesized.of_type("AWS::Events::EventBus")))
    producers = set()
    for name in synthesized.functions():
        for statement in synthesized.function_statements(name):
            if statement["Action"] == "events:PutEvents":
                assert statement["Resource"] == {"Fn::GetAtt": [bus_id, "Arn"]}
                producers.add(name)

    # failing accounts: platform.disable_requested
    abuse = {"abuse_detect", "abuse_deep_pass", "abuse_api", "abuse_outbox_sweep"}
    assert producers == {
        "risk_recalc", "daily_reset", "risk_outbox_sweep", "payouts_api",
        *KYC_FUNCTIONS, *PURCHASE_FUNCTIONS, *PLATFORM_FUNCTIONS,
        "progression_start", "progression_review", "progression_finish", "progression_api",
        *PAYOUT_PUBLISHERS,
        *abuse,
        "platform_reconciliation",
    }  # fmt: skip


def test_only_websocket_pushers_may_post_to_connections(synthesized: Synthesized) -> None:
    pushers = {
        name
        for name in synthesized.functions()
        if "execute-api:ManageConnections" in synthesized.function_actions(name)
    }

    assert pushers == {"notifications", "ws_default", "stream_projections"}
