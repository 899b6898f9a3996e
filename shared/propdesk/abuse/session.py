"""A per-event session over the detectors' state: reads through once, buffers writes, remembers versions.

`AbuseState` implementations (DynamoDB, and the in-memory double) hand out sessions and commit them: the
session knows, for every key it writes, the version it read (0: the item was absent), so the commit can
write only where the item is still as read. Reads of a key come from the store once per session, then from
the session (its own writes included); values are copies, so a detector that changes a value without
`put` changes nothing.

`prefetch(keys)` reads, in one request of the store (`BatchGetItem`), the keys an event is known to read
first (`AbuseMonitor.first_reads`: they follow from the event alone); the detectors' later `get`s of them
cost nothing, and only keys found in items (a pair, a ring, a linked trader) are read one by one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from propdesk.abuse.state import Item


@dataclass(frozen=True, slots=True)
class StoredItem:
    value: Item
    expires_at: float  # epoch seconds
    version: int


@dataclass(frozen=True, slots=True)
class Write:
    key: str
    value: Item | None  # None: delete
    expires_at: float | None  # float ok: a detector statistic or epoch s, never money
    read_version: int | None  # None: written without being read (no condition)


Reader = Callable[[str], StoredItem | None]
BatchReader = Callable[[Sequence[str]], Mapping[str, StoredItem | None]]


class StateSession:
    def __init__(self, read: Reader, read_many: BatchReader | None = None) -> None:
        self._read = read
        self._read_many = read_many
        self._seen: dict[str, StoredItem | None] = {}
        self._writes: dict[str, tuple[Item | None, float | None]] = {}
        self.reads = 0
        self.batches = 0

    def prefetch(self, keys: Sequence[str]) -> None:
        """Read the keys not read yet in one batch (nothing without a batch reader: reads stay lazy)."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._seen and key not in self._writes]
        if not wanted or self._read_many is None:
            return
        self.batches += 1
        found = self._read_many(wanted)
        for key in wanted:
            self._seen[key] = found.get(key)

    def known(self, key: str) -> StoredItem | None:
        """What the session read of `key` (prefetched or read), None if absent or never read."""
        return self._seen.get(key)

    def get(self, key: str, now: datetime) -> Item | None:
        moment = now.timestamp()
        if key in self._writes:
            value, expires = self._writes[key]
            if value is None or expires is None or expires <= moment:
                return None
            return _copy(value)
        if key not in self._seen:
            self.reads += 1
            self._seen[key] = self._read(key)
        found = self._seen[key]
        if found is None or found.expires_at <= moment:
            return None
        return _copy(found.value)

    def put(self, key: str, value: Item, expires_at: datetime) -> None:
        self._writes[key] = (_copy(value), expires_at.timestamp())

    def delete(self, key: str) -> None:
        self._writes[key] = (None, None)

    def writes(self) -> list[Write]:
        out = []
        for key, (value, expires) in self._writes.items():
            if key in self._seen:
                found = self._seen[key]
                read_version: int | None = 0 if found is None else found.version
            else:
                read_version = None
            out.append(Write(key, value, expires, read_version))
        return out

    def changed(self, prefixes: tuple[str, ...]) -> list[Write]:
        """The writes under `prefixes` that change the stored item (a value equal to the one read, or a
        delete of an item that was absent, is none)."""
        out = []
        for write in self.writes():
            if not write.key.startswith(prefixes):
                continue
            if write.key in self._seen:
                found = self._seen[write.key]
                before = None if found is None else found.value
                if before == write.value:
                    continue
            out.append(write)
        return out

    def only(self, writes: Sequence[Write]) -> StateSession:
        """A session holding only `writes` (as given, with what was read of their keys), to commit apart."""
        part = StateSession(self._read, self._read_many)
        for write in writes:
            if write.key in self._seen:
                part._seen[write.key] = self._seen[write.key]
            part._writes[write.key] = (write.value, write.expires_at)
        return part


def _copy(value: Item) -> Item:
    copied: Item = json.loads(json.dumps(value))
    return copied
