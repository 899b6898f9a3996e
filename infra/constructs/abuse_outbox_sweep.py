"""The abuse outbox sweep, in a nested stack of its own (the main stack is near CloudFormation's 500
resources): every minute, `abuse_outbox_sweep` carries out the effects of abuse decisions whose own caller did
not (the review API, the stream or the deep pass failed or died after storing the decision), found through
the table's sparse `outbox` index (`propdesk.abuse.outbox`, docs/abuse.md).

    EventBridge rule rate(1 minute) ─► abuse_outbox_sweep (no retry: the next minute runs again; its DLQ)
        ─► the flags' outboxes (FLAG#), payout holds and failed accounts (ACCOUNT#), waiting payouts
           (PAYOUT#), the audit log, the payout workflow's approval wait, the bus (abuse.*, payout.rejected,
           platform.disable_requested)

It acts with exactly the review API's powers over decisions (not its rate windows). Alarms
(infra/constructs/monitoring.py): the function's errors, its DLQ, flags whose effects failed again in a run,
effects pending over ten minutes.
"""

from __future__ import annotations

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.abuse import payout_approvals
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue

SWEEP_TIMEOUT_SECONDS = 55  # within the minute: a run never overlaps the next one for long
SWEEP_RATE = Duration.minutes(1)


class AbuseOutboxSweepStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: abuse outbox sweep")
        self.function = functions.create(
            self,
            FunctionSpec(
                "abuse_outbox_sweep",
                "Every minute: carries out the abuse decisions' effects their own caller left pending",
                SWEEP_TIMEOUT_SECONDS,
                256,
                {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        # reads the outbox index and the flags; writes as a decision's effects do: the flag's outbox
        # (FLAG#), holds and failed accounts (ACCOUNT#), the waiting payouts it rejects (PAYOUT#)
        data.grant_writes_to(self.function, "FLAG#*", "ACCOUNT#*", "PAYOUT#*")
        data.grant_audit(self.function, append=True)
        grant_publish(bus, self.function)
        self.function.add_to_role_policy(payout_approvals(self, config))
        self.dead_letter_queue = new_dead_letter_queue(
            self, "AbuseOutboxSweepDlq", config, "abuse-outbox-sweep", "abuse outbox sweep runs not delivered"
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {"abuse-outbox-sweep": self.dead_letter_queue}
        events.Rule(
            self,
            "AbuseOutboxSweepSchedule",
            rule_name=config.resource_name("abuse-outbox-sweep"),
            description="propdesk: carries out pending abuse decisions' effects every minute",
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
