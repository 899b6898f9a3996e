"""Scheduled (EventBridge rule, daily): removes the buyer's e-mail and IP from the orders placed on the UTC
day that has just passed the firm's `PERSONAL_DATA_RETENTION_DAYS` (and the `RETENTION_CATCH_UP_DAYS` days
before it, so a missed run is made up for). One orders-by-day index query per day, no scans; idempotent.
Returns how many orders were stripped (no personal data in the answer or the logs)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PersonalDataRetentionSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.purchases.personal_data import PersonalDataRetention


@dataclass(frozen=True)
class Dependencies:
    job: PersonalDataRetention
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PersonalDataRetentionSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.personal_data import PersonalDataRepository
    from propdesk.purchases.personal_data import PersonalDataRetention, RetentionPolicy

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    policy = RetentionPolicy(settings.personal_data_retention_days, settings.retention_catch_up_days)
    return Dependencies(PersonalDataRetention(PersonalDataRepository(), policy), SystemClock())


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    run = deps.job.run(deps.clock.now())
    metrics.add_metric(name="OrdersStrippedOfPersonalData", unit="Count", value=run.stripped)
    summary = {"days": [day.isoformat() for day in run.days], "stripped": run.stripped}
    logger.info("personal data retention finished", extra=summary)
    return summary


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
