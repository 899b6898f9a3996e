"""Recognizing a failed condition in pynamodb's errors."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

CONDITION_FAILED = "ConditionalCheckFailedException"


def condition_failed(error: PynamoDBException) -> bool:
    return error.cause_response_code == CONDITION_FAILED
