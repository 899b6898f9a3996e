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

from aws_cdk import aws_events as events
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.outbox_sweep import OutboxSweepStack, Sweep

RISK_SWEEP = Sweep(
    "risk",
    "Every minute: performs the risk outbox effects their own recalculation left pending",
    "propdesk: performs pending risk effects every minute (a failed account is disabled)",
    512,
)


def risk_outbox_sweep(
    scope: Construct, config: StageConfig, data: Data, bus: events.IEventBus, functions: FunctionFactory
) -> OutboxSweepStack:
    sweep = OutboxSweepStack(scope, "RiskOutboxSweep", config, data, bus, functions, RISK_SWEEP)
    # reads the outbox index and the snapshots; writes as the risk engine does, in the account's partition
    # only: the outbox's clear, breach evidence, the status, the deadline copy; publishes account.breached /
    # passed / warning and the platform commands
    data.grant_writes_to(sweep.function, "ACCOUNT#*")
    return sweep
