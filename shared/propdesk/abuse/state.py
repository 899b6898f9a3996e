"""The detectors' memory: small items under string keys, each with an expiry in event time.

Every detector keeps all it needs in items keyed by account, pair, symbol and time bucket, reads them by key
and never scans. An item is a JSON-safe dict (strings, numbers, lists, dicts; amounts as strings) so that a
DynamoDB item per key with a TTL attribute can hold it (`docs/abuse.md`, "Wiring"). Items past their expiry
read as absent, as DynamoDB TTL deletes late and readers must filter anyway.

A detector changes an item only by `put`: the value `get` returned is never relied on to be shared with the
store (`MemoryState(copy_values=True)` hands out copies to prove it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

Item = dict[str, Any]
HOUR = 3600


class KeyedState(Protocol):
    def get(self, key: str, now: datetime) -> Item | None:
        """The item under `key`, or None when there is none or it expired at or before `now`."""
        ...

    def put(self, key: str, value: Item, expires_at: datetime) -> None:
        """Store `value` under `key` until `expires_at` (replacing what was there)."""
        ...

    def delete(self, key: str) -> None: ...


class MemoryState:
    """`KeyedState` in memory, counting its operations (each get is one read, each put one write, each delete
    one delete: what a DynamoDB table would be asked). Expired items are dropped as event time passes them,
    free of charge (DynamoDB TTL deletes cost nothing), so the store holds only live items.

    Used by the daily deep pass (a fresh store per pass), by the benchmark and by tests.
    """

    def __init__(self, *, copy_values: bool = False) -> None:
        self._items: dict[str, tuple[Item, float]] = {}
        self._expiring: dict[int, set[str]] = {}
        self._swept_hour: int | None = None
        self._copy = copy_values
        self.reads = 0
        self.writes = 0
        self.deletes = 0

    @property
    def operations(self) -> int:
        return self.reads + self.writes + self.deletes

    def get(self, key: str, now: datetime) -> Item | None:
        self.reads += 1
        moment = now.timestamp()
        self._sweep(moment)
        found = self._items.get(key)
        if found is None or found[1] <= moment:
            return None
        return _copy(found[0]) if self._copy else found[0]

    def put(self, key: str, value: Item, expires_at: datetime) -> None:
        self.writes += 1
        expiry = expires_at.timestamp()
        previous = self._items.get(key)
        if previous is not None and int(previous[1] // HOUR) != int(expiry // HOUR):
            self._expiring.get(int(previous[1] // HOUR), set()).discard(key)
        self._items[key] = (_copy(value) if self._copy else value, expiry)
        self._expiring.setdefault(int(expiry // HOUR), set()).add(key)

    def delete(self, key: str) -> None:
        self.deletes += 1
        previous = self._items.pop(key, None)
        if previous is not None:
            self._expiring.get(int(previous[1] // HOUR), set()).discard(key)

    def advance(self, now: datetime) -> None:
        """Drop what expired before `now` (reads do this too)."""
        self._sweep(now.timestamp())

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        return list(self._items)

    def largest_item_bytes(self) -> int:
        """The size of the largest item as JSON (DynamoDB's limit is 400 KB)."""
        return max((len(json.dumps(value)) for value, _ in self._items.values()), default=0)

    def _sweep(self, moment: float) -> None:  # float ok: epoch seconds
        hour = int(moment // HOUR)
        if self._swept_hour is None:
            self._swept_hour = hour
            return
        if hour <= self._swept_hour:
            return
        for past in [h for h in self._expiring if h < hour]:
            for key in self._expiring.pop(past):
                found = self._items.get(key)
                if found is not None and found[1] <= moment:
                    del self._items[key]
                elif found is not None:
                    self._expiring.setdefault(int(found[1] // HOUR), set()).add(key)
        self._swept_hour = hour


def expiry(moment: float, seconds: float) -> datetime:
    """The expiry `seconds` after the epoch instant `moment`."""
    return datetime.fromtimestamp(moment + seconds, UTC)


def day_of(moment: float) -> int:  # float ok: epoch seconds
    """The UTC day number of an epoch instant (days since 1970-01-01)."""
    return int(moment // 86400)


def recent_days(rows: list[list[Any]], today: int, days: int) -> list[list[Any]]:
    """The per-day rows (first element: the day number) of the last `days` days, today included."""
    return [row for row in rows if row[0] > today - days]


def _copy(value: Item) -> Item:
    copied: Item = json.loads(json.dumps(value))
    return copied
