"""The REST API: the public catalogue, traders' accounts (Cognito), trading-platform bridges (API key) and
provider webhooks (signature checked in the handler). Throttled per stage; every error answer is JSON.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

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
    "InvalidApiKey": (apigw.ResponseType.INVALID_API_KEY, None, "forbidden", GATEWAY_MESSAGE),
    "TooLarge": (apigw.ResponseType.REQUEST_TOO_LARGE, None, "payload_too_large", GATEWAY_MESSAGE),
    "Throttled": (apigw.ResponseType.THROTTLED, None, "throttled", GATEWAY_MESSAGE),
    "QuotaExceeded": (apigw.ResponseType.QUOTA_EXCEEDED, None, "throttled", GATEWAY_MESSAGE),
    "Default4xx": (apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", GATEWAY_MESSAGE),
    "Default5xx": (apigw.ResponseType.DEFAULT_5_XX, None, "internal_error", GATEWAY_MESSAGE),
}


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
        veriff_secret: secretsmanager.ISecret,
        kyc_workflow: sfn.IStateMachine,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        table_env = {"TABLE_NAME": data.table.table_name}
        catalogue = functions.create(
            self,
            FunctionSpec(
                "catalogue_api", "GET /v1/programs: the firm's challenge catalogue", 10, 256, table_env
            ),
        )
        accounts = functions.create(
            self,
            FunctionSpec("accounts_api", "GET /v1/accounts: a trader's own accounts", 10, 256, table_env),
        )
        platform_events = functions.create(
            self,
            FunctionSpec(
                "platform_events", "POST /v1/platform/events: normalized trading events", 15, 512, table_env
            ),
        )
        kyc_webhook = functions.create(
            self,
            FunctionSpec(
                "kyc_webhook",
                "POST /v1/webhooks/veriff: signed KYC decisions, handed to the waiting workflow",
                15,
                256,
                {**table_env, "VERIFF_SECRET_ARN": veriff_secret.secret_arn},
            ),
        )
        data.grant_table(catalogue)
        data.grant_table(accounts)
        data.grant_table(platform_events, write=True)  # reads the account the events belong to
        data.grant_table(kyc_webhook, write=True)
        veriff_secret.grant_read(kyc_webhook)
        kyc_workflow.grant_task_response(kyc_webhook)

        self.rest_api = self._rest_api(config)
        self.rest_api.node.try_remove_child("Endpoint")  # the stack publishes it as RestApiUrl
        self._add_error_responses()
        v1 = self.rest_api.root.add_resource("v1")
        public = _integration(catalogue)
        programs = v1.add_resource("programs")
        for resource in (programs, programs.add_resource("{program_id}")):
            _open_to_anyone(
                resource.add_method("GET", public), "The catalogue of programs on sale is public by design."
            )

        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "TraderAuthorizer", cognito_user_pools=[user_pool], authorizer_name="cognito"
        )
        signed_in = _integration(accounts)
        account_list = v1.add_resource("accounts")
        for resource in (account_list, account_list.add_resource("{account_id}")):
            resource.add_method(
                "GET", signed_in, authorizer=authorizer, authorization_type=apigw.AuthorizationType.COGNITO
            )

        _open_to_anyone(
            v1.add_resource("platform")
            .add_resource("events")
            .add_method("POST", _integration(platform_events), api_key_required=True),
            "Trading-platform bridges are servers, not users: they authenticate with the API key this method "
            "requires (usage plan: PlatformUsagePlan).",
        )
        _open_to_anyone(
            v1.add_resource("webhooks").add_resource("veriff").add_method("POST", _integration(kyc_webhook)),
            "Veriff calls this webhook; kyc_webhook verifies its X-HMAC-SIGNATURE (HMAC-SHA256 of the raw "
            "body with the shared secret) before acting.",
        )

        self.platform_api_key = self._platform_api_key(config)

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
            )

    def _platform_api_key(self, config: StageConfig) -> apigw.IApiKey:
        key = self.rest_api.add_api_key(
            "PlatformApiKey", api_key_name=config.resource_name("platform-bridges")
        )
        plan = self.rest_api.add_usage_plan(
            "PlatformUsagePlan",
            name=config.resource_name("platform-bridges"),
            description="Trading-platform bridges pushing normalized events",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.throttle_rate_limit, burst_limit=config.throttle_burst_limit
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        plan.add_api_key(key)
        return key


def _integration(function: lambda_.IFunction) -> apigw.LambdaIntegration:
    return apigw.LambdaIntegration(function, allow_test_invoke=False)


def _open_to_anyone(method: apigw.Method, reason: str) -> None:
    """A method without a Cognito authorizer, with the reason it needs none."""
    acknowledge(method, "APIG4", reason)
    acknowledge(method, "COG4", reason)
