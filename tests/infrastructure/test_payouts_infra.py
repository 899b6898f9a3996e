"""payouts_api: its own role, the table (append-only audit), PutEvents on the propdesk bus only, task results
to the payout workflow only (finance's decision resumes it), and its routes behind the Cognito authorizer."""

from __future__ import annotations

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


def test_payouts_api_publishes_to_the_bus_and_nothing_else_outside_the_table(
    synthesized: Synthesized,
) -> None:
    actions = synthesized.function_actions("payouts_api")

    assert "events:PutEvents" in actions
    assert not any(action.startswith(("sqs:", "execute-api:")) for action in actions)
    secrets = [s for s in synthesized.function_statements("payouts_api") if "secretsmanager:" in str(s)]
    assert all("SignalKey" in str(s["Resource"]) for s in secrets), "only the identity-signal key"
    states = [
        statement
        for statement in synthesized.function_statements("payouts_api")
        if any(action.startswith("states:") for action in statement_actions(statement))
    ]
    assert states and all(
        ":stateMachine:propdesk-dev-payouts" in str(statement["Resource"]) for statement in states
    )
    put_events = [
        statement
        for statement in synthesized.function_statements("payouts_api")
        if "events:PutEvents" in statement_actions(statement)
    ]
    assert put_events
    assert all("EventsBus" in str(statement["Resource"]) for statement in put_events), put_events


def test_the_payout_routes_need_a_cognito_token(synthesized: Synthesized) -> None:
    function_id = synthesized.function_id("payouts_api")
    methods = [
        properties
        for properties in (
            resource["Properties"] for resource in synthesized.of_type("AWS::ApiGateway::Method").values()
        )
        if function_id in str(properties.get("Integration", {}).get("Uri", ""))
    ]

    assert sorted(m["HttpMethod"] for m in methods) == ["GET", "GET", "GET", "GET", "POST", "POST", "PUT"]
    assert {m["AuthorizationType"] for m in methods} == {"COGNITO_USER_POOLS"}
