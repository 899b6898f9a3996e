"""DynamoDB stream of the main table, filtered to new `EVENT#` items (a trading event: recalculate the
account's risk) and new `OVERRIDE#` items (staff overrode a breach: replay the account with its overrides).

A batch is recalculated account by account (`RiskService.on_events_recorded`): each account's new events
in one step, read from the records that carry them, with one read of the account and its snapshot and one
snapshot write per account per batch (an override record is a step of its own, in stream order). See
`docs/cost.md` for the requests this costs.

Partial batch responses (`propdesk.batches`): a record that cannot be read (a malformed image) is reported in
`batchItemFailures` alone; an account whose step fails (unknown, its program version missing, storage down)
reports its records from that step on; the other records are processed. An event the
engine refuses is not a failed record: the recalculation rejects it alone (kept with its field and reason in
the account's risk state) and goes on, so that one poison event never blocks the account's later events. The
handler never raises: the local cloud retries a raised batch forever, and on AWS the mapping's retry cap and
on-failure queue take over from the reported failures. See `propdesk.services.risk` for the semantics.
"""

from __future__ import annotations

import functools
import itertools
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
    from collections.abc import Callable, Sequence

    from propdesk.records import StoredEvent
    from propdesk.services.risk import RiskService


def _no_preload(account_ids: Sequence[str]) -> None:
    return None


@dataclass(frozen=True)
class Dependencies:
    service: RiskService
    read_image: Callable[[dict[str, Any]], StoredEvent]
    # reads the batch's accounts and snapshots together before the steps (propdesk.data.risk_batch_reads)
    preload: Callable[[Sequence[str]], None] = _no_preload


@functools.cache
def production_dependencies() -> Dependencies:
    settings = RiskRecalcSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.platform import EventBusAccountControl
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.deadlines import DeadlineRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.risk import BreachRepository
    from propdesk.data.risk_batch_reads import BatchReads
    from propdesk.services.risk import RiskService, RiskStores

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    clock = SystemClock()
    publisher = EventBridgePublisher(settings.event_bus_name)
    reads = BatchReads()
    stores = RiskStores(
        reads.accounts,
        CatalogueRepository(),
        TradingEventRepository(),
        reads.risk,
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
    return Dependencies(
        service=service, read_image=TradingEventRepository.from_stream_image, preload=reads.preload
    )


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return {"batchItemFailures": []}
    outcomes = _recalculate_by_account(records, deps)

    def report(record: DynamoDBRecord) -> None:
        failure = outcomes.get(id(record.raw_event))
        if failure is not None:
            raise failure

    return stream_batch(event, context, report, failures_metric="RiskRecordsFailed")


@dataclass(frozen=True)
class _Work:
    """One record's part of its account's step: a new event, or an override (`stored` None)."""

    record: dict[str, Any]
    stored: StoredEvent | None


def _recalculate_by_account(records: list[Any], deps: Dependencies) -> dict[int, Exception]:
    """Recalculate the batch account by account (each account's records in stream order, runs of its events
    in one step); the failure of each record that failed (by the identity of its dict), for the partial
    batch response: a record that cannot be read fails alone, an account whose step fails fails its records
    from that step on, and the other accounts are unaffected."""
    failures: dict[int, Exception] = {}
    by_account: dict[str, list[_Work]] = {}
    for record in records:
        try:
            work = _read(record, deps)
        except Exception as error:
            failures[id(record)] = error
            continue
        if work is not None:
            account_id = work.stored.account_id if work.stored else _override_account(record)
            by_account.setdefault(account_id, []).append(work)
    _preload(list(by_account), deps)
    for account_id, works in by_account.items():
        done = 0
        try:
            while done < len(works):
                if works[done].stored is None:
                    _reapply_overrides(account_id, deps)
                    done += 1
                    continue
                run = list(itertools.takewhile(lambda work: work.stored is not None, works[done:]))
                _recalculate([work.stored for work in run if work.stored is not None], deps)
                done += len(run)
        except Exception as error:
            logger.exception("the account's recalculation failed", extra={"account_id": account_id})
            for work in works[done:]:
                failures[id(work.record)] = error
    return failures


def _preload(account_ids: list[str], deps: Dependencies) -> None:
    """The accounts' reads made together; when that fails, each step reads its own as it would anyway."""
    try:
        deps.preload(account_ids)
    except Exception as error:
        logger.warning("batch preload failed: each account is read alone", extra={"error": str(error)})
        deps.preload([])


def _read(record: Any, deps: Dependencies) -> _Work | None:
    """The record's work: None for a record the mapping's filter would have dropped."""
    if not isinstance(record, dict):
        raise ValueError("a stream record that is not an object")
    sort_key = _inserted_sort_key(record)
    if sort_key.startswith(OVERRIDE_PREFIX):
        _override_account(record)  # raises for an override outside an account partition
        return _Work(record, None)
    if not sort_key.startswith(EVENT_PREFIX):
        return None  # the mapping's filter passes only these; the local cloud ignores filters
    stored = deps.read_image(record["dynamodb"]["NewImage"])
    _check_readable(stored.payload)
    return _Work(record, stored)


def _recalculate(events: list[StoredEvent], deps: Dependencies) -> None:
    report = deps.service.on_events_recorded(events)
    metrics.add_metric(name="RiskRecalculations", unit="Count", value=1)
    metrics.add_metric(name="RiskEventsRecalculated", unit="Count", value=len(events))
    if report.new_breaches:
        metrics.add_metric(name="Breaches", unit="Count", value=len(report.new_breaches))
    logger.debug("recalculated", extra={"account_id": report.account_id, "status": report.status})


def _check_readable(payload: dict[str, Any]) -> None:
    """A record whose event has no readable type or time is malformed (a failed record); an event whose
    figures the engine refuses is the recalculation's to reject, alone."""
    from propdesk.engine import EventError, parse_event  # here: the engine adds ~30 ms to the import

    try:
        parse_event(payload)
    except EventError as error:
        if error.field in ("", "type", "time"):
            raise


def _override_account(record: dict[str, Any]) -> str:
    partition = record["dynamodb"]["Keys"]["pk"]["S"]
    if not isinstance(partition, str) or not partition.startswith(ACCOUNT_PREFIX):
        raise ValueError(f"an override outside an account partition: {partition!r}")
    return partition.removeprefix(ACCOUNT_PREFIX)


def _reapply_overrides(account_id: str, deps: Dependencies) -> None:
    report = deps.service.on_override_recorded(account_id)
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
