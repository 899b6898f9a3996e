"""The scaling plan's schedule, in a nested stack of its own (the main stack is near CloudFormation's 500
resources): a daily EventBridge rule runs `payout_scaling`, which reviews each account whose last cycle ended
(`propdesk.payouts.scaling_reviews`), keeps the decision with its audit entry and publishes `account.scaled`.

    EventBridge rule rate(1 day) ─► payout_scaling (2 retries, then its DLQ) ─► table, audit, bus
"""

from __future__ import annotations

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue


class ScalingStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
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
