"""DynamoDB stream of the main table, filtered to `RISK` and new `BREACH#` items: keeps the leaderboards
(balance changes) and the audit log of automated enforcement (breaches) up to date.

Partial batch responses, and the handler never raises (see risk_recalc for why). Records of other items are
skipped: the mapping's filter passes only these two kinds, but the local cloud ignores filters.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import StreamProjectionsSettings
from propdesk.data import keys
from propdesk.observability import logger, metrics, observe
from propdesk.services.projections import BalanceChange

if TYPE_CHECKING:
    from propdesk.services.projections import Projections


@functools.cache
def production_dependencies() -> Projections:
    settings = StreamProjectionsSettings.from_env(os.environ)
    from propdesk.data.accounts import AccountRepository, TraderRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.leaderboards import LeaderboardRepository
    from propdesk.services.projections import Projections

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Projections(AccountRepository(), TraderRepository(), LeaderboardRepository(), AuditLog())


def project(record: dict[str, Any], projections: Projections) -> None:
    # Reading stream images needs pynamodb: loaded with the first record, not at cold start.
    from propdesk.data import stream_images as images

    sk, name = images.sort_key(record), record.get("eventName")
    change = record.get("dynamodb") or {}
    if sk == keys.RISK_SK and name in ("INSERT", "MODIFY"):
        account_id, balance, at = images.risk_balance(change["NewImage"])
        previous = images.risk_balance(change["OldImage"])[1] if "OldImage" in change else None
        boards = projections.on_balance_change(BalanceChange(account_id, previous, balance, at))
        if boards:
            metrics.add_metric(name="LeaderboardUpdates", unit="Count", value=boards)
    elif sk.startswith(keys.BREACH_PREFIX) and name == "INSERT":
        evidence, recorded_at = images.breach(change["NewImage"])
        projections.on_breach_recorded(evidence, recorded_at)


def process(event: dict[str, Any], context: LambdaContext, projections: Projections) -> dict[str, Any]:
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return {"batchItemFailures": []}

    def handle(record: DynamoDBRecord) -> None:
        project(record.raw_event, projections)

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    try:
        response = process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
    except Exception:
        logger.exception("the batch could not be processed; reporting every record as failed")
        return {"batchItemFailures": [{"itemIdentifier": _sequence_number(r)} for r in records]}
    return dict(response)


def _sequence_number(record: Any) -> str:
    try:
        return str(record["dynamodb"]["SequenceNumber"])
    except (KeyError, TypeError):
        return ""


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
