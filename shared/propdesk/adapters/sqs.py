"""Delaying a queue message's next delivery: a consumer that failed a message asks for it back after a
backoff instead of the queue's fixed visibility timeout."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from propdesk.adapters.aws import sqs_client

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_VISIBILITY_SECONDS = 12 * 60 * 60  # SQS's limit


class SqsMessageDelay:
    def __init__(self, queue_url: str, client: Callable[[], SQSClient] = sqs_client) -> None:
        self._queue_url = queue_url
        self._client = client

    def __call__(self, receipt_handle: str, seconds: int) -> None:
        """The message is delivered again `seconds` from now (it must be in flight, i.e. just received)."""
        self._client().change_message_visibility(
            QueueUrl=self._queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY_SECONDS)),
        )
