"""EventBridge schedule (every minute): the abuse flags whose outbox still holds a decision's effects written
over two minutes ago (the review API, the stream or the deep pass failed or died after storing the decision)
have them carried out, through the same code as the caller's (`propdesk.abuse.outbox.DecisionOutbox`), found
through the table's sparse outbox index (`propdesk.services.risk_outbox_sweep.OutboxSweep`, shared with the
risk outbox). The schedule's content is not used.

A flag whose effects fail again stays pending for the next run and is counted (`AbuseOutboxSettleFailed`);
effects pending over ten minutes are counted as overdue (`AbuseOutboxOverdue`); both are alarmed. The run
raises only when it cannot list the pending outboxes at all."""

from __future__ import annotations

import functools
import os
import uuid
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import AbuseOutboxSweepSettings
from propdesk.observability import observe

if TYPE_CHECKING:
    from propdesk.services.risk_outbox_sweep import OutboxSweep


@functools.cache
def production_dependencies() -> OutboxSweep:
    settings = AbuseOutboxSweepSettings.from_env(os.environ)
    from propdesk.abuse.outbox import DecisionOutbox
    from propdesk.abuse.store import CachedTraders
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.abuse_flags import AbuseFlagRepository
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.services.risk_outbox_sweep import OutboxSweep
    from propdesk.wiring.abuse_enforcement import enforcer

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name,
        )
    )
    clock = SystemClock()
    flags = AbuseFlagRepository()
    effects = enforcer(settings.event_bus_name, CachedTraders(AccountRepository()), clock, settings)
    return OutboxSweep(flags, DecisionOutbox(flags, effects, lambda: uuid.uuid4().hex), clock)


def process(event: dict[str, Any], context: LambdaContext, sweep: OutboxSweep) -> dict[str, Any]:
    from propdesk.services.risk_outbox_sweep import report_sweep

    metric_names = (
        "AbuseOutboxOldestPendingSeconds",
        "AbuseOutboxSettled",
        "AbuseOutboxSettleFailed",
        "AbuseOutboxOverdue",
    )
    return report_sweep(sweep.run(), "abuse outbox sweep", metric_names)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
