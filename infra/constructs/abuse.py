"""Abuse detection wired into the running system (docs/abuse.md, "Wiring"):

    main table stream (new EVENT#, SIGNAL# and PENDING# items, accounts turning failed or passed)
        ─► abuse_detect ─► AbuseStateTable (detectors' state, TTL)
                                                  └───────► flags (FLAG#...), payout holds, audit, bus;
                                                            a decision's effects (below)
    schedule (daily 00:30 UTC) ─► abuse_deep_pass ─► the last 7 days of fills ─► flags, holds
    GET /v1/staff/flags, GET .../{id}, POST .../{id}/decision ─► abuse_api (risk, admin)

The stream mapping reads one batch per shard at a time (parallelization 1); items shared across shards are
protected by the state table's versioned, all-or-nothing commits (a conflicting event is run again). A
failing batch is retried 5 times, then parked in a DLQ (alarmed by monitoring); so is a failed deep pass.
Thresholds and automatic enforcement are the firm's settings (`abuse_thresholds`, `abuse_enforcement`).
A decision (staff's, or automatic in the stream and the deep pass) may reject the payouts waiting on the
accounts (and resume the payout workflow waiting for their approval), fail the accounts and ask their
platform to disable them; `abuse.flag_raised` and `abuse.flag_decided` go on the bus (firm alerts and the
mailer consume them).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from propdesk.data.schema import ABUSE_STATE_TABLE

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec, removal_policy
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue
from infra.nag import acknowledge, logical_id

# What a state session does: read items by key (one batch of the keys an event is known to read first, then
# one by one), write and delete them in one transaction (no scan, no query).
STATE_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)  # fmt: skip


def payout_approvals(scope: Construct, config: StageConfig) -> iam.PolicyStatement:
    """Answering the payout workflow's approval wait (a denial resumes it with the rejection)."""
    return iam.PolicyStatement(
        actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
        resources=[
            Stack.of(scope).format_arn(  # by name: no reference to the workflow construct, no cycle
                service="states",
                resource="stateMachine",
                resource_name=config.resource_name("payouts"),
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
    )


class Abuse(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        api: Api,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_table = dynamodb.Table(
            self,
            ABUSE_STATE_TABLE.logical_name,
            partition_key=dynamodb.Attribute(
                name=ABUSE_STATE_TABLE.partition_key, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=ABUSE_STATE_TABLE.ttl_attribute,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
        )
        acknowledge(
            self.state_table,
            "DDB3",
            "The detectors' working state (counts, buckets, pairs) expires within weeks and holds no "
            "personal data; after a restore the daily deep pass rebuilds what matters from the trading "
            "events.",
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        settings = {
            "TABLE_NAME": data.table.table_name,
            "EVENT_BUS_NAME": bus.event_bus_name,
            "ABUSE_THRESHOLDS": config.abuse_thresholds,
            "ABUSE_ENFORCEMENT": config.abuse_enforcement,
        }

        self.detect = functions.create(
            self,
            FunctionSpec(
                "abuse_detect",
                "Table stream: new trading events through the abuse detectors; flags, payout holds",
                60,
                512,
                {**settings, "ABUSE_STATE_TABLE_NAME": self.state_table.table_name},
            ),
        )
        self._feed_trading_events(config, data, self.detect)
        self.state_table.grant(self.detect, *STATE_ACTIONS)

        self.deep_pass = functions.create(
            self,
            FunctionSpec(
                "abuse_deep_pass",
                "Daily: the abuse detectors' deep passes over the last 7 days of fills",
                900,
                1024,
                {**settings, "ABUSE_STATE_TABLE_NAME": self.state_table.table_name},
            ),
        )
        self._schedule_deep_pass(config, self.deep_pass)
        # the deep pass reads the stream's identity links and rings, and writes back the rings it found
        self.state_table.grant(self.deep_pass, *STATE_ACTIONS)

        self.review = functions.create(
            self,
            FunctionSpec(
                "abuse_api",
                "/v1/staff/flags: the abuse review queue, flags with evidence, decisions (risk, admin)",
                29,  # API Gateway's limit: a cold start on a busy host outlived 10 s
                256,
                {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        # Flags and their detections (FLAG#), each flag's links in its accounts' and traders' partitions
        # (ACCOUNT#, TRADER#), payout holds and a failed account's status (ACCOUNT#); the review API decides
        # flags, places or lifts holds and counts its rate windows (RATE#). A decision that denies payouts
        # rejects those waiting (PAYOUT#, the account's open-payout lock in ACCOUNT#) and resumes a payout
        # workflow waiting for approval; disabling an account is requested on the bus.
        for function in (self.detect, self.deep_pass):
            data.grant_writes_to(function, "FLAG#*", "ACCOUNT#*", "TRADER#*", "PAYOUT#*")
        data.grant_writes_to(self.review, "FLAG#*", "ACCOUNT#*", "RATE#*", "PAYOUT#*")
        approvals = payout_approvals(self, config)
        for function in (self.detect, self.deep_pass, self.review):
            data.grant_audit(function, append=True)
            grant_publish(bus, function)
            function.add_to_role_policy(approvals)
        api.add_routes({"abuse_api": self.review})

    def let_put_back_withdrawals(
        self,
        data: Data,
        platform: secretsmanager.ISecret,
        base_url: str,
        also: tuple[lambda_.Function, ...] = (),
    ) -> None:
        """A denial may end a payout whose withdrawal started: the functions look the booking up on the
        platform payouts are withdrawn on and put it back (`propdesk.payouts.put_back`): its secret, its
        circuit breaker (SYSTEM), as the payout workflow's steps. `also`: other functions that carry out
        decisions (the abuse outbox sweep)."""
        for function in (self.detect, self.deep_pass, self.review, *also):
            function.add_environment("MATCH_TRADER_SECRET_ARN", platform.secret_arn)
            if base_url:
                function.add_environment("MATCH_TRADER_BASE_URL", base_url)
            platform.grant_read(function)
            data.grant_partition_writes(
                function, ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), ("SYSTEM",)
            )

    def _feed_trading_events(self, config: StageConfig, data: Data, function: lambda_.Function) -> None:
        dlq = self._dead_letter_queue(config, "abuse-detect", "stream batches abuse_detect failed 5 times")
        function.add_event_source(
            sources.DynamoEventSource(
                data.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                parallelization_factor=1,
                bisect_batch_on_error=True,
                retry_attempts=5,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(dlq),
                filters=[
                    *(
                        lambda_.FilterCriteria.filter(
                            {
                                "eventName": lambda_.FilterRule.is_equal("INSERT"),
                                "dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with(prefix)}}},
                            }
                        )
                        # trading events; identity signals; pending orders
                        for prefix in ("EVENT#", "SIGNAL#", "PENDING#")
                    ),
                    # an account failing or passing (the handler checks that the status changed)
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.is_equal("MODIFY"),
                            "dynamodb": {
                                "Keys": {"sk": {"S": lambda_.FilterRule.is_equal("META")}},
                                "NewImage": {"status": {"S": lambda_.FilterRule.or_("failed", "passed")}},
                            },
                        }
                    ),
                ],
            )
        )

    def _schedule_deep_pass(self, config: StageConfig, function: lambda_.Function) -> None:
        dlq = self._dead_letter_queue(
            config, "abuse-deep-pass", "abuse deep passes that failed after retries"
        )
        role = iam.Role(
            self,
            "DeepPassSchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="propdesk: lets the abuse deep-pass schedule invoke its function",
        )
        acknowledge(
            role,
            f"IAM5[Resource::<{logical_id(function)}.Arn>:*]",
            "The Scheduler target grants invoke on the function and its versions; nothing else.",
        )
        scheduler.Schedule(
            self,
            "DeepPassSchedule",
            schedule_name=config.resource_name("abuse-deep-pass"),
            description="propdesk: the abuse detectors' daily deep pass",
            schedule=scheduler.ScheduleExpression.cron(minute="30", hour="0"),  # daily, after the UTC day
            target=scheduler_targets.LambdaInvoke(
                function, role=role, dead_letter_queue=dlq, retry_attempts=2, max_event_age=Duration.hours(1)
            ),
        )
        function.configure_async_invoke(
            retry_attempts=2, max_event_age=Duration.hours(1), on_failure=destinations.SqsDestination(dlq)
        )

    def _dead_letter_queue(self, config: StageConfig, name: str, holds: str) -> sqs.Queue:
        construct_id = "".join(part.capitalize() for part in name.split("-")) + "Dlq"
        queue = new_dead_letter_queue(self, construct_id, config, name, holds)
        self.dead_letter_queues[name] = queue
        return queue
