"""An outbox sweep, in a nested stack of its own (the main stack is near CloudFormation's 500 resources):
every minute, `<name>_outbox_sweep` carries out the effects a caller committed to and left pending, found
through the table's sparse `outbox` index (`propdesk.services.risk_outbox_sweep.OutboxSweep`).

    EventBridge rule rate(1 minute) ─► <name>_outbox_sweep (no retry: the next minute runs again; its DLQ)

The risk outbox (`risk_outbox_sweep.py`) and the abuse decisions' outbox (`abuse_outbox_sweep.py`) are built
here alike; each module grants its function what its effects need. Alarms (infra/constructs/monitoring.py):
the function's errors, its DLQ, outboxes whose effects failed again in a run, effects pending over ten
minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Sweep:
    name: str  # `risk`: the function is `risk_outbox_sweep`, its resources `RiskOutboxSweep...`
    function_description: str
    rule_description: str
    memory_mb: int


class OutboxSweepStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        sweep: Sweep,
    ) -> None:
        kebab, camel = f"{sweep.name}-outbox-sweep", f"{sweep.name.capitalize()}OutboxSweep"
        super().__init__(
            scope, construct_id, description=f"propdesk {config.stage}: {sweep.name} outbox sweep"
        )
        self.function = functions.create(
            self,
            FunctionSpec(
                f"{sweep.name}_outbox_sweep",
                sweep.function_description,
                SWEEP_TIMEOUT_SECONDS,
                sweep.memory_mb,
                {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        grant_publish(bus, self.function)  # what the pending effects publish
        self.dead_letter_queue = new_dead_letter_queue(
            self, f"{camel}Dlq", config, kebab, f"{sweep.name} outbox sweep runs not delivered"
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {kebab: self.dead_letter_queue}
        events.Rule(
            self,
            f"{camel}Schedule",
            rule_name=config.resource_name(kebab),
            description=sweep.rule_description,
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
