"""DynamoDB stream of the main table, filtered to new `EVENT#` items: each opening and closing goes through
the abuse detectors once (`propdesk.abuse.detection`), with the position book and every detector's state in
`AbuseStateTable`; flags land in the staff review queue and hold the named accounts' payouts.

Equity updates and clock events are skipped without touching the state (the detectors ignore them). Partial
batch responses, and the handler never raises (`propdesk.batches`): a record that cannot be read, of an
unknown account, or whose state kept conflicting is reported failed; the mapping retries it, then parks it in
the DLQ.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import stream_batch
from propdesk.config import AbuseDetectSettings
from propdesk.data.keys import EVENT_PREFIX
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from collections.abc import Callable

    from propdesk.abuse.detection import AbuseDetection
    from propdesk.records import StoredEvent

DETECTED_TYPES = frozenset({"position_opened", "position_closed", "order_placed"})


@dataclass(frozen=True)
class Dependencies:
    detection: AbuseDetection
    read_image: Callable[[dict[str, Any]], StoredEvent]


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AbuseDetectSettings.from_env(os.environ)
    from propdesk.abuse.detection import AbuseDetection
    from propdesk.abuse.enforcement import Enforcer
    from propdesk.abuse.firm_settings import build_monitor, parse_settings
    from propdesk.abuse.store import CachedTraders
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.platform import EventBusAccountControl
    from propdesk.data.abuse_flags import AbuseFlagRepository
    from propdesk.data.abuse_state import DynamoAbuseState
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.payout_holds import PayoutHoldRepository

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
    traders = CachedTraders(AccountRepository())
    control = EventBusAccountControl(EventBridgePublisher(settings.event_bus_name), clock)
    state = DynamoAbuseState(settings.abuse_state_table_name, lambda: _client(settings))
    detection = AbuseDetection(
        state,
        AbuseFlagRepository(),
        Enforcer(PayoutHoldRepository(), control, traders, clock.now),
        lambda session: build_monitor(session, chosen),
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
        if not _inserted_sort_key(record.raw_event).startswith(EVENT_PREFIX):
            return  # the mapping's filter passes only new events; the local cloud ignores filters
        stored = deps.read_image(record.raw_event["dynamodb"]["NewImage"])
        if stored.type not in DETECTED_TYPES:
            return
        from propdesk.abuse.detection import AbuseInput

        report = deps.detection.on_event(AbuseInput.from_stored(stored))
        if report.duplicate:
            metrics.add_metric(name="AbuseDuplicateEvents", unit="Count", value=1)
        if report.flags:
            metrics.add_metric(name="AbuseFlagsRaised", unit="Count", value=len(report.flags))
        if report.attempts > 1:
            metrics.add_metric(name="AbuseStateConflicts", unit="Count", value=report.attempts - 1)

    return stream_batch(event, context, detect, failures_metric="AbuseRecordsFailed")


def _inserted_sort_key(record: dict[str, Any]) -> str:
    if record.get("eventName") != "INSERT":
        return ""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    sort_key = (keys.get("sk") or {}).get("S", "")
    return sort_key if isinstance(sort_key, str) else ""


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
