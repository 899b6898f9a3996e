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

from aws_cdk import aws_events as events
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.abuse import payout_approvals
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.outbox_sweep import OutboxSweepStack, Sweep

ABUSE_SWEEP = Sweep(
    "abuse",
    "Every minute: carries out the abuse decisions' effects their own caller left pending",
    "propdesk: carries out pending abuse decisions' effects every minute",
    256,
)


def abuse_outbox_sweep(
    scope: Construct, config: StageConfig, data: Data, bus: events.IEventBus, functions: FunctionFactory
) -> OutboxSweepStack:
    sweep = OutboxSweepStack(scope, "AbuseOutboxSweep", config, data, bus, functions, ABUSE_SWEEP)
    # reads the outbox index and the flags; writes as a decision's effects do: the flag's outbox (FLAG#),
    # holds and failed accounts (ACCOUNT#), the waiting payouts it rejects (PAYOUT#)
    data.grant_writes_to(sweep.function, "FLAG#*", "ACCOUNT#*", "PAYOUT#*")
    data.grant_audit(sweep.function, append=True)
    sweep.function.add_to_role_policy(payout_approvals(sweep, config))
    return sweep
