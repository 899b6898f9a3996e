"""Step Functions: the KYC workflow. A passed evaluation starts it; it asks the trader to verify (and waits,
holding a task token, for the provider's webhook), then records the decision.

Locally every task error reaches Step Functions as `Runtime.HandlerError`, so tasks return outcomes that a
Choice branches on, and Catch handles only `States.ALL`.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.events import EVENT_SOURCE
from infra.constructs.functions import (
    FunctionFactory,
    FunctionSpec,
    depend_on_policy_only,
    new_log_group,
    removal_policy,
)
from infra.constructs.queues import new_dead_letter_queue
from infra.nag import acknowledge, logical_id

KYC_DECISIONS = ("approved", "declined", "resubmission")
VERIFICATION_WAIT = Duration.days(7)


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        table_env = {"TABLE_NAME": data.table.table_name}
        self.kyc_request = functions.create(
            self,
            FunctionSpec(
                "kyc_request",
                "KYC workflow: opens a verification case and stores the task token",
                15,
                256,
                table_env,
            ),
        )
        self.kyc_decision = functions.create(
            self,
            FunctionSpec(
                "kyc_decision",
                "KYC workflow: records the provider's decision and announces it",
                15,
                256,
                {**table_env, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        data.grant_table(self.kyc_request, write=True)
        data.grant_table(self.kyc_decision, write=True)
        bus.grant_put_events_to(self.kyc_decision)

        self.kyc = sfn.StateMachine(
            self,
            "KycStateMachine",
            state_machine_name=config.resource_name("kyc"),
            comment="propdesk KYC: request verification, wait for the provider's decision, record it",
            definition_body=sfn.DefinitionBody.from_chainable(self._kyc_definition()),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=new_log_group(self, "KycLogs", config, f"/propdesk/{config.stage}/states/kyc"),
                level=sfn.LogLevel.ALL,
                include_execution_data=False,  # payloads hold personal data
            ),
            removal_policy=removal_policy(config),
        )

        assert isinstance(self.kyc.node.default_child, CfnResource) and isinstance(self.kyc.role, iam.Role)
        depend_on_policy_only(self.kyc.node.default_child, self.kyc.role)
        for function in (self.kyc_request, self.kyc_decision):
            acknowledge(
                self.kyc,
                f"IAM5[Resource::<{logical_id(function)}.Arn>:*]",
                "Step Functions' Lambda task grants invoke on the function and its versions; nothing else.",
            )
        acknowledge(
            self.kyc,
            "IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery have no resource-level permissions.",
        )

        start_dlq = new_dead_letter_queue(
            self, "KycStartDlq", config, "kyc-start", "account.passed events that could not start KYC"
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {"kyc-start": start_dlq}
        events.Rule(
            self,
            "KycOnAccountPassed",
            rule_name=config.resource_name("kyc-on-account-passed"),
            description="propdesk: a passed evaluation starts the trader's KYC",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=["account.passed"]),
            targets=[
                targets.SfnStateMachine(
                    self.kyc,
                    input=events.RuleTargetInput.from_object(
                        {
                            "trader_id": events.EventField.from_path("$.detail.trader_id"),
                            "account_id": events.EventField.from_path("$.detail.account_id"),
                        }
                    ),
                    dead_letter_queue=start_dlq,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )

    def _kyc_definition(self) -> sfn.IChainable:
        failed = sfn.Fail(
            self, "KycFailed", error="KycFailed", cause="A KYC step failed; see the execution history"
        )
        request = tasks.LambdaInvoke(
            self,
            "RequestVerification",
            lambda_function=self.kyc_request,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "trader_id": sfn.JsonPath.string_at("$.trader_id"),
                    "account_id": sfn.JsonPath.string_at("$.account_id"),
                    "task_token": sfn.JsonPath.task_token,
                }
            ),
            task_timeout=sfn.Timeout.duration(VERIFICATION_WAIT),
            result_path="$.verification",  # the webhook's SendTaskSuccess output: {"decision": ...}
        ).add_catch(failed, errors=[sfn.Errors.ALL])
        read_decision = sfn.Pass(
            self,
            "ReadDecision",
            parameters={
                "trader_id": sfn.JsonPath.string_at("$.trader_id"),
                "account_id": sfn.JsonPath.string_at("$.account_id"),
                "decision": sfn.JsonPath.string_at("$.verification.decision"),
            },
        )
        record = tasks.LambdaInvoke(
            self,
            "RecordDecision",
            lambda_function=self.kyc_decision,
            payload=sfn.TaskInput.from_object(
                {
                    "trader_id": sfn.JsonPath.string_at("$.trader_id"),
                    "decision": sfn.JsonPath.string_at("$.decision"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
            retry_on_service_exceptions=True,
        ).add_catch(failed, errors=[sfn.Errors.ALL])
        known_decision = sfn.Condition.or_(
            *(sfn.Condition.string_equals("$.decision", decision) for decision in KYC_DECISIONS)
        )
        return request.next(read_decision).next(
            sfn.Choice(self, "Decision")
            .when(known_decision, record.next(sfn.Succeed(self, "KycRecorded")))
            .otherwise(failed)
        )
