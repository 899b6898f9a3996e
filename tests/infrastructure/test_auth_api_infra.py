"""auth_api's least privilege: its routes are public (a caller has no token yet); its role counts rate limits
in the main table and, in the user pool, may only sign users in through its server-side client
(AdminInitiateAuth) and read that client's secret (DescribeUserPoolClient), on that pool alone."""

from __future__ import annotations

import json

import pytest

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra

AUTH_ROUTES = {"/v1/auth/sign-in", "/v1/auth/refresh", "/v1/auth/sign-up", "/v1/auth/confirm"}


def test_the_role_updates_rate_counters_and_signs_in_through_its_own_client_only(
    synthesized: Synthesized,
) -> None:
    actions = synthesized.function_actions("auth_api")

    cognito = {action for action in actions if action.startswith("cognito-idp:")}
    assert cognito == {"cognito-idp:AdminInitiateAuth", "cognito-idp:DescribeUserPoolClient"}
    dynamodb = {action for action in actions if action.startswith("dynamodb:")}
    assert "dynamodb:UpdateItem" in dynamodb
    assert not dynamodb & {"dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem"}


def test_the_cognito_grants_name_the_user_pool_and_nothing_wider(synthesized: Synthesized) -> None:
    [pool_id] = synthesized.of_type("AWS::Cognito::UserPool")
    statements = [
        statement
        for statement in synthesized.function_statements("auth_api")
        if "cognito-idp:AdminInitiateAuth" in json.dumps(statement["Action"])
    ]

    assert [statement["Resource"] for statement in statements] == [{"Fn::GetAtt": [pool_id, "Arn"]}]


def test_the_function_knows_the_pool_and_its_server_side_client(synthesized: Synthesized) -> None:
    _, properties = synthesized.functions()["auth_api"]
    variables = properties["Environment"]["Variables"]

    assert json.dumps(variables["USER_POOL_CLIENT_ID"]).count("ServerClient") == 1
    assert "UserPool" in json.dumps(variables["USER_POOL_ID"])


def test_the_auth_routes_are_post_without_an_authorizer(synthesized: Synthesized) -> None:
    resources = synthesized.of_type("AWS::ApiGateway::Resource")
    methods = synthesized.of_type("AWS::ApiGateway::Method").values()
    auth_resource_ids = {
        key for key, resource in resources.items() if resource["Properties"]["PathPart"] in
        {"sign-in", "refresh", "sign-up", "confirm"}
    }  # fmt: skip
    auth_methods = [
        method["Properties"] for method in methods
        if method["Properties"]["ResourceId"].get("Ref") in auth_resource_ids
    ]  # fmt: skip

    assert len(auth_methods) == len(AUTH_ROUTES)
    assert {m["HttpMethod"] for m in auth_methods} == {"POST"}
    assert {m["AuthorizationType"] for m in auth_methods} == {"NONE"}


def test_the_public_sign_in_function_writes_only_its_rate_counters_and_identity_signals(
    synthesized: Synthesized,
) -> None:
    statements = [
        statement
        for statement in synthesized.function_statements("auth_api")
        if any(action.startswith("dynamodb:") for action in json.dumps(statement["Action"]).split('"'))
    ]

    assert sorted((statement["Action"], statement["Condition"]) for statement in statements) == [
        ("dynamodb:PutItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TRADER#*"]}}),
        ("dynamodb:UpdateItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RATE#*"]}}),
    ]
