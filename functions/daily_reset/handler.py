"""EventBridge schedule (every minute): the daily reset of every program's day boundary that passed since
the stored watermark; accounts are evaluated at the boundary instant (reset-time breaches). The schedule's
content is not used: the clock and the watermark decide what is due."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import DailyResetSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.services.daily_reset import DailyReset


@functools.cache
def production_dependencies() -> DailyReset:
    settings = DailyResetSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.platform import EventBusAccountControl
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.deadlines import DeadlineRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.feed_marks import FeedMarkRepository
    from propdesk.data.risk import BreachRepository, RiskStateRepository
    from propdesk.data.watermark import ResetWatermarkRepository
    from propdesk.services.daily_reset import DailyReset
    from propdesk.services.risk import RiskService, RiskStores

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    clock = SystemClock()
    publisher = EventBridgePublisher(settings.event_bus_name)
    accounts = AccountRepository()
    deadlines = DeadlineRepository()
    stores = RiskStores(
        accounts,
        CatalogueRepository(),
        TradingEventRepository(),
        RiskStateRepository(),
        BreachRepository(),
        deadlines,
    )
    risk = RiskService(stores, publisher, EventBusAccountControl(publisher, clock), clock)
    # accounts whose feed is stale wait for their backfill (docs/platforms.md, "Stale data")
    return DailyReset(accounts, ResetWatermarkRepository(), risk, clock, deadlines, FeedMarkRepository())


def process(event: dict[str, Any], context: LambdaContext, reset: DailyReset) -> dict[str, Any]:
    report = reset.run()
    metrics.add_metric(name="ResetAccountsAdvanced", unit="Count", value=report.accounts_advanced)
    if report.failed_accounts:  # each is retried by the next run; the watermark moves on for the others
        metrics.add_metric(name="ResetAccountsFailed", unit="Count", value=len(report.failed_accounts))
    if report.retries_pending:
        metrics.add_metric(name="ResetRetriesPending", unit="Count", value=report.retries_pending)
    if report.held_back:
        metrics.add_metric(name="ResetWatermarkHeldBack", unit="Count", value=1)
    summary = {
        "checked_from": report.checked_from.isoformat(),
        "checked_until": report.checked_until.isoformat(),
        "boundaries": [{"group": group, "at": at.isoformat()} for group, at in report.boundaries],
        "accounts_advanced": report.accounts_advanced,
        "deadlines_advanced": report.deadlines_advanced,
        "failed_deadlines": report.failed_deadlines,
        "breaches": report.breaches,
        "failed_accounts": report.failed_accounts,
        "retried": report.retried,
        "retries_pending": report.retries_pending,
        "deferred_stale": len(report.deferred_stale),
        "watermark_moved": report.watermark_moved,
        "held_back": report.held_back,
    }
    logger.info("daily reset", extra=summary)
    return summary


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
