"""The staff administration routes in CDK: staff_api knows the user pool and may list staff and change their
groups on that pool only (no other Cognito action, no other pool); orders_api, which refunds, may append to
the audit log; every new route is behind the Cognito authorizer."""

from __future__ import annotations

import pytest
from propdesk.http.contract import OPERATIONS

from infra.constructs.identity import STAFF_MFA_ACTIONS
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

STAFF_DIRECTORY_ACTIONS = {
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:ListUsers",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
}


def cognito_statements(synthesized: Synthesized, name: str) -> list[dict[str, object]]:
    return [
        statement
        for statement in synthesized.function_statements(name)
        if any(action.startswith("cognito-idp:") for action in statement_actions(statement))
    ]


def test_staff_api_changes_groups_of_its_own_user_pool_only(synthesized: Synthesized) -> None:
    (statement,) = cognito_statements(synthesized, "staff_api")
    (pool_id,) = synthesized.of_type("AWS::Cognito::UserPool")

    assert statement["Effect"] == "Allow"
    wanted = STAFF_DIRECTORY_ACTIONS | set(STAFF_MFA_ACTIONS)  # and whether the caller signs in with MFA
    assert set(statement_actions(statement)) == wanted  # type: ignore[arg-type]
    assert statement["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}


def test_staff_api_is_told_which_pool(synthesized: Synthesized) -> None:
    (pool_id,) = synthesized.of_type("AWS::Cognito::UserPool")
    environment = synthesized.functions()["staff_api"][1]["Environment"]["Variables"]

    assert environment["USER_POOL_ID"] == {"Ref": pool_id}


def test_no_other_function_may_change_the_pools_groups(synthesized: Synthesized) -> None:
    mfa_checkers = {"payouts_api", "orders_api"}  # finance's actions: may only look users up
    for name in synthesized.functions():
        if name == "staff_api":
            continue
        actions = synthesized.function_actions(name)
        allowed = set(STAFF_MFA_ACTIONS) if name in mfa_checkers else set()
        assert not (actions & STAFF_DIRECTORY_ACTIONS) - allowed, name
        if name in mfa_checkers:
            assert {a for a in actions if a.startswith("cognito-idp:")} == set(STAFF_MFA_ACTIONS), name


@pytest.mark.parametrize(
    "operation_id", ["refundOrder", "publishProgramVersion", "listStaffMembers", "setStaffRoles"]
)
def test_the_new_staff_routes_need_a_cognito_token(synthesized: Synthesized, operation_id: str) -> None:
    operation = next(op for op in OPERATIONS if op.operation_id == operation_id)
    function_id = synthesized.function_id(operation.function)
    methods = [
        properties
        for properties in (
            resource["Properties"] for resource in synthesized.of_type("AWS::ApiGateway::Method").values()
        )
        if function_id in str(properties.get("Integration", {}).get("Uri", ""))
        and properties["HttpMethod"] == operation.method
    ]

    assert methods and {m["AuthorizationType"] for m in methods} == {"COGNITO_USER_POOLS"}
