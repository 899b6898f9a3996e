"""Opaque pagination cursors: the query's last evaluated key, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pynamodb.pagination import ResultIterator

from propdesk.errors import InvalidCursorError
from propdesk.records import Page

Item = TypeVar("Item")
Record = TypeVar("Record")

MAX_PAGE_SIZE = 100


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, partition_attribute: str, partition_value: str
) -> dict[str, Any] | None:
    """The start key for the next page; refuses a cursor that belongs to another partition."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursorError("the cursor is not one this API handed out") from error
    if not isinstance(key, dict) or key.get(partition_attribute) != {"S": partition_value}:
        raise InvalidCursorError("the cursor is not one this API handed out")
    if not all(isinstance(value, dict) and set(value) == {"S"} for value in key.values()):
        raise InvalidCursorError("the cursor is not one this API handed out")
    return key


def to_page(results: ResultIterator[Item], convert: Callable[[Item], Record]) -> Page[Record]:
    items = [convert(item) for item in results]
    return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    return limit


def drain(pages: Iterable[Page[Record]]) -> list[Record]:
    return [item for page in pages for item in page.items]
