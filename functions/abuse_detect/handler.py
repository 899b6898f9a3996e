"""DynamoDB stream of the main table, filtered to what the abuse detectors read, each through them once
(`propdesk.abuse.detection`), with the position book and every detector's state in `AbuseStateTable`; flags
land in the staff review queue and hold the named accounts' payouts:
- new `EVENT#` items: openings and closings (with the fill price and, when the platform sent it, its feed's
  quote at the fill: latency arbitrage); new `PENDING#` items: pending orders the platform reported (stored
  apart from the risk engine's log); news straddling reads the high-impact releases of the programs the
  firm published (their `news` lists, reloaded every few minutes);
- new `SIGNAL#` items: identity signals (sign-in IP and device, card, payout destination, KYC identity, each
  a keyed hash: `propdesk.abuse.signals`) for the shared-identity graph;
- an account's `META` turning `failed` or `passed`: the outcome hedging's tell-tale term reads (the same
  status write `account.breached` (fail) and `account.passed` are published after).

Equity updates and clock events are skipped without touching the state (the detectors ignore them). Partial
batch responses, and the handler never raises (`propdesk.batches`): a record that cannot be read, of an
unknown account, or whose state kept conflicting is reported failed; the mapping retries it, then parks it in
the DLQ.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import stream_batch
from propdesk.config import AbuseDetectSettings
from propdesk.data.keys import EVENT_PREFIX, PENDING_PREFIX, SIGNAL_PREFIX
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from propdesk.abuse.detection import AbuseDetection, AbuseInput
    from propdesk.abuse.signals import CapturedSignal
    from propdesk.records import StoredEvent

    Outcome = tuple[str, str, str, datetime]

CALENDAR_TTL_SECONDS = 300.0  # a release the firm adds to a program reaches the detectors within minutes
DETECTED_TYPES = frozenset({"position_opened", "position_closed"})


@dataclass(frozen=True)
class Dependencies:
    detection: AbuseDetection
    read_image: Callable[[dict[str, Any]], StoredEvent]
    read_signal: Callable[[dict[str, Any]], CapturedSignal] = field(default=lambda image: _signal(image))
    read_outcome: Callable[[dict[str, Any]], Outcome | None] = field(default=lambda record: _outcome(record))
    read_order: Callable[[dict[str, Any]], StoredEvent] = field(default=lambda image: _order(image))


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AbuseDetectSettings.from_env(os.environ)
    from propdesk.abuse.detection import AbuseDetection
    from propdesk.abuse.feeds import RefreshingCalendar, releases_of
    from propdesk.abuse.firm_settings import build_monitor, parse_settings
    from propdesk.abuse.store import CachedTraders
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.abuse_calendar import published_program_documents
    from propdesk.data.abuse_flags import AbuseFlagRepository
    from propdesk.data.abuse_state import DynamoAbuseState
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
    calendar = RefreshingCalendar(
        lambda: releases_of(published_program_documents()), CALENDAR_TTL_SECONDS, time.monotonic
    )
    clock = SystemClock()
    traders = CachedTraders(AccountRepository())
    state = DynamoAbuseState(settings.abuse_state_table_name, lambda: _client(settings))
    detection = AbuseDetection(
        state,
        AbuseFlagRepository(),
        enforcer(settings.event_bus_name, traders, clock, settings),
        lambda session: build_monitor(session, chosen, calendar=calendar),
        traders,
        clock,
        lambda: uuid.uuid4().hex,
    )
    return Dependencies(detection, TradingEventRepository.from_stream_image)


def _client(settings: AbuseDetectSettings) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def detect(record: DynamoDBRecord) -> None:
        item = _abuse_input(record.raw_event, deps)
        if item is None:
            return
        report = deps.detection.on_event(item)
        if report.duplicate:
            metrics.add_metric(name="AbuseDuplicateEvents", unit="Count", value=1)
        if report.flags:
            metrics.add_metric(name="AbuseFlagsRaised", unit="Count", value=len(report.flags))
        if report.attempts > 1:
            metrics.add_metric(name="AbuseStateConflicts", unit="Count", value=report.attempts - 1)

    return stream_batch(event, context, detect, failures_metric="AbuseRecordsFailed")


def _abuse_input(raw: dict[str, Any], deps: Dependencies) -> AbuseInput | None:
    """What the record tells the detectors, or None (the mapping's filter passes only these records; the
    local cloud ignores filters)."""
    from propdesk.abuse.detection import AbuseInput

    inserted = _inserted_sort_key(raw)
    if inserted.startswith(EVENT_PREFIX):
        stored = deps.read_image(raw["dynamodb"]["NewImage"])
        return AbuseInput.from_stored(stored) if stored.type in DETECTED_TYPES else None
    if inserted.startswith(PENDING_PREFIX):
        return AbuseInput.from_stored(deps.read_order(raw["dynamodb"]["NewImage"]))
    if inserted.startswith(SIGNAL_PREFIX):
        signal = deps.read_signal(raw["dynamodb"]["NewImage"])
        return AbuseInput(signal.as_input(), signal.event_id, signal.account_id, signal.trader_id)
    outcome = deps.read_outcome(raw)
    if outcome is None:
        return None
    from propdesk.abuse.inputs import AccountOutcome

    account_id, trader_id, status, at = outcome
    event_id = f"outcome:{account_id}:{status}"  # an account fails or passes once
    result: Literal["failed", "passed"] = "failed" if status == "failed" else "passed"
    return AbuseInput(AccountOutcome(at, result, event_id), event_id, account_id, trader_id)


def _signal(image: dict[str, Any]) -> CapturedSignal:
    from propdesk.data.abuse_signals import SignalRepository

    return SignalRepository.from_stream_image(image)


def _order(image: dict[str, Any]) -> StoredEvent:
    from propdesk.data.abuse_orders import PendingOrderRepository

    return PendingOrderRepository.from_stream_image(image)


def _outcome(record: dict[str, Any]) -> Outcome | None:
    from propdesk.data.stream_images import account_outcome

    return account_outcome(record)


def _inserted_sort_key(record: dict[str, Any]) -> str:
    if record.get("eventName") != "INSERT":
        return ""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    sort_key = (keys.get("sk") or {}).get("S", "")
    return sort_key if isinstance(sort_key, str) else ""


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
