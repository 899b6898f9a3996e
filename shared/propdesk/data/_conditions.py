"""Recognizing a failed condition in pynamodb's errors, and the put that only creates."""

from __future__ import annotations

from pynamodb.exceptions import PutError, PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

CONDITION_FAILED = "ConditionalCheckFailedException"


def condition_failed(error: PynamoDBException) -> bool:
    return error.cause_response_code == CONDITION_FAILED


def saved_if_new(item: Model, absent: Condition) -> bool:
    """Put `item` on the condition that it is not there yet (`absent`): False when it is (a duplicate, left
    as it was); any other error raises."""
    try:
        item.save(condition=absent)
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True
