"""auth_api's least privilege: its routes are public (a caller has no token yet), its role counts rate limits
in the main table and holds no Cognito permission at all (InitiateAuth, SignUp and ConfirmSignUp are public
calls it sends unsigned)."""

from __future__ import annotations

import json

import pytest

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra

AUTH_ROUTES = {"/v1/auth/sign-in", "/v1/auth/refresh", "/v1/auth/sign-up", "/v1/auth/confirm"}


def test_the_role_only_updates_rate_counters_and_never_calls_cognito(synthesized: Synthesized) -> None:
    actions = synthesized.function_actions("auth_api")

    assert not {action for action in actions if action.startswith("cognito-idp:")}
    dynamodb = {action for action in actions if action.startswith("dynamodb:")}
    assert "dynamodb:UpdateItem" in dynamodb
    assert not dynamodb & {"dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem"}


def test_the_function_knows_the_app_client(synthesized: Synthesized) -> None:
    _, properties = synthesized.functions()["auth_api"]

    client_id = properties["Environment"]["Variables"]["USER_POOL_CLIENT_ID"]
    assert json.dumps(client_id).count("AppClient") == 1  # a reference to the pool's app client


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
