"""Partial-batch processing for every stream and queue function: each record is handled on its own, and the
function answers `{"batchItemFailures": [...]}` naming only the records that failed, so the others are not
delivered again (Powertools' `BatchProcessor` with `process_partial_response`).

The answer never raises: the local cloud retries a raised batch forever, and on AWS a raise would redeliver
every record. If the batch itself cannot be processed (not only one record), every record is reported
failed, and the mapping's retry cap and on-failure destination (streams) or the queue's redrive policy
(SQS) take over. An event without records answers an empty list of failures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from propdesk.observability import logger, metrics

PartialBatchResponse = dict[str, Any]


def stream_batch(
    event: dict[str, Any],
    context: LambdaContext,
    handle: Callable[[DynamoDBRecord], None],
    failures_metric: str | None = None,
) -> PartialBatchResponse:
    """Handle each DynamoDB stream record of `event`; report the failed ones by sequence number."""
    stream = EventType.DynamoDBStreams
    return _partial_batch(event, context, handle, stream, _sequence_number, failures_metric)


def queue_batch(
    event: dict[str, Any],
    context: LambdaContext,
    handle: Callable[[SQSRecord], None],
    failures_metric: str | None = None,
) -> PartialBatchResponse:
    """Handle each SQS message of `event`; report the failed ones by message id."""
    return _partial_batch(event, context, handle, EventType.SQS, _message_id, failures_metric)


def _partial_batch(
    event: dict[str, Any],
    context: LambdaContext,
    handle: Callable[[Any], None],
    event_type: EventType,
    identifier: Callable[[Any], str],
    failures_metric: str | None,
) -> PartialBatchResponse:
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return {"batchItemFailures": []}
    processor = BatchProcessor(event_type=event_type, raise_on_entire_batch_failure=False)
    try:
        response = process_partial_response(
            event=event, record_handler=_logged(handle, identifier), processor=processor, context=context
        )
    except Exception:
        kind = "message" if event_type is EventType.SQS else "record"
        logger.exception(f"the batch could not be processed; reporting every {kind} as failed")
        return {"batchItemFailures": [{"itemIdentifier": identifier(record)} for record in records]}
    failures = len(response.get("batchItemFailures", []))
    if failures and failures_metric:
        metrics.add_metric(name=failures_metric, unit="Count", value=failures)
    return dict(response)


def _logged(handle: Callable[[Any], None], identifier: Callable[[Any], str]) -> Callable[[Any], None]:
    """`handle`, logging a record's failure at warning (Powertools logs it at debug only): its identifier and
    the error, never the record's content (it may hold personal data)."""

    def handled(record: Any) -> None:
        try:
            handle(record)
        except Exception as error:
            logger.warning(
                "a record failed; reported for redelivery",
                extra={
                    "item": identifier(getattr(record, "raw_event", record)),
                    "error": f"{type(error).__name__}: {error}",
                },
            )
            raise

    return handled


def _sequence_number(record: Any) -> str:
    try:
        return str(record["dynamodb"]["SequenceNumber"])
    except (KeyError, TypeError):
        return ""


def _message_id(record: Any) -> str:
    try:
        return str(record.get("messageId", ""))
    except AttributeError:
        return ""
