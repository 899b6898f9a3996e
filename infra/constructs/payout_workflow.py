"""Step Functions: the payout workflow. `payout.requested` on the bus starts it; one small function per step
(`functions/payout_*`, thin over `propdesk.payouts.workflow`):

    Assess ─► KycGate (the KYC workflow, startExecution.sync:2) ─► KycCheck ─► Screen ─► Approve ─┐
      ┌──────────────────────────────────────────────────────────────────────────────────────────┘
      ├─► Withdraw ─► Pay (task token) ─► Settle ─► Paid
      └─► WaitForFinance (task token: payouts_api's decision) ─► Withdraw ...
    a refusal or rejection ─► NotPaid;  a failed payment (or a pay step that kept failing) ─► Compensate

    POST /v1/webhooks/payouts/bridge | /wise ─► payout_webhook_* ─► SendTaskSuccess (the Pay step's token)

Every task answers an outcome a Choice branches on (locally every task error is `Runtime.HandlerError`, so
Catch handles only `States.ALL`); errors are "try again" (a platform or rail down) and are retried with
backoff. A withdrawal that keeps failing ends in `NeedsAttention` without compensating: whether the platform
booked it is for a person to see (the payout stays approved and open, so nothing else is paid meanwhile).

Settings from CDK context (`payout_auto_approve_below`, `payout_two_person_above`, `bridge_api_base`,
`bridge_customer_id`, `bridge_wallet_id`, `wise_api_base`, `wise_profile_id`, `match_trader_base_url`), so
that the local cloud points the adapters at the fakes; credentials stay in Secrets Manager.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
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
from infra.constructs.queues import new_dead_letter_queue
from infra.constructs.secrets import ProviderSecrets
from infra.constructs.workflows import kyc_gate_task
from infra.nag import acknowledge, logical_id

CONTEXT_DEFAULTS = {
    "payout_auto_approve_below": "1000",
    "payout_two_person_above": "10000",
    "bridge_api_base": "https://api.bridge.xyz",
    "bridge_customer_id": "unset",
    "bridge_wallet_id": "unset",
    "wise_api_base": "https://api.wise.com",
    "wise_profile_id": "0",
    "match_trader_base_url": "",
}
FINANCE_WAIT = Duration.days(14)  # finance's decision; then the payout is not paid (the trader asks again)
PAYMENT_WAIT = Duration.days(5)  # the rail's confirmation; then compensate (never while it may still pay)
# Two functions, not one per step: CloudFormation allows 500 resources per stack and each function brings
# four (function, role, policy, log group). Each step is still one use case of `PayoutWorkflow`.
STEP_FUNCTION = "payout_steps"
WEBHOOK_FUNCTION = "payout_webhooks"
FUNCTIONS = {
    STEP_FUNCTION: "Payout workflow's tasks: checks, approval, withdrawal, payment, settlement, compensation",
    WEBHOOK_FUNCTION: "/v1/webhooks/payouts/{bridge,wise}: the rails' signed webhooks resume payouts",
}


class PayoutWorkflow(Construct):
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
        payouts_api: lambda_.IFunction,
        kyc_workflow: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        self._kyc_workflow = kyc_workflow
        setting = {
            name: str(self.node.try_get_context(name) or default)
            for name, default in CONTEXT_DEFAULTS.items()
        }
        platform, bridge, wise = (secrets.secrets[name] for name in ("match-trader", "bridge", "wise"))
        environment = {
            "TABLE_NAME": data.table.table_name,
            "EVENT_BUS_NAME": bus.event_bus_name,
            "PAYOUT_AUTO_APPROVE_BELOW": setting["payout_auto_approve_below"],
            "PAYOUT_TWO_PERSON_ABOVE": setting["payout_two_person_above"],
            "MATCH_TRADER_SECRET_ARN": platform.secret_arn,
            "MATCH_TRADER_BASE_URL": setting["match_trader_base_url"],
            "BRIDGE_SECRET_ARN": bridge.secret_arn,
            "BRIDGE_API_BASE": setting["bridge_api_base"],
            "BRIDGE_CUSTOMER_ID": setting["bridge_customer_id"],
            "BRIDGE_WALLET_ID": setting["bridge_wallet_id"],
            "WISE_SECRET_ARN": wise.secret_arn,
            "WISE_API_BASE": setting["wise_api_base"],
            "WISE_PROFILE_ID": setting["wise_profile_id"],
        }
        self.functions: dict[str, lambda_.Function] = {}
        for name, description in FUNCTIONS.items():
            settings = {key: value for key, value in environment.items() if value}  # unset: the default
            self.functions[name] = functions.create(self, FunctionSpec(name, description, 30, 256, settings))
        steps, webhooks = self.functions[STEP_FUNCTION], self.functions[WEBHOOK_FUNCTION]
        # the steps: payouts (revision-checked), tokens, the engine's events, audit entries; payout.* events;
        # the platform's and the rails' credentials. The webhooks: their rails' keys, and below.
        # payouts and their tokens (PAYOUT#), the account's lock and the engine's payout events (ACCOUNT#),
        # rail payment links (RAIL_PAYMENT#), the platform's circuit (SYSTEM)
        data.grant_writes_to(steps, "PAYOUT#*", "ACCOUNT#*", "RAIL_PAYMENT#*", "SYSTEM")
        data.grant_audit(steps, append=True)
        grant_publish(bus, steps, STEP_FUNCTION)
        for secret in (platform, bridge, wise):
            secret.grant_read(steps)
        # A return after `paid` is put back from the webhook itself (PayoutWorkflow.put_back_returned): the
        # platform's balance (its secret, its circuit under SYSTEM), the engine's deposit (ACCOUNT#), the
        # payout failed and audited (PAYOUT#, the account's lock) and announced (payout.failed).
        data.grant_writes_to(webhooks, "PAYOUT#*", "ACCOUNT#*", "SYSTEM")
        data.grant_audit(webhooks, append=True)
        grant_publish(bus, webhooks, WEBHOOK_FUNCTION)
        platform.grant_read(webhooks)
        for secret in (bridge, wise):
            secret.grant_read(webhooks)

        self.state_machine = sfn.StateMachine(
            self,
            "PayoutStateMachine",
            state_machine_name=config.resource_name("payouts"),
            comment="propdesk payouts: checks, approval, withdrawal, payment, confirmation, compensation",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=new_log_group(
                    self, "PayoutLogs", config, f"/propdesk/{config.stage}/states/payouts"
                ),
                level=sfn.LogLevel.ALL,
                include_execution_data=False,  # payloads name traders and amounts
            ),
            removal_policy=removal_policy(config),
        )
        # The steps that resume their own wait are also invoked by the state machine: granting on its ARN by
        # name (not a reference to it) keeps the template free of a dependency cycle.
        machine_arn = Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=config.resource_name("payouts"),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        task_response = iam.PolicyStatement(
            actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
            resources=[machine_arn],
        )
        for function in (steps, webhooks):
            function.add_to_role_policy(task_response)
        payouts_api.add_to_role_policy(task_response)  # finance's decision resumes the wait

        assert isinstance(self.state_machine.node.default_child, CfnResource)
        assert isinstance(self.state_machine.role, iam.Role)
        depend_on_policy_only(self.state_machine.node.default_child, self.state_machine.role)
        acknowledge(
            self.state_machine,
            f"IAM5[Resource::<{logical_id(steps)}.Arn>:*]",
            "Step Functions' Lambda task grants invoke on the function and its versions; nothing else.",
        )
        kyc_id = logical_id(self._kyc_workflow)
        acknowledge(
            self.state_machine,
            "IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{kyc_id}"}}]}}]}}*]',
            "startExecution.sync:2 on the KYC gate reads and stops the executions it starts, whose names "
            "Step Functions generates: their ARNs are known only as the gate's execution prefix.",
        )
        acknowledge(
            self.state_machine,
            "IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery have no resource-level permissions.",
        )
        api.add_routes({WEBHOOK_FUNCTION: webhooks})

        start_dlq = new_dead_letter_queue(
            self, "PayoutStartDlq", config, "payout-start", "payout.requested events that could not start"
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {"payout-start": start_dlq}
        events.Rule(
            self,
            "PayoutOnRequested",
            rule_name=config.resource_name("payout-on-requested"),
            description="propdesk: a payout request starts the payout workflow",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=["payout.requested"]),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object(
                        {
                            "payout_id": events.EventField.from_path("$.detail.payout_id"),
                            "trader_id": events.EventField.from_path("$.detail.trader_id"),
                        }
                    ),
                    dead_letter_queue=start_dlq,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )

    # ---- the definition

    def _task(
        self, state_id: str, step: str, payload: Mapping[str, object], result: str
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            state_id,
            lambda_function=self.functions[STEP_FUNCTION],
            payload=sfn.TaskInput.from_object({"step": step, **payload}),
            payload_response_only=True,
            result_path=f"$.{result}",
        )
        task.add_retry(
            errors=[sfn.Errors.ALL], interval=Duration.seconds(2), max_attempts=6, backoff_rate=2.0
        )
        return task

    def _wait(self, state_id: str, step: str, timeout: Duration, result: str) -> tasks.LambdaInvoke:
        """A task that waits for its token. A function that failed before storing it fails the task
        (`States.TaskFailed`, not the wait's `States.Timeout`): it is invoked again with a new token; the
        steps are idempotent (the token stored last is the one resumed)."""
        wait = tasks.LambdaInvoke(
            self,
            state_id,
            lambda_function=self.functions[STEP_FUNCTION],
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "step": step,
                    "payout_id": sfn.JsonPath.string_at("$.payout_id"),
                    "task_token": sfn.JsonPath.task_token,
                }
            ),
            task_timeout=sfn.Timeout.duration(timeout),
            result_path=f"$.{result}",
        )
        wait.add_retry(
            errors=[sfn.Errors.TASKS_FAILED], interval=Duration.seconds(5), max_attempts=6, backoff_rate=2.0
        )
        return wait

    def _definition(self) -> sfn.IChainable:
        payout_id = {"payout_id": sfn.JsonPath.string_at("$.payout_id")}
        not_paid = sfn.Succeed(self, "NotPaid", comment="refused, rejected or failed: the payout says why")
        paid = sfn.Succeed(self, "Paid")
        needs_attention = sfn.Fail(
            self,
            "NeedsAttention",
            error="PayoutNeedsAttention",
            cause="A payout step could not finish safely",
        )

        compensate = self._task(
            "Compensate", "compensate",
            {**payout_id, "reason": sfn.JsonPath.string_at("$.payment.reason")}, "compensation",
        )  # fmt: skip
        compensate.add_catch(needs_attention, errors=[sfn.Errors.ALL], result_path="$.error")
        compensate.next(
            sfn.Choice(self, "Compensated?")
            .when(sfn.Condition.string_equals("$.compensation.outcome", "unsafe"), needs_attention)
            .otherwise(not_paid)
        )
        payment_errored = sfn.Pass(
            self,
            "PaymentErrored",
            result=sfn.Result.from_object(
                {"outcome": "failed", "reason": "the payment step kept failing", "reference": ""}
            ),
            result_path="$.payment",
        ).next(compensate)

        settle = self._task(
            "Settle", "settle",
            {**payout_id, "reference": sfn.JsonPath.string_at("$.payment.reference")}, "settled",
        )  # fmt: skip
        settle.add_catch(needs_attention, errors=[sfn.Errors.ALL], result_path="$.error")
        settle.next(paid)

        pay = self._wait("Pay", "pay", PAYMENT_WAIT, "payment")
        pay.add_catch(payment_errored, errors=[sfn.Errors.ALL], result_path="$.error")
        pay.next(
            sfn.Choice(self, "Paid?")
            .when(sfn.Condition.string_equals("$.payment.outcome", "paid"), settle)
            .otherwise(compensate)
        )

        withdraw = self._task("Withdraw", "withdraw", payout_id, "withdrawal")
        withdraw.add_catch(needs_attention, errors=[sfn.Errors.ALL], result_path="$.error")
        withdraw.next(
            sfn.Choice(self, "Withdrawn?")
            .when(sfn.Condition.string_equals("$.withdrawal.outcome", "withdrawn"), pay)
            .otherwise(not_paid)
        )

        undecided = sfn.Pass(
            self,
            "FinanceDidNotDecide",
            result=sfn.Result.from_object(
                {"outcome": "failed", "reason": "finance did not decide in time", "reference": ""}
            ),
            result_path="$.payment",
        ).next(compensate)  # nothing was withdrawn: the payout fails and the account may ask again
        wait_for_finance = self._wait("WaitForFinance", "wait_for_approval", FINANCE_WAIT, "decision")
        wait_for_finance.add_catch(undecided, errors=[sfn.Errors.ALL], result_path="$.error")
        wait_for_finance.next(
            sfn.Choice(self, "FinanceApproved?")
            .when(sfn.Condition.string_equals("$.decision.decision", "approve"), withdraw)
            .otherwise(not_paid)
        )
        approve = self._task("Approve", "approve", payout_id, "approval")
        approve.next(
            sfn.Choice(self, "Approved?")
            .when(sfn.Condition.string_equals("$.approval.outcome", "approved"), withdraw)
            .when(sfn.Condition.string_equals("$.approval.outcome", "wait"), wait_for_finance)
            .otherwise(not_paid)
        )

        checks = [
            ("Assess", "assess", "assessment"),
            ("KycCheck", "kyc_check", "kyc_check"),  # the gate's conclusion, on the payout
            ("Screen", "screen", "screen"),
        ]
        following: sfn.IChainable = approve
        for state_id, step, result in reversed(checks):
            task = self._task(state_id, step, payout_id, result)
            task.add_catch(needs_attention, errors=[sfn.Errors.ALL], result_path="$.error")
            task.next(
                sfn.Choice(self, f"{state_id}Passed?")
                .when(sfn.Condition.string_equals(f"$.{result}.outcome", "passed"), following)
                .otherwise(not_paid)
            )
            following = task
            if state_id == "KycCheck":  # the KYC gate (its own workflow) runs to its end before the check
                gate = kyc_gate_task(self, "KycGate", self._kyc_workflow, "payout", "$.payout_id")
                gate.add_catch(needs_attention, errors=[sfn.Errors.ALL], result_path="$.error")
                following = gate.next(task)
        approve.add_catch(needs_attention, errors=[sfn.Errors.ALL], result_path="$.error")
        return following
