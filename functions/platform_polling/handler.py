"""Scheduled (EventBridge rules, every minute, one per polled platform; input `{"platform": "tradelocker"}`):
polls the platform's due accounts (`propdesk.services.platform_polling`: every minute near a loss limit or
while stale, otherwise once every `POLL_EVERY_MINUTES`), storing what the platform booked through ingestion
(and the account's working orders, as `order_placed` for abuse detection, where the adapter reads them) and
marking accounts stale while it cannot be read. Returns the tick's figures (also in the logs and
metrics); an account that fails is retried by the next tick, so a run raises only on a malformed event."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PlatformPollingSettings
from propdesk.observability import logger, metrics, observe
from propdesk.platforms.port import PLATFORMS

if TYPE_CHECKING:
    from propdesk.services.platform_polling import PlatformPolling


@functools.cache
def production_dependencies() -> PlatformPolling:
    settings = PlatformPollingSettings.from_env(os.environ)
    from propdesk.wiring.ingestion import platform_polling

    return platform_polling(settings)


def process(event: dict[str, Any], context: LambdaContext, polling: PlatformPolling) -> dict[str, Any]:
    platform = event.get("platform")
    if platform not in PLATFORMS:
        raise ValueError(f"the schedule names no platform of the port: {platform!r}")
    report = polling.poll(str(platform))
    metrics.add_metric(name="AccountsPolled", unit="Count", value=report.polled)
    metrics.add_metric(name="AccountsWithStaleData", unit="Count", value=len(report.stale))
    summary = {
        "platform": report.platform,
        "accounts": report.accounts,
        "polled": report.polled,
        "near_limit": report.near_limit,
        "backfilled": len(report.backfilled),
        "stale": len(report.stale),
        "rejected": len(report.rejected),
        "failed": len(report.failed),
    }
    logger.info("platform polled", extra=summary)
    return summary


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
