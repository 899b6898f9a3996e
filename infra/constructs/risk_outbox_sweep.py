"""The risk outbox sweep, in a nested stack of its own (the main stack is near CloudFormation's 500
resources): every minute, `risk_outbox_sweep` performs the effects of risk snapshots whose own step did not
(its effects failed and the stream record's retries ran out, or it died after the write), found through the
table's sparse `outbox` index (`propdesk.services.risk_outbox_sweep`, docs/faults.md).

    EventBridge rule rate(1 minute) ─► risk_outbox_sweep (no retry: the next minute runs again; its DLQ)
        ─► the accounts' snapshots, breaches, statuses, deadlines (ACCOUNT#), the bus (account.*, platform.*)

Every minute, EventBridge's finest rate: the effects it carries out include disabling a failed account on its
platform, so each minute of delay is a minute more of trading a failed account; a run that finds nothing costs
one invocation and 8 Queries of an index that is nearly always empty. Alarms (infra/constructs/monitoring.py):
the function's errors, its DLQ, accounts whose effects failed again in a run, effects pending over ten
minutes.
"""

from __future__ import annotations

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue

SWEEP_TIMEOUT_SECONDS = 55  # within the minute: a run never overlaps the next one for long
SWEEP_RATE = Duration.minutes(1)


class RiskOutboxSweepStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: risk outbox sweep")
        self.function = functions.create(
            self,
            FunctionSpec(
                "risk_outbox_sweep",
                "Every minute: performs the risk outbox effects their own recalculation left pending",
                SWEEP_TIMEOUT_SECONDS,
                512,
                {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        # reads the outbox index and the snapshots; writes as the risk engine does, in the account's
        # partition only: the outbox's clear, breach evidence, the status, the deadline copy
        data.grant_writes_to(self.function, "ACCOUNT#*")
        grant_publish(bus, self.function)  # account.breached / passed / warning, the platform commands
        self.dead_letter_queue = new_dead_letter_queue(
            self, "RiskOutboxSweepDlq", config, "risk-outbox-sweep", "risk outbox sweep runs not delivered"
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {"risk-outbox-sweep": self.dead_letter_queue}
        events.Rule(
            self,
            "RiskOutboxSweepSchedule",
            rule_name=config.resource_name("risk-outbox-sweep"),
            description="propdesk: performs pending risk effects every minute (a failed account is disabled)",
            schedule=events.Schedule.rate(SWEEP_RATE),
            targets=[
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=0,  # the next minute's run sweeps again
                    max_event_age=Duration.minutes(2),
                )
            ],
        )
