"""The daily deep pass: the last days of trading events replayed through a fresh monitor (its own position
book and memory), then each detector's `deep_pass` over the window (busyness on both sides of an opening,
constant size ratios, hedges against the links known at the window's end, ...).

Flags go through the same `FlagRecorder` as the stream's: a flag the stream already raised is refreshed, not
doubled (flag ids name the subject), a decided one is reopened only when graver. The stream's detections of
the replay itself are dropped: the stream raised them already.

With the stream's state (`AbuseState`, the detectors' table) the pass also reads and writes what the two
share (`DeepState`):
- *Read*: the identity links the stream recorded from the stored signals (sign-in IP, device, card, payout
  destination, KYC identity: `link#trader#{trader}`, with the fan-outs the whole population showed), for
  every trader of the window, in batches of 100 keys; so hedging's deep pass sees two traders linked by a
  card bought a month ago, not only links formed inside the window. And the copy-trading rings the stream
  keeps (`copy#ring-of#{account}`, `copy#ring#{id}`), read when a pair counts, so a ring found here keeps
  the stream's ring id (one flag, not a second under another id).
- *Written back*: the rings it found or grew (the ring and each member's `copy#ring-of`), so the stream's
  next match joins the ring instead of starting another; the stream's figures of the pairs it already has
  are kept (they count over its whole memory, the replay over the window). One transaction per ring, each
  write conditioned on the version read (a ring the stream changed meanwhile is left to the stream:
  `conflicts`); a ring unchanged is not written, so a second run writes nothing. Everything else of the
  replay (position book, buckets, pairs) stays in memory: the stream's own items are fresher than a
  replay's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from propdesk.abuse.detection import AbuseInput, FlagRecorder
from propdesk.abuse.inputs import Observed
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.session import StateSession, Write
from propdesk.abuse.state import Item, KeyedState, MemoryState
from propdesk.abuse.store import AbuseState, StateConflictError
from propdesk.records import StoredEvent

LINKS = "link#trader#"
RINGS = "copy#ring#"
RING_OF = "copy#ring-of#"
SHARED = (LINKS, RINGS, RING_OF)  # read from the stream's state
WRITTEN_BACK = (RINGS, RING_OF)  # written back to it
MAX_WRITES = 98  # a transaction: the run's mark and up to 99 writes; one spare


class TradingWindow(Protocol):
    def events_between(self, start: datetime, end: datetime) -> Iterable[tuple[StoredEvent, str]]:
        """Every stored opening and closing in [start, end] with the account's trader (any order)."""
        ...


@dataclass(frozen=True, slots=True)
class DeepPassReport:
    start: datetime
    end: datetime
    events: int
    flags: int
    skipped: int
    linked_traders: int = 0  # traders of the window with identity links stored by the stream
    rings_written: int = 0  # rings written back (transactions committed)
    conflicts: int = 0  # rings the stream changed meanwhile (left to the stream)


class DeepState:
    """`KeyedState` for the replay: keys under `shared` prefixes go to the stream's state (a session: read
    once, writes buffered until `DeepPass` commits them), every other key to memory."""

    def __init__(self, memory: KeyedState, shared: KeyedState, prefixes: Sequence[str] = SHARED) -> None:
        self._memory = memory
        self._shared = shared
        self._prefixes = tuple(prefixes)

    def _of(self, key: str) -> KeyedState:
        return self._shared if key.startswith(self._prefixes) else self._memory

    def get(self, key: str, now: datetime) -> Item | None:
        return self._of(key).get(key, now)

    def put(self, key: str, value: Item, expires_at: datetime) -> None:
        self._of(key).put(key, value, expires_at)

    def delete(self, key: str) -> None:
        self._of(key).delete(key)


class DeepPass:
    def __init__(
        self,
        window: TradingWindow,
        recorder: FlagRecorder,
        monitor_of: Callable[[KeyedState], AbuseMonitor],
        days: int = 7,
        shared: AbuseState | None = None,
    ) -> None:
        """`shared`: the stream's state (links read, rings read and written back); None: memory only."""
        self._window = window
        self._recorder = recorder
        self._monitor_of = monitor_of
        self._days = days
        self._shared = shared

    def run(self, end: datetime) -> DeepPassReport:
        start = end - timedelta(days=self._days)
        stored = sorted(self._window.events_between(start, end), key=lambda pair: (pair[0].time, pair[0].sk))
        run_id = f"deep:{end.isoformat()}"
        session: KeyedState | None = None
        linked = 0
        state: KeyedState = MemoryState()
        if self._shared is not None:
            session = self._shared.session()
            traders = sorted({trader for _, trader in stored})
            self._shared.prefetch(session, run_id, [LINKS + trader for trader in traders])
            linked = sum(1 for trader in traders if session.get(LINKS + trader, end) is not None)
            state = DeepState(state, session)
        monitor = self._monitor_of(state)
        observed: list[Observed] = []
        skipped = 0
        for event, trader in stored:
            try:
                item = AbuseInput.from_stored(event)
            except ValueError:
                skipped += 1  # an event the engine refuses: the stream reported it already
                continue
            monitor.observe(item.event, item.account_id, trader, item.price, item.quote)
            if monitor.last is not None:
                observed.append(monitor.last)
        found = monitor.deep_pass(observed)
        for flag in found:
            self._recorder.record(flag, monitor)
        written = conflicts = 0
        if self._shared is not None and isinstance(session, StateSession):
            written, conflicts = self._write_back(session, run_id, end)
        return DeepPassReport(start, end, len(observed), len(found), skipped, linked, written, conflicts)

    def _write_back(self, session: StateSession, run_id: str, now: datetime) -> tuple[int, int]:
        """Each ring's changed items in a transaction of its own (a session holding only them)."""
        assert self._shared is not None
        writes = []
        for write in session.changed(WRITTEN_BACK):
            if write.key.startswith(RINGS) and write.value is not None:
                known = session.known(write.key)
                value = stream_first(write.value, None if known is None else known.value)
                if value is None:
                    continue
                write = replace(write, value=value)
            writes.append(write)
        written = conflicts = 0
        for number, group in enumerate(ring_groups(writes)):
            for part, chunk in enumerate(_chunks(group, MAX_WRITES)):
                try:
                    if self._shared.commit(session.only(chunk), f"{run_id}:{number}.{part}", now):
                        written += 1
                except StateConflictError:
                    conflicts += 1
        return written, conflicts


def stream_first(found: Item, stored: Item | None) -> Item | None:
    """The ring to write: the pass's members and new pairs, the stream's figures for the pairs it has (they
    count over the stream's whole memory, the replay over the window only); None when that adds nothing."""
    if stored is None:
        return found
    merged = {**found, "e": {**found.get("e", {}), **stored.get("e", {})}}
    return None if merged == stored else merged


def ring_groups(writes: Sequence[Write]) -> list[list[Write]]:
    """The writes by ring: the ring's item, its members' `ring-of` items and the rings it absorbed (deleted),
    in key order (a ring's group is committed whole)."""
    owner: dict[str, str] = {}  # an absorbed ring's id -> the ring that absorbed it
    for write in writes:
        if write.key.startswith(RINGS) and write.value is not None:
            for old in write.value.get("sup", []):
                owner[str(old)] = write.key.removeprefix(RINGS)
    groups: dict[str, list[Write]] = {}
    for write in sorted(writes, key=lambda w: w.key):
        if write.key.startswith(RING_OF):
            ring = str((write.value or {}).get("r", write.key))
        else:
            ring_id = write.key.removeprefix(RINGS)
            ring = owner.get(ring_id, ring_id) if write.value is None else ring_id
        groups.setdefault(ring, []).append(write)
    return [groups[ring] for ring in sorted(groups)]


def _chunks(writes: list[Write], size: int) -> list[list[Write]]:
    return [writes[first : first + size] for first in range(0, len(writes), size)]
