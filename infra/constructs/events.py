"""The event-driven core: the `propdesk` bus, the risk engine fed by the table's stream, the daily-reset
schedule, and notifications fanned out from domain events to traders' WebSocket connections.

Every asynchronous hop has a retry cap and a dead-letter queue (monitoring alarms on their depth).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import READ_ACTIONS, Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue, new_work_queue
from infra.constructs.realtime import Realtime
from infra.nag import acknowledge, logical_id

EVENT_SOURCE = "propdesk"
NOTIFIED_DETAIL_TYPE_PREFIXES = ("account.", "kyc.", "purchase.", "payout.")
WARNING_SHARE = "0.8"  # share of a loss limit at which traders get a warning before the breach


class Events(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        realtime: Realtime,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=config.resource_name("events"))
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        bus_env = {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": self.bus.event_bus_name}

        self.risk_recalc = functions.create(
            self,
            FunctionSpec(
                "risk_recalc",
                "Table stream: recomputes an account's risk state from its new trading events",
                60,
                512,
                {**bus_env, "WARNING_SHARE": WARNING_SHARE},
            ),
        )
        self._feed_trading_events(config, data, self.risk_recalc)

        self.daily_reset = functions.create(
            self,
            FunctionSpec(
                "daily_reset",
                "Every minute: applies the day boundaries that passed since the stored watermark",
                120,
                512,
                bus_env,
            ),
        )
        self._schedule_daily_reset(config, data, self.daily_reset)

        self.notifications = functions.create(
            self,
            FunctionSpec(
                "notifications",
                "Domain events: stores traders' notifications and pushes them to open WebSockets",
                30,
                256,
                {
                    "TABLE_NAME": data.table.table_name,
                    "CONNECTIONS_TABLE_NAME": data.connections.table_name,
                    **realtime.management_environment(config),
                },
            ),
        )
        self._route_notifications(config, data, realtime, self.notifications)

    def _feed_trading_events(self, config: StageConfig, data: Data, function: lambda_.Function) -> None:
        dlq = self._dead_letter_queue(config, "risk-recalc", "stream batches risk_recalc failed 5 times")
        function.add_event_source(
            sources.DynamoEventSource(
                data.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                bisect_batch_on_error=True,
                retry_attempts=5,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(dlq),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {"dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("EVENT#")}}}}
                    ),
                    # a staff override of a breach: the account is replayed with it
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.is_equal("INSERT"),
                            "dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("OVERRIDE#")}}},
                        }
                    ),
                ],
            )
        )
        # risk snapshots, breaches, deadlines and the account's status: all in the account's partition
        data.grant_writes_to(function, "ACCOUNT#*")
        grant_publish(self.bus, function)

    def _schedule_daily_reset(self, config: StageConfig, data: Data, function: lambda_.Function) -> None:
        dlq = self._dead_letter_queue(config, "daily-reset", "daily-reset runs that failed after retries")
        scheduler.Schedule(
            self,
            "DailyResetSchedule",
            schedule_name=config.resource_name("daily-reset"),
            description="propdesk: daily-loss resets at each program's (tz-aware) day boundary",
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(1)),
            target=scheduler_targets.LambdaInvoke(
                function,
                role=self._scheduler_role(function),
                dead_letter_queue=dlq,
                retry_attempts=2,
                max_event_age=Duration.minutes(5),
            ),
        )
        # The schedule invokes asynchronously: a run that raises is retried by Lambda, then parked in the DLQ.
        function.configure_async_invoke(
            retry_attempts=2, max_event_age=Duration.minutes(10), on_failure=destinations.SqsDestination(dlq)
        )
        # the reset watermark (SYSTEM) and, through the risk engine, the accounts' risk state and deadlines
        data.grant_writes_to(function, "ACCOUNT#*", "SYSTEM")
        grant_publish(self.bus, function)

    def _scheduler_role(self, function: lambda_.Function) -> iam.Role:
        """EventBridge Scheduler's role (the target adds invoke and DLQ grants to it)."""
        role = iam.Role(
            self,
            "DailyResetSchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="propdesk: lets the daily-reset schedule invoke its function",
        )
        acknowledge(
            role,
            f"IAM5[Resource::<{logical_id(function)}.Arn>:*]",
            "The Scheduler target grants invoke on the function and its versions; nothing else.",
        )
        return role

    def _route_notifications(
        self, config: StageConfig, data: Data, realtime: Realtime, function: lambda_.Function
    ) -> None:
        undeliverable = self._dead_letter_queue(
            config,
            "notifications-delivery",
            "domain events EventBridge could not put on the notifications queue",
        )
        failed = self._dead_letter_queue(config, "notifications", "notifications that failed 5 deliveries")
        queue = new_work_queue(
            self, "NotificationsQueue", config, "notifications", Duration.seconds(6 * 30), failed
        )
        events.Rule(
            self,
            "NotificationsRule",
            rule_name=config.resource_name("notifications"),
            description="propdesk: account, KYC and purchase events become trader notifications",
            event_bus=self.bus,
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE],
                detail_type=events.Match.any_of(
                    *(events.Match.prefix(p) for p in NOTIFIED_DETAIL_TYPE_PREFIXES)
                ),
            ),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=undeliverable, retry_attempts=8, max_event_age=Duration.hours(24)
                )
            ],
        )
        function.add_event_source(
            sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
        )
        data.grant_writes_to(function, "TRADER#*")  # a trader's notifications
        data.grant_connections(function, *READ_ACTIONS, "dynamodb:DeleteItem")  # forgets gone connections
        realtime.grant_post_to_connections(function)

    def _dead_letter_queue(self, config: StageConfig, name: str, holds: str) -> sqs.Queue:
        construct_id = "".join(part.capitalize() for part in name.split("-")) + "Dlq"
        queue = new_dead_letter_queue(self, construct_id, config, name, holds)
        self.dead_letter_queues[name] = queue
        return queue
