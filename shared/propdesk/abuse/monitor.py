"""The detectors together: the position book builds each event's context once, every detector sees it.

    monitor = AbuseMonitor(book, [CopyTradingDetector(state), ...])
    flags = monitor.observe(event, account_id, trader_id, price)     # the stream, event by event
    flags = monitor.deep_pass(window)                                # the daily pass over Observed events
    outcome = monitor.outcome(flag)                                  # what the firm's enforcement says

`observe` also answers the `Observed` it built (`last`), for the caller to keep as the deep pass's window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from propdesk.abuse.book import PositionBook
from propdesk.abuse.decisions import Outcome, on_detection
from propdesk.abuse.detector import Detector
from propdesk.abuse.feeds import Quote
from propdesk.abuse.flags import DetectorName, Flag
from propdesk.abuse.inputs import QUIET_EVENTS, AbuseEvent, Context, Observed


class AbuseMonitor:
    def __init__(self, book: PositionBook, detectors: Sequence[Detector]) -> None:
        self._book = book
        self.detectors: dict[DetectorName, Detector] = {detector.name: detector for detector in detectors}
        self.last: Observed | None = None

    def observe(
        self,
        event: AbuseEvent,
        account_id: str,
        trader_id: str,
        price: Decimal | None = None,
        quote: Quote | None = None,
    ) -> list[Flag]:
        if isinstance(event, QUIET_EVENTS):
            self.last = Observed(event, Context(account_id, trader_id, price))
            return []
        context = self._book.context(event, account_id, trader_id, price)
        if quote is not None:
            context = replace(context, quote=quote)
        self.last = Observed(event, context)
        flags: list[Flag] = []
        for detector in self.detectors.values():
            flags.extend(detector.observe(event, context))
        return flags

    def first_reads(self, event: AbuseEvent, account_id: str, trader_id: str) -> list[str]:
        """The state keys `observe` will read first for the event, known from the event alone (the book's
        and each detector's that says), for one batched read; a detector that does not say reads lazily."""
        if isinstance(event, QUIET_EVENTS):
            return []
        keys = self._book.first_reads(event, account_id)
        for detector in self.detectors.values():
            planned = getattr(detector, "first_reads", None)
            if planned is not None:
                keys.extend(planned(event, account_id, trader_id))
        return keys

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        flags: list[Flag] = []
        for detector in self.detectors.values():
            flags.extend(detector.deep_pass(window))
        return flags

    def outcome(self, flag: Flag) -> Outcome:
        return on_detection(flag, self.detectors[flag.detector].enforcement)
