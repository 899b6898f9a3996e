"""The WebSocket API: traders keep a connection open and receive their accounts' updates live.

`$connect` is authorized by a Cognito token (`?token=`, verified by `ws_authorizer`) and records the
connection; `$default` answers subscribe (with resume), unsubscribe and ping; `$disconnect` forgets the
connection and its subscriptions. Updates themselves are pushed by `stream_projections` (see read_models.py).
"""

from __future__ import annotations

import json

from aws_cdk import Fn, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import READ_ACTIONS, WRITE_ACTIONS, Data
from infra.constructs.functions import FunctionFactory, FunctionSpec, new_log_group
from infra.constructs.identity import Identity
from infra.nag import acknowledge, logical_id

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "requestTime": "$context.requestTimeEpoch",
    "ip": "$context.identity.sourceIp",
    "error": "$context.error.message",
    "integrationError": "$context.integrationErrorMessage",
}


class Realtime(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        identity: Identity,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        connections_env = {"CONNECTIONS_TABLE_NAME": data.connections.table_name}
        realtime_env = {**connections_env, "REALTIME_TABLE_NAME": data.realtime.table_name}
        authorizer = functions.create(
            self,
            FunctionSpec(
                "ws_authorizer",
                "WebSocket $connect authorizer: verifies the caller's Cognito token",
                10,
                256,
                {
                    "USER_POOL_ID": identity.user_pool.user_pool_id,
                    "USER_POOL_CLIENT_IDS": Fn.join(",", identity.client_ids),
                },
            ),
        )
        connect = functions.create(
            self,
            FunctionSpec(
                "ws_connect", "WebSocket $connect: records the connection", 10, 256, connections_env
            ),
        )
        disconnect = functions.create(
            self,
            FunctionSpec(
                "ws_disconnect",
                "WebSocket $disconnect: forgets the connection and its subscriptions",
                10,
                256,
                realtime_env,
            ),
        )
        default = functions.create(
            self,
            FunctionSpec(
                "ws_default",
                "WebSocket $default: subscribe (with resume), unsubscribe and ping messages",
                10,
                256,
                {**realtime_env, "TABLE_NAME": data.table.table_name},
            ),
        )
        self.api = apigwv2.WebSocketApi(
            self,
            "WebSocketApi",
            api_name=config.resource_name("realtime"),
            description="propdesk live account updates, warnings, breaches and leaderboards for traders",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("ConnectIntegration", connect),
                authorizer=authorizers.WebSocketLambdaAuthorizer(
                    "TokenAuthorizer",
                    authorizer,
                    authorizer_name=config.resource_name("ws-token"),
                    identity_source=["route.request.querystring.token"],
                ),
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("DisconnectIntegration", disconnect)
            ),
            default_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("DefaultIntegration", default)
            ),
        )
        for route in ("$disconnect-Route", "$default-Route"):
            acknowledge(
                self.api.node.find_child(route),
                "APIG4",
                "WebSocket authorization happens once, on $connect (a Cognito token checked by the "
                "TokenAuthorizer); API Gateway allows no authorizer on other routes, whose messages only "
                "come over that authorized connection.",
            )
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=config.stage,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.throttle_rate_limit, burst_limit=config.throttle_burst_limit
            ),
        )
        access_logs = new_log_group(self, "AccessLogs", config, f"/propdesk/{config.stage}/websocket-access")
        stage_resource = self.stage.node.default_child
        assert isinstance(stage_resource, apigwv2.CfnStage)
        stage_resource.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FIELDS)
        )
        for name, value in self.management_environment(config).items():
            default.add_environment(name, value)

        data.grant_connections(connect, "dynamodb:PutItem")
        data.grant_connections(disconnect, "dynamodb:GetItem", "dynamodb:DeleteItem")
        # subscriptions deleted; a leaderboard's with its subscriber count's decrement (UpdateItem), together
        data.grant_realtime(
            disconnect, "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"
        )
        data.grant_connections(default, *READ_ACTIONS, *WRITE_ACTIONS)
        data.grant_realtime(default, *READ_ACTIONS, *WRITE_ACTIONS)
        data.grant_table(default)  # reads accounts: may this connection follow that account?
        self.grant_post_to_connections(default)

    def management_environment(self, config: StageConfig) -> dict[str, str]:
        """What a handler needs to build the connection-management endpoint (AWS or the local cloud)."""
        return {"WEBSOCKET_API_ID": self.api.api_id, "WEBSOCKET_STAGE": config.stage}

    def grant_post_to_connections(self, function: lambda_.IFunction) -> None:
        """execute-api:ManageConnections on this stage's connections (ids are known only at run time)."""
        self.stage.grant_management_api_access(function)
        stack = Stack.of(self)
        connections_arn = (
            f"arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<{logical_id(self.api)}>"
            f"/{stack.resolve(self.stage.stage_name)}/*/@connections/*"
        )
        acknowledge(
            function.role or function,
            f"IAM5[Resource::{connections_arn}]",
            "Connection ids are created at run time; the grant is limited to this API's stage.",
        )
