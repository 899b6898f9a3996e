"""Scheduled (EventBridge rule, daily): compares each payment provider's payments of the last period with
the orders and reports every mismatch (paid but not provisioned, paid but never recorded, provisioned
without a payment, amounts that differ, refunds not recorded, payments matching no order) as one
`firm.alert`; returns the report (also in the logs)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ReconciliationSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.purchases.reconcile_job import ReconciliationJob


@dataclass(frozen=True)
class Dependencies:
    job: ReconciliationJob
    clock: Clock
    period: timedelta


@functools.cache
def production_dependencies() -> Dependencies:
    settings = ReconciliationSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.orders import OrderRepository
    from propdesk.purchases.reconcile_job import ReconciliationJob
    from propdesk.wiring import purchases as production

    production.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    job = ReconciliationJob(
        OrderRepository(),
        production.payment_providers(settings, production.secrets()),
        EventBridgePublisher(settings.event_bus_name),
        grace=timedelta(minutes=settings.grace_minutes),
    )
    return Dependencies(job, SystemClock(), timedelta(hours=settings.period_hours))


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    report = deps.job.run(deps.clock.now(), deps.period)
    metrics.add_metric(name="ReconciliationMismatches", unit="Count", value=len(report.mismatches))
    summary = {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "payments": report.payments,
        "orders": report.orders,
        "unavailable": list(report.unavailable),
        "mismatches": [
            {"kind": m.kind, "order_id": m.order_id, "reference": m.reference, "detail": m.detail}
            for m in report.mismatches
        ],
    }
    logger.info(
        "reconciliation finished", extra={"mismatches": len(report.mismatches), "payments": report.payments}
    )
    return summary


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
