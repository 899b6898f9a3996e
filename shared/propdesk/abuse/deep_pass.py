"""The daily deep pass: the last days of trading events replayed through a fresh monitor (its own position
book and state in memory), then each detector's `deep_pass` over the window (busyness on both sides of an
opening, constant size ratios, hedges against the links known at the window's end, ...).

Flags go through the same `FlagRecorder` as the stream's: a flag the stream already raised is refreshed, not
doubled (flag ids name the subject), a decided one is reopened only when graver. The stream's detections of
the replay itself are dropped: the stream raised them already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from propdesk.abuse.detection import AbuseInput, FlagRecorder
from propdesk.abuse.inputs import Observed
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.state import KeyedState, MemoryState
from propdesk.records import StoredEvent


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


class DeepPass:
    def __init__(
        self,
        window: TradingWindow,
        recorder: FlagRecorder,
        monitor_of: Callable[[KeyedState], AbuseMonitor],
        days: int = 7,
    ) -> None:
        self._window = window
        self._recorder = recorder
        self._monitor_of = monitor_of
        self._days = days

    def run(self, end: datetime) -> DeepPassReport:
        start = end - timedelta(days=self._days)
        monitor = self._monitor_of(MemoryState())
        stored = sorted(self._window.events_between(start, end), key=lambda pair: (pair[0].time, pair[0].sk))
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
        return DeepPassReport(start, end, len(observed), len(found), skipped)
