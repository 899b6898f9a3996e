"""Step Functions: the KYC workflow, which is the KYC gate other workflows call.

Input `{"trader_id", "need": {"kind": "funded" | "payout", "reference": <account or payout id>}}`; output
`{"trader_id", "need", "outcome"}` with `outcome` `approved`, `declined` or `expired` (a run that cannot
proceed fails instead). A parent workflow runs it to its end with `kyc_gate_task` (StartExecution `.sync:2`)
and branches on `outcome`; until the progression workflow does that for the funded stage, a passed
evaluation (`account.passed`) starts it here.

    OpenCase ──open──► WaitForConclusion (.waitForTaskToken) ──resumed──► RecordConclusion ──► KycConcluded
      │  ▲  concluded ─────────────────────────────────────────────────────▲        │ (reopened meanwhile)
      │  └── WaitForProvider (provider_unavailable)   timeout: CheckCase ──┘        └──► OpenCase
      └─ (any task error, or a wait that failed but did not time out) ──► KycFailed

- OpenCase opens or joins the trader's case and creates the provider session (kyc_request, step `open`).
- WaitForConclusion parks the task token on the case (kyc_request, step `wait`); the provider's webhook, a
  staff decision or the expiry resumes it. A resubmission does not end the wait: the case loops to a new
  attempt (with its new link announced) and the same token waits on, so the gate has one wait per need
  whatever the number of attempts. Its timeout is the firm's decision window plus a margin.
- CheckCase (kyc_decision, step `check`), after the wait timed out: expires the case if the window is over
  (an outcome: `expired`); a case still open (waiting for staff, or reopened with a new window) is asked
  again and waited on.
- RecordConclusion (kyc_decision, step `announce`): the conclusion, with its `kyc.*` event surely published.

Locally every task error reaches Step Functions as `Runtime.HandlerError`, so tasks return outcomes that
Choice states branch on, and Catch handles only `States.ALL`.
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
from infra.constructs.kyc import (
    KycSettings,
    grant_case_writes,
    grant_task_response,
    kyc_state_machine_arn,
)
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue
from infra.constructs.secrets import ProviderSecrets
from infra.nag import acknowledge, logical_id

CONCLUSIONS = ("approved", "declined", "expired")
WAIT_MARGIN = Duration.days(1)  # the wait outlives the firm's window by this much before asking the case
PROVIDER_RETRY_WAIT = Duration.minutes(5)


def kyc_gate_task(
    scope: Construct,
    construct_id: str,
    kyc_workflow: sfn.IStateMachine,
    kind: str,
    reference_path: str,
    trader_id_path: str = "$.trader_id",
    result_path: str = "$.kyc",
) -> tasks.StepFunctionsStartExecution:
    """A task for another workflow's chain: runs the KYC gate for the trader's `kind` need (`funded` with the
    account id at `reference_path`, `payout` with the payout id) to its end and leaves `{"outcome"}` at
    `result_path` for a Choice (`approved` | `declined` | `expired`). The gate fails only on a technical
    failure; catch `States.ALL` around it."""
    return tasks.StepFunctionsStartExecution(
        scope,
        construct_id,
        state_machine=kyc_workflow,
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
        input=sfn.TaskInput.from_object(
            {
                "trader_id": sfn.JsonPath.string_at(trader_id_path),
                "need": {"kind": kind, "reference": sfn.JsonPath.string_at(reference_path)},
            }
        ),
        associate_with_parent=True,
        result_selector={"outcome.$": "$.Output.outcome"},
        result_path=result_path,
    )


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        secrets: ProviderSecrets,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = KycSettings.from_context(self)
        secret = secrets.secrets[settings.provider]
        base = {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name}
        self.kyc_request = functions.create(
            self,
            FunctionSpec(
                "kyc_request",
                "KYC gate: opens the trader's case with its provider session, parks the task token",
                60,  # the provider's session: up to 4 tries of 10 s with backoff
                256,
                {**base, **settings.provider_environment(secret)},
            ),
        )
        self.kyc_decision = functions.create(
            self,
            FunctionSpec(
                "kyc_decision",
                "KYC gate: expires an overdue case, announces the case's conclusion",
                30,
                256,
                {**base, **settings.policy_environment()},
            ),
        )
        state_machine_arn = kyc_state_machine_arn(self, config)
        for function in (self.kyc_request, self.kyc_decision):
            grant_case_writes(data, function)
            grant_publish(bus, function)
            grant_task_response(function, state_machine_arn)
        secret.grant_read(self.kyc_request)

        self.kyc_wait = Duration.days(settings.decision_window_days).plus(WAIT_MARGIN)
        self.kyc = sfn.StateMachine(
            self,
            "KycStateMachine",
            state_machine_name=config.resource_name("kyc"),
            comment="propdesk KYC gate: open the case and its provider session, wait for its conclusion "
            "(webhook, staff or expiry), announce it",
            definition_body=sfn.DefinitionBody.from_chainable(self._kyc_definition()),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=new_log_group(self, "KycLogs", config, f"/propdesk/{config.stage}/states/kyc"),
                level=sfn.LogLevel.ALL,
                include_execution_data=False,  # payloads hold the trader's verification link
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
        # Until the progression workflow calls the gate for the funded stage, a passed evaluation starts it
        # (a redelivered or a second passed evaluation joins the trader's one case).
        events.Rule(
            self,
            "KycOnAccountPassed",
            rule_name=config.resource_name("kyc-on-account-passed"),
            description="propdesk: a passed evaluation runs the trader's KYC gate for the funded stage",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=["account.passed"]),
            targets=[
                targets.SfnStateMachine(
                    self.kyc,
                    input=events.RuleTargetInput.from_object(
                        {
                            "trader_id": events.EventField.from_path("$.detail.trader_id"),
                            "need": {
                                "kind": "funded",
                                "reference": events.EventField.from_path("$.detail.account_id"),
                            },
                        }
                    ),
                    dead_letter_queue=start_dlq,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )

    def kyc_gate(
        self, scope: Construct, construct_id: str, kind: str, reference_path: str, **options: str
    ) -> tasks.StepFunctionsStartExecution:
        """`kyc_gate_task` on this stack's KYC workflow."""
        return kyc_gate_task(scope, construct_id, self.kyc, kind, reference_path, **options)

    def _kyc_definition(self) -> sfn.IChainable:
        failed = sfn.Fail(
            self, "KycFailed", error="KycFailed", cause="A KYC step failed; see the execution history"
        )
        trader = sfn.JsonPath.string_at("$.trader_id")
        need = {
            "kind": sfn.JsonPath.string_at("$.need.kind"),
            "reference": sfn.JsonPath.string_at("$.need.reference"),
        }
        progress = {
            "outcome.$": "$.Payload.outcome",
            "status.$": "$.Payload.status",
            "attempt.$": "$.Payload.attempt",
        }
        concluded = sfn.Condition.or_(
            *(sfn.Condition.string_equals("$.case.outcome", outcome) for outcome in CONCLUSIONS)
        )

        open_case = tasks.LambdaInvoke(
            self,
            "OpenCase",
            lambda_function=self.kyc_request,
            payload=sfn.TaskInput.from_object({"step": "open", "trader_id": trader, "need": need}),
            result_selector=progress,
            result_path="$.case",
            retry_on_service_exceptions=True,
        ).add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")
        wait = tasks.LambdaInvoke(
            self,
            "WaitForConclusion",
            lambda_function=self.kyc_request,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {"step": "wait", "trader_id": trader, "need": need, "task_token": sfn.JsonPath.task_token}
            ),
            task_timeout=sfn.Timeout.duration(self.kyc_wait),
            result_path="$.resumed",  # {"trader_id", "outcome"} from whoever concluded the case
        )
        check = tasks.LambdaInvoke(
            self,
            "CheckCase",
            lambda_function=self.kyc_decision,
            payload=sfn.TaskInput.from_object({"step": "check", "trader_id": trader}),
            result_selector=progress,
            result_path="$.case",
            retry_on_service_exceptions=True,
        ).add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")
        wait.add_catch(check, errors=[sfn.Errors.ALL], result_path="$.wait_error")
        record = tasks.LambdaInvoke(
            self,
            "RecordConclusion",
            lambda_function=self.kyc_decision,
            payload=sfn.TaskInput.from_object({"step": "announce", "trader_id": trader}),
            result_selector=progress,
            result_path="$.case",
            retry_on_service_exceptions=True,
        ).add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")
        # Every step is idempotent: a failed one (not a timed-out wait) is tried again before it is caught.
        for task in (open_case, wait, check, record):
            task.add_retry(
                errors=[sfn.Errors.TASKS_FAILED], interval=Duration.seconds(5), max_attempts=3, backoff_rate=2
            )
        provider_down = sfn.Wait(
            self, "WaitForProvider", time=sfn.WaitTime.duration(PROVIDER_RETRY_WAIT)
        ).next(open_case)
        answer = sfn.Pass(
            self,
            "KycConcluded",
            parameters={"trader_id.$": "$.trader_id", "need.$": "$.need", "outcome.$": "$.case.outcome"},
        ).next(sfn.Succeed(self, "KycDone"))

        check.next(
            sfn.Choice(self, "CaseChecked")
            .when(concluded, record)
            .when(sfn.Condition.string_equals("$.wait_error.Error", "States.Timeout"), open_case)
            .otherwise(failed)
        )
        record.next(sfn.Choice(self, "Concluded").when(concluded, answer).otherwise(open_case))
        wait.next(record)
        return open_case.next(
            sfn.Choice(self, "CaseOpened")
            .when(concluded, record)
            .when(sfn.Condition.string_equals("$.case.outcome", "open"), wait)
            .when(sfn.Condition.string_equals("$.case.outcome", "provider_unavailable"), provider_down)
            .otherwise(failed)
        )
