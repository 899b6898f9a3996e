"""The scaling plan, in a nested stack of its own (the main stack is near CloudFormation's 500 resources): a
daily EventBridge rule runs `payout_scaling`, which reviews each account whose last cycle ended
(`propdesk.payouts.scaling_reviews`), keeps the decision with its audit entry and publishes `account.scaled`;
a rule on `account.scaled` queues it for `scaling_growth`, which grows the account
(`propdesk.payouts.scaling_growth`): its size (audited), its platform balance, the engine's `scale` event.

    EventBridge rule rate(1 day) ─► payout_scaling (2 retries, then its DLQ) ─► table, audit, bus
    rule account.scaled ─► scaling-growth queue (5 receives, then its DLQ) ─► scaling_growth ─► table, audit,
                                                                              the account's platform
"""

from __future__ import annotations

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.platforms import PlatformEnforcement
from infra.constructs.publishing import EVENT_SOURCE, grant_publish
from infra.constructs.queues import new_dead_letter_queue, new_work_queue

GROWTH_TIMEOUT_SECONDS = 60  # the account, a balance operation on the platform (with its look-up), the log


class ScalingStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        enforcement: PlatformEnforcement,
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: scaling plan reviews")
        function = functions.create(
            self,
            FunctionSpec(
                "payout_scaling",
                "Daily: the scaling plan's review of each account whose cycle ended (balance, limits, split)",
                300,
                512,
                {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        # reads accounts, payouts, risk; writes decisions (in the account's partition)
        data.grant_writes_to(function, "ACCOUNT#*")
        data.grant_audit(function, append=True)  # every decision audited with it
        grant_publish(bus, function)  # account.scaled
        self.dead_letter_queue = new_dead_letter_queue(
            self, "ScalingDlq", config, "payout-scaling", "scaling review runs that failed after retries"
        )
        events.Rule(
            self,
            "ScalingSchedule",
            rule_name=config.resource_name("payout-scaling"),
            description="propdesk: the scaling plan's reviews, once a day (a cycle is decided once)",
            schedule=events.Schedule.rate(Duration.days(1)),
            targets=[
                targets.LambdaFunction(
                    function,
                    retry_attempts=2,
                    max_event_age=Duration.hours(2),
                    dead_letter_queue=self.dead_letter_queue,
                )
            ],
        )
        self.function = function
        self.dead_letter_queues: dict[str, sqs.Queue] = {"payout-scaling": self.dead_letter_queue}
        self.growth = self._growth(config, data, bus, functions, enforcement)

    def _growth(
        self,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        enforcement: PlatformEnforcement,
    ) -> lambda_.Function:
        failed = new_dead_letter_queue(
            self, "ScalingGrowthDlq", config, "scaling-growth",
            "account.scaled events whose growth failed 5 deliveries (the account is not grown everywhere)",
        )  # fmt: skip
        undeliverable = new_dead_letter_queue(
            self, "ScalingGrowthDeliveryDlq", config, "scaling-growth-delivery",
            "account.scaled events EventBridge could not put on the scaling-growth queue",
        )  # fmt: skip
        self.dead_letter_queues |= {"scaling-growth": failed, "scaling-growth-delivery": undeliverable}
        visibility = Duration.seconds(6 * GROWTH_TIMEOUT_SECONDS)
        queue = new_work_queue(self, "ScalingGrowthQueue", config, "scaling-growth", visibility, failed)
        function = functions.create(
            self,
            FunctionSpec(
                "scaling_growth",
                "account.scaled: the account's size grows in the table, on its platform and in the engine",
                GROWTH_TIMEOUT_SECONDS,
                512,
                {
                    "TABLE_NAME": data.table.table_name,
                    "EVENT_BUS_NAME": bus.event_bus_name,
                    "PLATFORM_CONNECTIONS": enforcement.connections_environment(),
                },
            ),
        )
        events.Rule(
            self,
            "ScalingGrowthRule",
            rule_name=config.resource_name("scaling-growth"),
            description="propdesk: a scaled account grows on its platform and in the risk engine",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=["account.scaled"]),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=undeliverable, retry_attempts=8, max_event_age=Duration.hours(24)
                )
            ],
        )
        function.add_event_source(
            sources.SqsEventSource(queue, batch_size=5, report_batch_item_failures=True)
        )
        # the account's size, its engine event (ACCOUNT#), the decision's growth time (ACCOUNT#), the
        # platforms' circuits (SYSTEM)
        data.grant_writes_to(function, "ACCOUNT#*", "SYSTEM")
        data.grant_audit(function, append=True)  # the size change, audited with it
        enforcement.grant_connections(function)
        return function
