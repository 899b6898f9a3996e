"""DynamoDB stream of the main table, filtered to new `EVENT#` items (a trading event: recalculate the
account's risk) and new `OVERRIDE#` items (staff overrode a breach: replay the account with its overrides).

Partial batch responses (`propdesk.batches`): a record that cannot be read (a malformed image, an unknown
account or program version) is reported in `batchItemFailures` while the others are processed. An event the
engine refuses is not a failed record: the recalculation rejects it alone (kept with its field and reason in
the account's risk state) and goes on, so that one poison event never blocks the account's later events. The
handler never raises: the local cloud retries a raised batch forever, and on AWS the mapping's retry cap and
on-failure queue take over from the reported failures. See `propdesk.services.risk` for the semantics.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import stream_batch
from propdesk.config import RiskRecalcSettings
from propdesk.data.keys import ACCOUNT_PREFIX, EVENT_PREFIX, OVERRIDE_PREFIX
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from collections.abc import Callable

    from propdesk.records import StoredEvent
    from propdesk.services.risk import RiskService


@dataclass(frozen=True)
class Dependencies:
    service: RiskService
    read_image: Callable[[dict[str, Any]], StoredEvent]


@functools.cache
def production_dependencies() -> Dependencies:
    settings = RiskRecalcSettings.from_env(os.environ)
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

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    clock = SystemClock()
    publisher = EventBridgePublisher(settings.event_bus_name)
    stores = RiskStores(
        AccountRepository(),
        CatalogueRepository(),
        TradingEventRepository(),
        RiskStateRepository(),
        BreachRepository(),
        DeadlineRepository(),
    )
    service = RiskService(
        stores,
        publisher,
        EventBusAccountControl(publisher, clock),
        clock,
        warning_share=settings.warning_share,
    )
    return Dependencies(service=service, read_image=TradingEventRepository.from_stream_image)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    if not event.get("Records"):
        return {"batchItemFailures": []}

    def recalculate(record: DynamoDBRecord) -> None:
        sort_key = _inserted_sort_key(record.raw_event)
        if sort_key.startswith(OVERRIDE_PREFIX):
            _reapply_overrides(record.raw_event, deps)
            return
        if not sort_key.startswith(EVENT_PREFIX):
            return  # the mapping's filter passes only these; the local cloud ignores filters
        stored = deps.read_image(record.raw_event["dynamodb"]["NewImage"])
        _check_readable(stored.payload)
        report = deps.service.on_event_recorded(stored)
        metrics.add_metric(name="RiskRecalculations", unit="Count", value=1)
        if report.new_breaches:
            metrics.add_metric(name="Breaches", unit="Count", value=len(report.new_breaches))
        logger.debug("recalculated", extra={"account_id": report.account_id, "status": report.status})

    return stream_batch(event, context, recalculate, failures_metric="RiskRecordsFailed")


def _check_readable(payload: dict[str, Any]) -> None:
    """A record whose event has no readable type or time is malformed (a failed record); an event whose
    figures the engine refuses is the recalculation's to reject, alone."""
    from propdesk.engine import EventError, parse_event  # here: the engine adds ~30 ms to the import

    try:
        parse_event(payload)
    except EventError as error:
        if error.field in ("", "type", "time"):
            raise


def _reapply_overrides(record: dict[str, Any], deps: Dependencies) -> None:
    partition = record["dynamodb"]["Keys"]["pk"]["S"]
    if not isinstance(partition, str) or not partition.startswith(ACCOUNT_PREFIX):
        raise ValueError(f"an override outside an account partition: {partition!r}")
    report = deps.service.on_override_recorded(partition.removeprefix(ACCOUNT_PREFIX))
    if not report.duplicate:
        metrics.add_metric(name="OverrideReplays", unit="Count", value=1)
    logger.info(
        "breach override applied",
        extra={"account_id": report.account_id, "status": report.status, "duplicate": report.duplicate},
    )


def _inserted_sort_key(record: dict[str, Any]) -> str:
    """The new item's sort key ("" for anything but an INSERT)."""
    if record.get("eventName") != "INSERT":
        return ""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    sort_key = (keys.get("sk") or {}).get("S", "")
    return sort_key if isinstance(sort_key, str) else ""


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
