"""The REST API: every route of the contract (`propdesk.http.contract`) wired to its function with the access
it declares: public (catalogue, leaderboards, docs), Cognito (traders and staff) or a signature checked in the
handler (webhooks, and trading platforms: each with its own signing secret, `infra.constructs.ingestion`).
Throttled per stage; every error answer is JSON.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from propdesk.http.contract import OPERATIONS, Access, Operation

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec, new_log_group, removal_policy
from infra.nag import acknowledge

# API Gateway's own refusals in the handlers' error shape: (type, status if not its own, code, message).
# `$context.error.messageString` is API Gateway's message, already a quoted JSON string.
GATEWAY_MESSAGE = "$context.error.messageString"
GATEWAY_ERRORS = {
    # API Gateway calls an unknown route a missing token; to a client it is simply not there.
    "UnknownRoute": (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "not_found", '"No such route"'),
    "Unauthorized": (apigw.ResponseType.UNAUTHORIZED, None, "unauthorized", GATEWAY_MESSAGE),
    "AccessDenied": (apigw.ResponseType.ACCESS_DENIED, None, "forbidden", GATEWAY_MESSAGE),
    "TooLarge": (apigw.ResponseType.REQUEST_TOO_LARGE, None, "payload_too_large", GATEWAY_MESSAGE),
    "Throttled": (apigw.ResponseType.THROTTLED, None, "throttled", GATEWAY_MESSAGE),
    "QuotaExceeded": (apigw.ResponseType.QUOTA_EXCEEDED, None, "throttled", GATEWAY_MESSAGE),
    "Default4xx": (apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", GATEWAY_MESSAGE),
    "Default5xx": (apigw.ResponseType.DEFAULT_5_XX, None, "internal_error", GATEWAY_MESSAGE),
}


# Why each public function needs no authorizer (cdk-nag APIG4/COG4 acknowledgments).
OPEN_BECAUSE = {
    "catalogue_api": "The catalogue of programs on sale and the leaderboards (display names only) are public "
    "by design.",
    "api_docs": "The API's own OpenAPI document and Swagger UI are public, like the routes they describe.",
    "auth_api": "Sign-up and sign-in are how a caller gets a Cognito token, so they cannot require one; "
    "auth_api limits every route per source IP and sign-in and confirmation per e-mail address.",
    "platform_events": "Trading-platform connections are servers, not users: platform_events verifies each "
    "push's X-Propdesk-Signature (HMAC-SHA256 of the timestamp and raw body with the named platform's own "
    "secret, within a replay window) before reading it; an account takes events only from its own platform.",
    "kyc_webhook": "The KYC provider (Veriff or Sumsub) calls this webhook; kyc_webhook verifies its "
    "signature over the raw body (X-HMAC-SIGNATURE or X-Payload-Digest, keyed with the provider's secret) "
    "before acting.",
}
SIGNED_BY_PROVIDER = (
    "A payment or KYC provider calls this webhook; its handler verifies the provider's signature over the "
    "raw body before acting."
)
# What staff_api may do in the user pool (on that pool only): list staff and change their groups.
STAFF_DIRECTORY_ACTIONS = (
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:ListUsers",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
)
AUTH_API_TIMEOUT_SECONDS = 20
# What auth_api may do in the user pool (on that pool only): sign users in through its server-side client and
# read that client's secret for the secret hash.
AUTH_API_POOL_ACTIONS = ("cognito-idp:AdminInitiateAuth", "cognito-idp:DescribeUserPoolClient")
# Throttled clients are told when to come back (API Gateway's stage limits refill every second).
RETRY_AFTER = {"Retry-After": "'1'"}


def error_template(code: str, message: str) -> str:
    return '{"error": {"code": "' + code + '", "message": ' + message + "}}"


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        user_pool: cognito.IUserPool,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        table_env = {"TABLE_NAME": data.table.table_name}
        catalogue = functions.create(
            self,
            FunctionSpec(
                "catalogue_api",
                "GET /v1/programs, /v1/leaderboards: the public catalogue and leaderboards",
                10,
                256,
                table_env,
            ),
        )
        accounts = functions.create(
            self,
            FunctionSpec(
                "accounts_api",
                "/v1/me, /v1/accounts/...: a trader's profile (and display name), accounts, metrics, trades",
                10,
                512,
                table_env,
            ),
        )
        staff = functions.create(
            self,
            FunctionSpec(
                "staff_api",
                "/v1/staff/...: breach overrides, program versions, staff roles, the audit log (staff roles)",
                10,
                256,
                {**table_env, "USER_POOL_ID": user_pool.user_pool_id},
            ),
        )
        docs = functions.create(
            self, FunctionSpec("api_docs", "GET /v1/openapi.json and /v1/docs: this API's document", 10, 256)
        )
        platform_events = functions.create(
            self,
            FunctionSpec(
                "platform_events", "POST /v1/platform/events: normalized trading events", 15, 512, table_env
            ),
        )
        data.grant_table(catalogue)
        data.grant_table(accounts)
        # A trader sets their display name (TRADER#{sub} / PROFILE), counted by the rate limiter (RATE#...).
        profile_writes = ("dynamodb:PutItem", "dynamodb:UpdateItem")
        data.grant_partition_writes(accounts, profile_writes, ("TRADER#*", "RATE#*"))
        # breach overrides, program versions and reset groups (ACCOUNT#, SYSTEM), published programs
        # (PROGRAM#, CATALOGUE), a trader's erasure (TRADER#, ORDER#), rate windows (RATE#)
        data.grant_writes_to(
            staff, "ACCOUNT#*", "SYSTEM", "PROGRAM#*", "CATALOGUE", "TRADER#*", "ORDER#*", "RATE#*"
        )
        data.grant_audit(staff, append=True, read=True)  # every staff action audited; the audit views
        user_pool.grant(staff, *STAFF_DIRECTORY_ACTIONS)  # staff roles are the pool's groups
        # reads the account the events belong to; writes its events (ACCOUNT#)
        data.grant_writes_to(platform_events, "ACCOUNT#*")

        self.rest_api = self._rest_api(config)
        self.rest_api.node.try_remove_child("Endpoint")  # the stack publishes it as RestApiUrl
        self._add_error_responses()
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "TraderAuthorizer", cognito_user_pools=[user_pool], authorizer_name="cognito"
        )
        self.add_routes(
            {
                "catalogue_api": catalogue,
                "accounts_api": accounts,
                "staff_api": staff,
                "api_docs": docs,
                "platform_events": platform_events,
            }
        )

        self.platform_events = platform_events

    def add_sign_in(
        self,
        user_pool: cognito.IUserPool,
        client: cognito.IUserPoolClient,
        data: Data,
        functions: FunctionFactory,
    ) -> lambda_.IFunction:
        """auth_api: /v1/auth/* in front of the pool's server-side app client. Its role may sign users in
        with AdminInitiateAuth and read that client's secret (DescribeUserPoolClient), on this pool only;
        SignUp, ConfirmSignUp and GetTokensFromRefreshToken are public calls no IAM policy governs. It counts
        its rate limits in the table."""
        auth = functions.create(
            self,
            FunctionSpec(
                "auth_api",
                "POST /v1/auth/sign-in|refresh|sign-up|confirm: Cognito behind per-address and per-IP limits",
                # A sign-up waits for Cognito, which waits for the pre-sign-up trigger (up to 5 s an attempt,
                # retried on a timeout): room for a cold trigger, not for a hung call.
                AUTH_API_TIMEOUT_SECONDS,
                256,
                {
                    "TABLE_NAME": data.table.table_name,
                    "USER_POOL_ID": user_pool.user_pool_id,
                    "USER_POOL_CLIENT_ID": client.user_pool_client_id,
                },
            ),
        )
        # the rate-limit counters (conditional updates) and nothing else of the table: a public function
        data.grant_partition_writes(auth, ("dynamodb:UpdateItem",), ("RATE#*",))
        user_pool.grant(auth, *AUTH_API_POOL_ACTIONS)
        self.add_routes({"auth_api": auth})
        return auth

    def _rest_api(self, config: StageConfig) -> apigw.RestApi:
        access_logs = new_log_group(self, "AccessLogs", config, f"/propdesk/{config.stage}/rest-access")
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=config.resource_name("api"),
            description=f"propdesk REST API for {config.firm_name}",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=removal_policy(config),
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                throttling_rate_limit=config.throttle_rate_limit,
                throttling_burst_limit=config.throttle_burst_limit,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies hold personal data
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        acknowledge(
            api,
            "APIG2",
            "Requests are validated in the handlers (Powertools with pydantic), which answer 400/422 naming "
            "the field; a gateway validator would answer first with a less precise message.",
        )
        acknowledge(
            api,
            "APIG3",
            "No WAF in the base stack: a firm attaches its web ACL to the stage (WAF is priced per rule).",
        )
        acknowledge(
            api,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role: AWS's managed policy is the documented grant.",
        )
        return api

    def _add_error_responses(self) -> None:
        for construct_id, (response_type, status, code, message) in GATEWAY_ERRORS.items():
            self.rest_api.add_gateway_response(
                construct_id,
                type=response_type,
                status_code=status,
                templates={"application/json": error_template(code, message)},
                response_headers=RETRY_AFTER if code == "throttled" else None,
            )

    def add_routes(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """Wire every route of the contract that one of these functions serves (by its folder name).

        Other constructs add their functions' routes the same way, e.g. `api.add_routes({"orders_api": fn})`;
        the infrastructure tests check that every route of the contract ends up wired."""
        for operation in OPERATIONS:
            function = functions.get(operation.function)
            if function is not None:
                self._add_method(operation, _integration(function))

    def _add_method(self, operation: Operation, integration: apigw.LambdaIntegration) -> None:
        """One route of the contract: its resource, method, integration and who may call it."""
        resource = self.rest_api.root.resource_for_path(operation.path)
        if operation.access is Access.SIGNED_IN:
            resource.add_method(
                operation.method,
                integration,
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
            )
        else:
            method = resource.add_method(operation.method, integration)
            _open_to_anyone(method, OPEN_BECAUSE.get(operation.function, SIGNED_BY_PROVIDER))


def _integration(function: lambda_.IFunction) -> apigw.LambdaIntegration:
    # One invoke permission per function and API (any of its routes on this API) rather than one per method:
    # the function serves only the routes the contract gives it, and a permission per method cost ~40 of
    # CloudFormation's 500 resources per stack.
    return apigw.LambdaIntegration(function, scope_permission_to_method=False)


def _open_to_anyone(method: apigw.Method, reason: str) -> None:
    """A method without a Cognito authorizer, with the reason it needs none."""
    acknowledge(method, "APIG4", reason)
    acknowledge(method, "COG4", reason)
