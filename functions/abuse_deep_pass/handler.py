"""Daily (EventBridge Scheduler, after the last trading-day boundary): the abuse detectors' deep passes over
the last 7 days of every active account's fills (`propdesk.abuse.deep_pass`), with the identity links the
stream stored; flags into the review queue as the stream's do (refreshed, not doubled), the copy-trading rings
it found written back to the stream's state. The run is idempotent: run twice, it finds the same flags and
writes nothing the second time.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import AbuseDeepPassSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.abuse.deep_pass import DeepPass
    from propdesk.ports import Clock


@dataclass(frozen=True)
class Dependencies:
    deep_pass: DeepPass
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AbuseDeepPassSettings.from_env(os.environ)
    from propdesk.abuse.deep_pass import DeepPass
    from propdesk.abuse.detection import FlagRecorder
    from propdesk.abuse.firm_settings import build_monitor, parse_settings
    from propdesk.abuse.store import CachedTraders
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.abuse_flags import AbuseFlagRepository
    from propdesk.data.abuse_state import DynamoAbuseState
    from propdesk.data.abuse_window import ActiveAccountsWindow
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.events import TradingEventRepository
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
    chosen = parse_settings(settings.abuse_thresholds, settings.abuse_enforcement)
    clock = SystemClock()
    accounts = AccountRepository()
    effects = enforcer(settings.event_bus_name, CachedTraders(accounts), clock, settings)
    recorder = FlagRecorder(AbuseFlagRepository(), effects, clock, lambda: uuid.uuid4().hex)
    deep_pass = DeepPass(
        ActiveAccountsWindow(accounts, TradingEventRepository()),
        recorder,
        lambda state: build_monitor(state, chosen),
        settings.abuse_deep_pass_days,
        DynamoAbuseState(settings.abuse_state_table_name, lambda: _client(settings)),
    )
    return Dependencies(deep_pass, clock)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    report = deps.deep_pass.run(deps.clock.now())
    metrics.add_metric(name="AbuseDeepPassEvents", unit="Count", value=report.events)
    metrics.add_metric(name="AbuseDeepPassFlags", unit="Count", value=report.flags)
    metrics.add_metric(name="AbuseDeepPassRingsWritten", unit="Count", value=report.rings_written)
    figures = {
        "events": report.events,
        "flags": report.flags,
        "linked_traders": report.linked_traders,
        "rings_written": report.rings_written,
        "conflicts": report.conflicts,
    }
    logger.info("abuse deep pass", extra=figures)
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        **figures,
        "skipped": report.skipped,
    }


def _client(settings: AbuseDeepPassSettings) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
