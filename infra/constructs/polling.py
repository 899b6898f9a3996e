"""Polling the trading platforms that push nothing, in a nested stack of its own (the main stack is near
CloudFormation's 500 resources):

    rule rate(1 minute) {"platform": p} ─► platform_polling (+DLQ) ─► platform (port) ─► ingestion ─► table

One rule per polled platform, every minute; the function decides which accounts are due (every minute near a
loss limit or while stale, otherwise once every `poll_every_minutes`; propdesk.platforms.polling). Polled by
default: TradeLocker (REST only, no push); context `polled_platforms` (comma-separated) changes the list, e.g.
`match-trader,tradelocker` while Match-Trader's gRPC streams have no connector. Only connected platforms are
polled. cTrader and DXtrade push through the connector service, MT5 through its bridge's webhooks.
"""

from __future__ import annotations

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.platforms import PlatformEnforcement
from infra.constructs.queues import new_dead_letter_queue

POLLING_TIMEOUT_SECONDS = 55  # within the minute: a tick never overlaps the next one for long
DEFAULT_POLLED = "tradelocker"


class PlatformPollingStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus_name: str,
        functions: FunctionFactory,
        enforcement: PlatformEnforcement,
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: platform polling")
        chosen = str(self.node.try_get_context("polled_platforms") or DEFAULT_POLLED)
        self.polled = [p.strip() for p in chosen.split(",") if p.strip() in enforcement.connections]
        self.function = functions.create(
            self,
            FunctionSpec(
                "platform_polling",
                "Every minute per polled platform: due accounts' deals and equity through the port into "
                "ingestion; stale marks and backfill",
                POLLING_TIMEOUT_SECONDS,
                512,
                {
                    "TABLE_NAME": data.table.table_name,
                    "EVENT_BUS_NAME": bus_name,
                    "PLATFORM_CONNECTIONS": enforcement.connections_environment(),
                },
            ),
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        if self.polled:  # a queue only where a rule can fill it (every queue is alarmed)
            dlq = new_dead_letter_queue(
                self, "PlatformPollingDlq", config, "platform-polling", "platform polling ticks that failed"
            )
            self.dead_letter_queues["platform-polling"] = dlq
        for platform in self.polled:
            events.Rule(
                self,
                "".join(part.capitalize() for part in platform.split("-")) + "PollSchedule",
                rule_name=config.resource_name(f"poll-{platform}"),
                description=f"propdesk: polls {platform}'s due accounts every minute",
                schedule=events.Schedule.rate(Duration.minutes(1)),
                targets=[
                    targets.LambdaFunction(
                        self.function,
                        event=events.RuleTargetInput.from_object({"platform": platform}),
                        dead_letter_queue=dlq,
                        retry_attempts=0,  # the next tick polls again
                        max_event_age=Duration.minutes(2),
                    )
                ],
            )
        self._grant(data, enforcement, self.function)

    @staticmethod
    def _grant(data: Data, enforcement: PlatformEnforcement, function: lambda_.Function) -> None:
        data.grant_table(function)  # accounts by reset group, snapshots, latest events, stale marks
        # its writes: the account's events and stale mark (ACCOUNT#...), the platform's breaker (SYSTEM)
        data.grant_partition_writes(
            function,
            ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
            ("ACCOUNT#*", "SYSTEM"),
        )
        enforcement.grant_connections(function)
