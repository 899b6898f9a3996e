"""Scheduled (EventBridge rule, daily): each active or failed account's access at its trading platform
against the access we want; a difference is corrected by re-issuing the command (`platform.*_requested`,
applied by platform_commands, audited), an account that cannot be checked raises `firm.alert`
(propdesk.platforms.drift). Returns the run's figures (also in the logs). A run that raises is retried by
Lambda, then parked in its dead-letter queue (alarmed)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PlatformDriftSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.platforms.drift import DriftCheck


@dataclass(frozen=True)
class Dependencies:
    check: DriftCheck


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PlatformDriftSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.platform_access import PlatformAccessRepository
    from propdesk.platforms.drift import DriftCheck
    from propdesk.wiring.platforms import production_registry

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    check = DriftCheck(
        PlatformAccessRepository(),
        AccountRepository(),
        production_registry(settings.platform_connections),
        EventBridgePublisher(settings.event_bus_name),
        SystemClock(),
    )
    return Dependencies(check)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    report = deps.check.run()
    unchecked = sum(len(ids) for ids in report.unchecked.values())
    metrics.add_metric(name="PlatformDriftCorrected", unit="Count", value=len(report.corrected))
    metrics.add_metric(name="PlatformDriftUnchecked", unit="Count", value=unchecked)
    summary = {
        "checked": report.checked,
        "in_step": report.in_step,
        "corrected": report.corrected,
        "pending": report.pending,
        "unchecked": {cause: len(ids) for cause, ids in report.unchecked.items()},
    }
    logger.info("platform drift check", extra=summary)
    return summary


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
