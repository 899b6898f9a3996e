"""The REST and WebSocket APIs: routes, who may call them, throttling per stage, JSON errors from the
gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from propdesk.http.contract import OPERATIONS, Access

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra


def _rest_methods(synthesized: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, path) → method properties, with paths rebuilt from the resource tree."""
    resources = synthesized.of_type("AWS::ApiGateway::Resource")

    def path_of(resource_id: Any) -> str:
        if not isinstance(resource_id, dict) or "Ref" not in resource_id:
            return ""
        properties = resources[resource_id["Ref"]]["Properties"]
        return f"{path_of(properties['ParentId'])}/{properties['PathPart']}"

    return {
        (method["Properties"]["HttpMethod"], path_of(method["Properties"]["ResourceId"])): method[
            "Properties"
        ]
        for method in synthesized.of_type("AWS::ApiGateway::Method").values()
    }


def _integrated_function(synthesized: Synthesized, method: dict[str, Any]) -> str:
    uri = json.dumps(method["Integration"]["Uri"])
    return next(name for name, (logical_id, _) in synthesized.functions().items() if f'"{logical_id}"' in uri)


def test_rest_routes_are_exactly_the_contracts_and_reach_their_functions(synthesized: Synthesized) -> None:
    methods = _rest_methods(synthesized)

    assert {route: _integrated_function(synthesized, method) for route, method in methods.items()} == {
        (operation.method, operation.path): operation.function for operation in OPERATIONS
    }
    for method in methods.values():
        assert method["Integration"]["Type"] == "AWS_PROXY"


def test_each_route_has_the_access_the_contract_declares(synthesized: Synthesized) -> None:
    methods = _rest_methods(synthesized)
    authorizer_id = next(iter(synthesized.of_type("AWS::ApiGateway::Authorizer")))

    for operation in OPERATIONS:
        method = methods[(operation.method, operation.path)]
        if operation.access is Access.SIGNED_IN:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", operation.path
            assert method["AuthorizerId"] == {"Ref": authorizer_id}
        else:
            assert method["AuthorizationType"] == "NONE", operation.path
        assert not method.get("ApiKeyRequired", False), operation.path
    assert {path for (_, path) in methods if path.startswith("/v1/staff")} <= {
        operation.path for operation in OPERATIONS if operation.access is Access.SIGNED_IN
    }
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS", "ProviderARNs": [Match.any_value()]}
    )


def test_throttled_clients_are_told_when_to_retry(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseType": "THROTTLED", "ResponseParameters": {"gatewayresponse.header.Retry-After": "'1'"}},
    )


def test_rest_stage_is_throttled_traced_and_access_logged(synthesized: Synthesized) -> None:
    dev = synthesized.context["stages"]["dev"]
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "dev",
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": [
                Match.object_like(
                    {
                        "HttpMethod": "*",
                        "ResourcePath": "/*",
                        "ThrottlingRateLimit": dev["throttle_rate_limit"],
                        "ThrottlingBurstLimit": dev["throttle_burst_limit"],
                        "DataTraceEnabled": False,
                    }
                )
            ],
        },
    )


def test_no_route_relies_on_a_shared_api_key(synthesized: Synthesized) -> None:
    """Platforms sign what they push, each with its own secret (test_ingestion_infra.py)."""
    synthesized.template.resource_count_is("AWS::ApiGateway::ApiKey", 0)
    synthesized.template.resource_count_is("AWS::ApiGateway::UsagePlan", 0)


def test_unknown_routes_answer_a_json_404(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseTemplates": {
                "application/json": '{"error": {"code": "not_found", "message": "No such route"}}'
            },
        },
    )


def test_every_gateway_error_is_json_in_the_handlers_error_shape(synthesized: Synthesized) -> None:
    responses = synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    types = {response["Properties"]["ResponseType"] for response in responses}

    assert {"DEFAULT_4XX", "DEFAULT_5XX", "REQUEST_TOO_LARGE", "THROTTLED", "UNAUTHORIZED"} <= types
    for response in responses:
        template = response["Properties"]["ResponseTemplates"]["application/json"]
        rendered = template.replace("$context.error.messageString", '"a message"')
        assert set(json.loads(rendered)["error"]) == {"code", "message"}


def test_websocket_routes_reach_their_functions(synthesized: Synthesized) -> None:
    integrations = synthesized.of_type("AWS::ApiGatewayV2::Integration")
    routes = {}
    for route in synthesized.of_type("AWS::ApiGatewayV2::Route").values():
        target = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        routes[route["Properties"]["RouteKey"]] = _integrated_function(
            synthesized, {"Integration": {"Uri": integrations[target]["Properties"]["IntegrationUri"]}}
        )

    assert routes == {"$connect": "ws_connect", "$disconnect": "ws_disconnect", "$default": "ws_default"}


def test_websocket_stage_is_throttled_and_access_logged(synthesized: Synthesized) -> None:
    dev = synthesized.context["stages"]["dev"]
    synthesized.template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "dev",
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": dev["throttle_rate_limit"],
                "ThrottlingBurstLimit": dev["throttle_burst_limit"],
            },
            "AccessLogSettings": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
        },
    )
