"""KYC at the API: the provider's signed webhooks (kyc_webhook) and the trader's and staff's routes (kyc_api),
plus the firm's KYC settings every KYC function shares (read from CDK context).

    POST /v1/webhooks/veriff | /v1/webhooks/sumsub ─► kyc_webhook ─► case (table) · bus kyc.* · resume gates
    GET /v1/me/kyc · /v1/staff/kyc[/{trader_id}[/decision|/reopen]] ─► kyc_api ─► the same, audited

The firm chooses its provider with `-c kyc_provider=veriff|sumsub`; only that provider's secret is read, and
the other provider's webhook route answers 404. `veriff_api_base` / `sumsub_api_base` point the adapters at
the local fakes; `kyc_max_attempts`, `kyc_decision_window_days`, `kyc_return_url` and `sumsub_level_name` are
the firm's terms.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish
from infra.constructs.secrets import ProviderSecrets

KYC_PROVIDERS = ("veriff", "sumsub")
CONTEXT_DEFAULTS = {
    "kyc_provider": "veriff",
    "veriff_api_base": "https://stationapi.veriff.com",
    "sumsub_api_base": "https://api.sumsub.com",
    "sumsub_level_name": "basic-kyc-level",
    "kyc_max_attempts": "3",
    "kyc_decision_window_days": "14",
    "kyc_return_url": "https://app.example.com/kyc/done",
}
TASK_RESPONSES = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
# What a KYC function writes: the case and its effects (KYC#, their own partition: never a trader's other
# items under TRADER#), session lookups (KYCSESSION#) and the provider's circuit breaker (SYSTEM).
KYC_PARTITIONS = ("KYC#*", "KYCSESSION#*", "SYSTEM")
RATE_PARTITIONS = ("RATE#*",)  # kyc_api's per-caller rate windows
KYC_WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")


@dataclass(frozen=True)
class KycSettings:
    provider: str
    api_base: str
    sumsub_level_name: str
    max_attempts: int
    decision_window_days: int
    return_url: str

    @classmethod
    def from_context(cls, scope: Construct) -> KycSettings:
        value = {name: str(scope.node.try_get_context(name) or d) for name, d in CONTEXT_DEFAULTS.items()}
        provider = value["kyc_provider"]
        if provider not in KYC_PROVIDERS:
            raise ValueError(f"kyc_provider must be one of {', '.join(KYC_PROVIDERS)}, not {provider!r}")
        return cls(
            provider=provider,
            api_base=value[f"{provider}_api_base"],
            sumsub_level_name=value["sumsub_level_name"],
            max_attempts=int(value["kyc_max_attempts"]),
            decision_window_days=int(value["kyc_decision_window_days"]),
            return_url=value["kyc_return_url"],
        )

    def policy_environment(self) -> dict[str, str]:
        return {
            "KYC_MAX_ATTEMPTS": str(self.max_attempts),
            "KYC_DECISION_WINDOW_DAYS": str(self.decision_window_days),
        }

    def provider_environment(self, secret: secretsmanager.ISecret) -> dict[str, str]:
        level = {"SUMSUB_LEVEL_NAME": self.sumsub_level_name} if self.provider == "sumsub" else {}
        return {
            **self.policy_environment(),
            "KYC_PROVIDER": self.provider,
            "KYC_SECRET_ARN": secret.secret_arn,
            "KYC_API_BASE": self.api_base,
            "KYC_RETURN_URL": self.return_url,
            **level,
        }


def kyc_state_machine_arn(scope: Construct, config: StageConfig) -> str:
    """The KYC workflow's ARN built from its fixed name: its own task functions may answer it without a
    reference to the state machine (which references them: a cycle)."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=config.resource_name("kyc"),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def grant_task_response(function: lambda_.IFunction, state_machine_arn: str) -> None:
    """May resume (or fail) the KYC workflow's waiting tasks, and nothing else in Step Functions."""
    statement = iam.PolicyStatement(actions=list(TASK_RESPONSES), resources=[state_machine_arn])
    function.add_to_role_policy(statement)


def grant_case_writes(
    data: Data, function: lambda_.IFunction, extra_partitions: tuple[str, ...] = ()
) -> None:
    """Reads of the table; writes only to KYC cases, session lookups and the provider's circuit (and to
    `extra_partitions`)."""
    data.grant_table(function)
    data.grant_partition_writes(function, KYC_WRITES, (*KYC_PARTITIONS, *extra_partitions))


class KycEndpoints(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        api: Api,
        secrets: ProviderSecrets,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = KycSettings.from_context(self)
        secret = secrets.secrets[settings.provider]
        environment = {
            "TABLE_NAME": data.table.table_name,
            "EVENT_BUS_NAME": bus.event_bus_name,
            **settings.provider_environment(secret),
        }
        state_machine = kyc_state_machine_arn(self, config)
        self.webhook = functions.create(
            self,
            FunctionSpec(
                "kyc_webhook",
                f"POST /v1/webhooks/{settings.provider}: signed KYC decisions move the trader's case",
                29,  # API Gateway's own limit: a resubmission's new session is asked for within it
                256,
                environment,
            ),
        )
        self.api = functions.create(
            self,
            FunctionSpec(
                "kyc_api",
                "GET /v1/me/kyc, /v1/staff/kyc/...: the trader's verification link, staff's decisions",
                29,
                256,
                environment,
            ),
        )
        grant_case_writes(data, self.webhook)
        grant_case_writes(data, self.api, extra_partitions=RATE_PARTITIONS)  # cases, rate windows
        data.grant_audit(self.api, append=True)  # audit entries
        for function in (self.webhook, self.api):
            secret.grant_read(function)
            grant_publish(bus, function)
            grant_task_response(function, state_machine)
        api.add_routes({"kyc_webhook": self.webhook, "kyc_api": self.api})
