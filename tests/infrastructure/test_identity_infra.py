"""The user pool and its clients: threat protection enforced, sign-ups checked by the pre-sign-up trigger, an
address change kept unverified until confirmed, a public client without a password flow, a server-side
client with a secret for our API only, and a web ACL limiting each source IP's calls to the public client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra

WRITABLE = {"email", "name", "zoneinfo"}


def pool(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = synthesized.of_type("AWS::Cognito::UserPool").items()
    return logical_id, resource["Properties"]


def client(synthesized: Synthesized, construct: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = [
        (key, value)
        for key, value in synthesized.of_type("AWS::Cognito::UserPoolClient").items()
        if key.startswith(f"IdentityUserPool{construct}")
    ]
    return logical_id, resource["Properties"]


def test_threat_protection_is_enforced_on_the_plus_plan(synthesized: Synthesized) -> None:
    _, properties = pool(synthesized)

    assert properties["UserPoolTier"] == "PLUS"
    assert properties["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}


def test_a_changed_email_address_is_used_only_once_verified(synthesized: Synthesized) -> None:
    _, properties = pool(synthesized)

    settings = properties["UserAttributeUpdateSettings"]
    assert settings == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert properties["AutoVerifiedAttributes"] == ["email"]


def test_every_sign_up_goes_through_the_pre_sign_up_trigger(synthesized: Synthesized) -> None:
    pool_id, properties = pool(synthesized)
    trigger = synthesized.function_id("pre_sign_up")

    assert properties["LambdaConfig"] == {"PreSignUp": {"Fn::GetAtt": [trigger, "Arn"]}}
    [permission] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::Permission").values()
        if resource["Properties"]["FunctionName"] == {"Fn::GetAtt": [trigger, "Arn"]}
    ]
    assert permission["Principal"] == "cognito-idp.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": [pool_id, "Arn"]}


def test_the_trigger_needs_no_permission_beyond_its_logs(synthesized: Synthesized) -> None:
    actions = synthesized.function_actions("pre_sign_up")

    assert {action.split(":")[0] for action in actions} <= {"logs", "xray"}


def test_the_public_client_has_no_password_flow_no_secret_and_writes_three_attributes(
    synthesized: Synthesized,
) -> None:
    _, properties = client(synthesized, "AppClient")

    assert set(properties["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert properties.get("GenerateSecret", False) is False
    assert set(properties["WriteAttributes"]) == WRITABLE
    assert properties["PreventUserExistenceErrors"] == "ENABLED"


def test_the_server_client_signs_in_only_through_the_admin_flow_with_a_secret(
    synthesized: Synthesized,
) -> None:
    _, properties = client(synthesized, "ServerClient")

    flows = set(properties["ExplicitAuthFlows"])
    assert flows == {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert properties["GenerateSecret"] is True
    assert properties["EnablePropagateAdditionalUserContextData"] is True
    assert set(properties["WriteAttributes"]) == WRITABLE
    assert properties["PreventUserExistenceErrors"] == "ENABLED"


def test_websocket_tokens_from_either_client_are_accepted(synthesized: Synthesized) -> None:
    _, properties = synthesized.functions()["ws_authorizer"]
    client_ids = json.dumps(properties["Environment"]["Variables"]["USER_POOL_CLIENT_IDS"])

    assert "AppClient" in client_ids and "ServerClient" in client_ids


def test_a_web_acl_limits_each_ip_s_calls_to_the_public_client(synthesized: Synthesized) -> None:
    pool_id, _ = pool(synthesized)
    public_client, _ = client(synthesized, "AppClient")
    [(acl_id, acl)] = [
        (key, value["Properties"])
        for key, value in synthesized.of_type("AWS::WAFv2::WebACL").items()
        if key.startswith("IdentityWaf")
    ]
    rules = {rule["Name"]: rule for rule in acl["Rules"]}

    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    assert set(rules) == {"PublicClientCallsPerIp", "PublicSignUpsPerIp"}
    for rule in rules.values():
        rate = rule["Statement"]["RateBasedStatement"]
        assert rule["Action"] == {"Block": {}}
        assert rate["AggregateKeyType"] == "IP" and rate["Limit"] <= 300
        assert {"Ref": public_client} in _search_strings(rate["ScopeDownStatement"])
    [association] = [
        association
        for association in synthesized.of_type("AWS::WAFv2::WebACLAssociation").values()
        if association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    ]
    assert association["Properties"]["ResourceArn"] == {"Fn::GetAtt": [pool_id, "Arn"]}


def test_the_local_cloud_gets_the_same_pool_without_the_acl_association(
    synthesized_local: Synthesized,
) -> None:
    _, properties = pool(synthesized_local)

    assert properties["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert synthesized_local.of_type("AWS::WAFv2::WebACLAssociation") == {}
    assert synthesized_local.of_type("AWS::WAFv2::WebACL")


def _search_strings(statement: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(statement, dict):
        for key, value in statement.items():
            if key == "SearchString":
                found.append(value)
            else:
                found.extend(_search_strings(value))
    elif isinstance(statement, list):
        for item in statement:
            found.extend(_search_strings(item))
    return found
