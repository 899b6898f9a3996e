"""The abuse detectors' state in its own table (`propdesk.abuse.store.AbuseState`): key `key`, the item as
JSON in `data`, its version `v`, TTL `expires_at` (epoch seconds; TTL deletes late, so readers filter).

A session reads the event's mark and the keys the event is known to read first in one `BatchGetItem`
(strongly consistent; `prefetch`), any other key once (`GetItem`), and commits in one `TransactWriteItems`:
the event's mark `seen#{event_id}` (put only if absent) and every write of the session, each conditioned on
the version the session read (absent when it read nothing). So the event's writes happen all or none, once
per event, and never over another writer's change. `requests` counts the DynamoDB requests made (the cost
per trading event the benchmark reports).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.abuse.session import StateSession, StoredItem, Write
from propdesk.abuse.state import KeyedState
from propdesk.abuse.store import StateConflictError

MARK_PREFIX = "seen#"
MARK_SECONDS = 7 * 86400  # a redelivery comes within the stream's 24 h retention; a week is ample
MAX_WRITES = 99  # TransactWriteItems takes 100 actions: the mark and 99 writes
MAX_BATCH = 100  # BatchGetItem takes 100 keys
MAX_BATCH_RETRIES = 3


class DynamoAbuseState:
    def __init__(self, table_name: str, client: Callable[[], Any]) -> None:
        self._table = table_name
        self._client_factory = client
        self._client: Any = None
        self.requests = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def applied(self, event_id: str) -> bool:
        return self._read(MARK_PREFIX + event_id) is not None

    def session(self) -> KeyedState:
        return StateSession(self._read, self._read_many)

    def prefetch(self, session: KeyedState, event_id: str, keys: Sequence[str]) -> bool:
        if not isinstance(session, StateSession):
            raise TypeError("a session of this store is expected")
        mark = MARK_PREFIX + event_id
        session.prefetch([mark, *keys])
        return session.known(mark) is not None

    def commit(self, session: KeyedState, event_id: str, now: datetime) -> bool:
        if not isinstance(session, StateSession):
            raise TypeError("a session of this store is expected")
        writes = session.writes()
        if len(writes) > MAX_WRITES:
            raise ValueError(
                f"an event touched {len(writes)} state items; at most {MAX_WRITES} commit at once"
            )
        mark = {
            "Put": {
                "TableName": self._table,
                "Item": {
                    "key": {"S": MARK_PREFIX + event_id},
                    "expires_at": {"N": str(int(now.timestamp()) + MARK_SECONDS)},
                },
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": "key"},
            }
        }
        actions = [mark, *(self._action(write) for write in writes)]
        self.requests += 1
        try:
            self.client.transact_write_items(TransactItems=actions)
        except self.client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            codes = [reason.get("Code", "None") for reason in reasons]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise StateConflictError(",".join(codes)) from error
            raise
        return True

    def _read(self, key: str) -> StoredItem | None:
        self.requests += 1
        found = self.client.get_item(TableName=self._table, Key={"key": {"S": key}}, ConsistentRead=True)
        item = found.get("Item")
        return None if item is None else _stored(item)

    def _read_many(self, keys: Sequence[str]) -> dict[str, StoredItem | None]:
        """Every key in batches of `MAX_BATCH` (one request each, plus one per retry of unprocessed keys)."""
        found: dict[str, StoredItem | None] = dict.fromkeys(keys)
        pending = list(dict.fromkeys(keys))
        attempts = 0
        while pending:
            chunk, pending = pending[:MAX_BATCH], pending[MAX_BATCH:]
            self.requests += 1
            answer = self.client.batch_get_item(
                RequestItems={
                    self._table: {"Keys": [{"key": {"S": key}} for key in chunk], "ConsistentRead": True}
                }
            )
            for item in answer.get("Responses", {}).get(self._table, []):
                found[item["key"]["S"]] = _stored(item)
            unprocessed = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            if unprocessed:
                attempts += 1
                if attempts > MAX_BATCH_RETRIES:  # throttled hard: read the rest one by one
                    for key in (entry["key"]["S"] for entry in unprocessed):
                        found[key] = self._read(key)
                else:
                    time.sleep(min(0.05 * 2**attempts, 1.0))
                    pending.extend(entry["key"]["S"] for entry in unprocessed)
        return found

    def _action(self, write: Write) -> dict[str, Any]:
        condition, values = _condition(write)
        if write.value is None or write.expires_at is None:
            delete: dict[str, Any] = {"TableName": self._table, "Key": {"key": {"S": write.key}}}
            if condition:
                delete |= {"ConditionExpression": condition, "ExpressionAttributeNames": _names(condition)}
                if values:
                    delete["ExpressionAttributeValues"] = values
            return {"Delete": delete}
        version = (write.read_version or 0) + 1
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                "key": {"S": write.key},
                "data": {"S": json.dumps(write.value, separators=(",", ":"), default=_json_default)},
                "expires_at": {"N": str(int(write.expires_at))},
                "v": {"N": str(version)},
            },
        }
        if condition:
            put |= {"ConditionExpression": condition, "ExpressionAttributeNames": _names(condition)}
            if values:
                put["ExpressionAttributeValues"] = values
        return {"Put": put}


def _stored(item: dict[str, Any]) -> StoredItem:
    value = json.loads(item["data"]["S"]) if "data" in item else {}
    return StoredItem(value, float(item["expires_at"]["N"]), int(item.get("v", {"N": "0"})["N"]))  # float ok


def _condition(write: Write) -> tuple[str, dict[str, Any]]:
    if write.read_version is None:
        return "", {}
    if write.read_version == 0:
        return "attribute_not_exists(#k)", {}
    return "#v = :v", {":v": {"N": str(write.read_version)}}


def _names(condition: str) -> dict[str, str]:
    names = {}
    if "#k" in condition:
        names["#k"] = "key"
    if "#v" in condition:
        names["#v"] = "v"
    return names


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
