"""The progression workflow: a passed account continues in the next account of its program chain.

    bus rule account.passed ─► Step Functions "progression" (+DLQ on the rule target)
        Start (progression_start) ─► Choice: proceed? ─ no ─► Succeed (duplicate, end, rejected, ...)
          └► Choice: review? ─ yes ─► AwaitReview (progression_review, .waitForTaskToken; resumed by
                                      POST /v1/staff/accounts/{id}/progression-review) ─► Choice: approved?
          └► Choice: funded? ─ yes ─► KYC gate (the KYC workflow, startExecution.sync:2) ─► Choice: approved?
          └► OpenNextAccount (progression_open: the platform, retried with backoff)
          └► Finish (progression_finish: platform.disable_requested for the old account,
                     account.phase_started | account.funded for the trader) ─► Succeed
    GET /v1/accounts/{id}/chain, POST /v1/staff/accounts/{id}/progression-review ─► progression_api

Locally every task error reaches Step Functions as `Runtime.HandlerError`, so tasks return outcomes that
Choice states branch on; Retry and Catch name only `States.ALL`. Every step is idempotent (see
`propdesk.life.workflow`), so a retried task or a redelivered `account.passed` opens one account.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.events import EVENT_SOURCE
from infra.constructs.functions import (
    FunctionFactory,
    FunctionSpec,
    depend_on_policy_only,
    new_log_group,
    removal_policy,
)
from infra.constructs.publishing import grant_publish
from infra.constructs.purchases import CONTEXT_DEFAULTS
from infra.constructs.queues import new_dead_letter_queue
from infra.constructs.secrets import ProviderSecrets
from infra.constructs.workflows import kyc_gate_task
from infra.nag import acknowledge, logical_id

REVIEW_WAIT = Duration.days(14)  # a staff review not given within two weeks ends the run (Fail)
OPEN_TIMEOUT_SECONDS = 60
# The platform may be down for a while: 10 s, 20 s, 40 s... up to 8 attempts (~40 minutes in all).
PLATFORM_RETRY_INTERVAL = Duration.seconds(10)
PLATFORM_RETRY_ATTEMPTS = 8


class Progression(Construct):
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
        kyc_gate: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        self._kyc_gate = kyc_gate
        base = {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name}
        self.start = functions.create(
            self,
            FunctionSpec(
                "progression_start",
                "Progression workflow: what follows a passed account, stored once per (account, passed-at)",
                15,
                256,
                base,
            ),
        )
        self.review = functions.create(
            self,
            FunctionSpec(
                "progression_review",
                "Progression workflow: parks the task token until a staff member reviews the progression",
                15,
                256,
                base,
            ),
        )
        self.open = functions.create(
            self,
            FunctionSpec(
                "progression_open",
                "Progression workflow: opens the next account on the trader's platform, once",
                OPEN_TIMEOUT_SECONDS,
                512,
                self._platform_environment(base, secrets),
            ),
        )
        self.finish = functions.create(
            self,
            FunctionSpec(
                "progression_finish",
                "Progression workflow: closes the passed account for trading and tells the trader",
                15,
                256,
                base,
            ),
        )
        self.api = functions.create(
            self,
            FunctionSpec(
                "progression_api",
                "GET /v1/accounts/{id}/chain, POST /v1/staff/accounts/{id}/progression-review",
                10,
                256,
                base,
            ),
        )
        # Progressions and chain links live in the account's partition (ACCOUNT#). Opening the next account
        # also registers its reset group and uses the platform's circuit (SYSTEM), keeps its login (ACCOUNT#)
        # and marks the login e-mail (MAIL#); the API counts its rate windows (RATE#).
        for function in (self.start, self.review, self.finish):
            data.grant_writes_to(function, "ACCOUNT#*")
        data.grant_writes_to(self.open, "ACCOUNT#*", "SYSTEM", "MAIL#*")
        data.grant_writes_to(self.api, "ACCOUNT#*", "RATE#*")
        data.grant_audit(self.api, append=True)  # the review's audit entry
        for function in (self.start, self.review, self.finish, self.api):
            grant_publish(bus, function)
        secrets.secrets["match-trader"].grant_read(self.open)
        api.add_routes({"progression_api": self.api})

        machine_name = config.resource_name("progression")
        self.machine = sfn.StateMachine(
            self,
            "ProgressionStateMachine",
            state_machine_name=machine_name,
            comment="propdesk progression: a passed account continues in the next account of its chain",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=new_log_group(
                    self, "ProgressionLogs", config, f"/propdesk/{config.stage}/states/progression"
                ),
                level=sfn.LogLevel.ALL,
                include_execution_data=False,  # payloads name traders and accounts
            ),
            removal_policy=removal_policy(config),
        )
        self.machine.grant_task_response(self.api)
        # The review step resumes the run itself when the decision came first. Its grant names the machine
        # by its ARN string: a reference would make the machine (which invokes the function) and the
        # function's policy depend on each other.
        self.review.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                resources=[
                    Stack.of(self).format_arn(
                        service="states",
                        resource="stateMachine",
                        resource_name=machine_name,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        assert isinstance(self.machine.node.default_child, CfnResource)
        assert isinstance(self.machine.role, iam.Role)
        depend_on_policy_only(self.machine.node.default_child, self.machine.role)
        for function in (self.start, self.review, self.open, self.finish):
            acknowledge(
                self.machine,
                f"IAM5[Resource::<{logical_id(function)}.Arn>:*]",
                "Step Functions' Lambda task grants invoke on the function and its versions; nothing else.",
            )
        gate_id = logical_id(self._kyc_gate)
        acknowledge(
            self.machine,
            "IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            + '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"'
            + gate_id
            + '"}]}]}*]',
            "Running the KYC gate to its end (startExecution.sync:2) needs DescribeExecution and "
            "StopExecution on the gate's executions, named only at run time; the gate's machine only.",
        )
        acknowledge(
            self.machine,
            "IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery have no resource-level permissions.",
        )

        start_dlq = new_dead_letter_queue(
            self,
            "ProgressionStartDlq",
            config,
            "progression-start",
            "account.passed events that could not start the progression workflow",
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {"progression-start": start_dlq}
        events.Rule(
            self,
            "ProgressionOnAccountPassed",
            rule_name=config.resource_name("progression-on-account-passed"),
            description="propdesk: a passed phase continues in the next phase or the funded account",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=["account.passed"]),
            targets=[
                targets.SfnStateMachine(
                    self.machine,
                    input=events.RuleTargetInput.from_object(
                        {
                            "account_id": events.EventField.from_path("$.detail.account_id"),
                            "trader_id": events.EventField.from_path("$.detail.trader_id"),
                            "passed_at": events.EventField.from_path("$.detail.occurred_at"),
                        }
                    ),
                    dead_letter_queue=start_dlq,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )

    def _platform_environment(self, base: dict[str, str], secrets: ProviderSecrets) -> dict[str, str]:
        """The platform connection provisioning uses (same secret and CDK context settings)."""
        setting = {
            name: str(self.node.try_get_context(name) or default)
            for name, default in CONTEXT_DEFAULTS.items()
        }
        environment = {
            **base,
            "MATCH_TRADER_SECRET_ARN": secrets.secrets["match-trader"].secret_arn,
            "MATCH_TRADER_SERVER": setting["match_trader_server"],
            # a progression is rare next to purchases: a small share of the platform's per-token budget
            "PLATFORM_REQUESTS_PER_MINUTE": "50",
        }
        if setting["match_trader_base_url"]:
            environment["MATCH_TRADER_BASE_URL"] = setting["match_trader_base_url"]
        return environment

    def _definition(self) -> sfn.IChainable:
        failed = sfn.Fail(
            self,
            "ProgressionFailed",
            error="ProgressionFailed",
            cause="A progression step failed after its retries; see the execution history",
        )
        step = {
            "account_id": sfn.JsonPath.string_at("$.account_id"),
            "passed_at": sfn.JsonPath.string_at("$.passed_at"),
        }

        start = tasks.LambdaInvoke(
            self,
            "Start",
            lambda_function=self.start,
            payload=sfn.TaskInput.from_object(
                {
                    "account_id": sfn.JsonPath.string_at("$.account_id"),
                    "trader_id": sfn.JsonPath.string_at("$.trader_id"),
                    "passed_at": sfn.JsonPath.string_at("$.passed_at"),
                    "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                }
            ),
            result_selector={
                "outcome.$": "$.Payload.outcome",
                "review.$": "$.Payload.review",
                "funded.$": "$.Payload.funded",
                "next_account_id.$": "$.Payload.next_account_id",
            },
            result_path="$.start",
        )
        start.add_retry(errors=[sfn.Errors.ALL], interval=Duration.seconds(2), max_attempts=4, backoff_rate=2)
        start.add_catch(failed, errors=[sfn.Errors.ALL])

        await_review = tasks.LambdaInvoke(
            self,
            "AwaitReview",
            lambda_function=self.review,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object({**step, "task_token": sfn.JsonPath.task_token}),
            task_timeout=sfn.Timeout.duration(REVIEW_WAIT),
            result_path="$.review",  # the staff route's SendTaskSuccess output: {"decision": ...}
        ).add_catch(failed, errors=[sfn.Errors.ALL])

        # The KYC gate (infra/constructs/workflows.py) run to its end (startExecution.sync:2) for the
        # trader's funded need, referenced by the passed account: {outcome: approved | declined | expired}.
        kyc_gate = kyc_gate_task(
            self, "KycGate", self._kyc_gate, "funded", "$.account_id", result_path="$.kyc"
        )
        kyc_gate.add_catch(failed, errors=[sfn.Errors.ALL])

        open_next = tasks.LambdaInvoke(
            self,
            "OpenNextAccount",
            lambda_function=self.open,
            payload=sfn.TaskInput.from_object(step),
            result_selector={"next_account_id.$": "$.Payload.next_account_id"},
            result_path="$.opened",
        )
        open_next.add_retry(
            errors=[sfn.Errors.ALL],
            interval=PLATFORM_RETRY_INTERVAL,
            max_attempts=PLATFORM_RETRY_ATTEMPTS,
            backoff_rate=2,
        )
        open_next.add_catch(failed, errors=[sfn.Errors.ALL])

        finish = tasks.LambdaInvoke(
            self,
            "Finish",
            lambda_function=self.finish,
            payload=sfn.TaskInput.from_object(step),
            result_path=sfn.JsonPath.DISCARD,
        )
        finish.add_retry(
            errors=[sfn.Errors.ALL], interval=Duration.seconds(5), max_attempts=6, backoff_rate=2
        )
        finish.add_catch(failed, errors=[sfn.Errors.ALL])

        progressed = open_next.next(finish).next(sfn.Succeed(self, "Progressed"))
        funded = (
            sfn.Choice(self, "Funded")
            .when(
                sfn.Condition.boolean_equals("$.start.funded", True),
                kyc_gate.next(
                    sfn.Choice(self, "KycApproved")
                    .when(sfn.Condition.string_equals("$.kyc.outcome", "approved"), progressed)
                    .otherwise(sfn.Succeed(self, "KycNotApproved"))
                ),
            )
            .otherwise(progressed)
        )
        reviewed = (
            sfn.Choice(self, "ReviewApproved")
            .when(sfn.Condition.string_equals("$.review.decision", "approved"), funded)
            .otherwise(sfn.Succeed(self, "ReviewRejected"))
        )
        review = (
            sfn.Choice(self, "NeedsReview")
            .when(sfn.Condition.boolean_equals("$.start.review", True), await_review.next(reviewed))
            .otherwise(funded)
        )
        return start.next(
            sfn.Choice(self, "Proceed")
            .when(sfn.Condition.string_equals("$.start.outcome", "proceed"), review)
            .otherwise(sfn.Succeed(self, "NothingToDo"))
        )
