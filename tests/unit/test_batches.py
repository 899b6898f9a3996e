"""Partial batches: a poison record is reported alone, the others are handled, and nothing ever raises out
of a stream or queue function (the local cloud retries a raised batch forever)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk import batches
from propdesk.batches import queue_batch, stream_batch

CONTEXT = cast(LambdaContext, None)


def stream_record(sequence: str) -> dict[str, Any]:
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": sequence, "Keys": {}}}


def message(message_id: str, body: str = "{}") -> dict[str, Any]:
    return {"messageId": message_id, "body": body, "receiptHandle": "r", "attributes": {}}


def test_a_poison_stream_record_is_reported_alone_and_the_others_are_handled() -> None:
    handled: list[str] = []

    def handle(record: DynamoDBRecord) -> None:
        sequence = str(record.dynamodb.sequence_number)  # type: ignore[union-attr]
        if sequence == "2":
            raise ValueError("poison")
        handled.append(sequence)

    answer = stream_batch({"Records": [stream_record(s) for s in ("1", "2", "3")]}, CONTEXT, handle)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert handled == ["1", "3"]


def test_a_poison_message_is_reported_by_its_message_id() -> None:
    def handle(record: SQSRecord) -> None:
        if record.body != "{}":
            raise ValueError("unreadable")

    answer = queue_batch({"Records": [message("m1"), message("m2", "not json")]}, CONTEXT, handle)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}]}


def test_a_batch_that_cannot_be_processed_reports_every_record_instead_of_raising() -> None:
    def fail(record: Any) -> None:
        raise ValueError("nothing in this batch can be read")

    streams = stream_batch({"Records": [None, stream_record("7")]}, CONTEXT, fail)
    queues = queue_batch({"Records": ["not a message", message("m2")]}, CONTEXT, fail)

    assert streams == {"batchItemFailures": [{"itemIdentifier": ""}, {"itemIdentifier": "7"}]}
    assert queues == {"batchItemFailures": [{"itemIdentifier": ""}, {"itemIdentifier": "m2"}]}


def test_an_event_without_records_has_nothing_to_fail() -> None:
    for event in ({}, {"Records": []}, {"Records": "nonsense"}):
        assert stream_batch(event, CONTEXT, lambda record: None) == {"batchItemFailures": []}
        assert queue_batch(event, CONTEXT, lambda record: None) == {"batchItemFailures": []}


def test_a_failed_record_is_logged_at_warning_by_its_identifier_never_its_content(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(batches.logger, "warning", lambda message, extra: warnings.append((message, extra)))

    def handle(record: SQSRecord) -> None:
        raise ValueError("throttled")

    queue_batch({"Records": [message("m9", '{"email": "trader@example.com"}')]}, CONTEXT, handle)

    assert warnings == [
        ("a record failed; reported for redelivery", {"item": "m9", "error": "ValueError: throttled"})
    ]
