"""EventBridge schedule (every minute): the risk snapshots whose outbox still holds effects committed to over
two minutes ago (their step failed or died, and the stream record may have gone to the on-failure queue) have
them performed, through the same code as the account's next step (`propdesk.services.risk_outbox_sweep`).
The schedule's content is not used.

An account whose effects fail again stays pending for the next run and is counted (`RiskOutboxSettleFailed`);
effects pending over ten minutes are counted as overdue (`RiskOutboxOverdue`); both are alarmed. The run
raises only when it cannot list the pending outboxes at all."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import RiskOutboxSweepSettings
from propdesk.observability import observe

if TYPE_CHECKING:
    from propdesk.services.risk_outbox_sweep import OutboxSweep


@functools.cache
def production_dependencies() -> OutboxSweep:
    settings = RiskOutboxSweepSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.platform import EventBusAccountControl
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.deadlines import DeadlineRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.risk import BreachRepository, RiskStateRepository
    from propdesk.services.risk import RiskService, RiskStores
    from propdesk.services.risk_outbox_sweep import OutboxSweep

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    clock = SystemClock()
    publisher = EventBridgePublisher(settings.event_bus_name)
    risk = RiskStateRepository()
    stores = RiskStores(
        AccountRepository(),
        CatalogueRepository(),
        TradingEventRepository(),
        risk,
        BreachRepository(),
        DeadlineRepository(),
    )
    service = RiskService(stores, publisher, EventBusAccountControl(publisher, clock), clock)
    return OutboxSweep(risk, service, clock)


def process(event: dict[str, Any], context: LambdaContext, sweep: OutboxSweep) -> dict[str, Any]:
    from propdesk.services.risk_outbox_sweep import report_sweep

    metric_names = (
        "RiskOutboxOldestPendingSeconds",
        "RiskOutboxSettled",
        "RiskOutboxSettleFailed",
        "RiskOutboxOverdue",
    )
    return report_sweep(sweep.run(), "risk outbox sweep", metric_names)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
