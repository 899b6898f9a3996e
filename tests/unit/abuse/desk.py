"""A trading desk for abuse tests: events by name, at seconds after a fixed start, through the position book
and the detectors under test. Tests give the detectors states in copy mode (a detector that forgot to `put`
a change would lose it there)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.abuse.book import PositionBook
from propdesk.abuse.detector import Detector
from propdesk.abuse.feeds import Quote
from propdesk.abuse.flags import Flag
from propdesk.abuse.inputs import (
    AbuseEvent,
    AccountOutcome,
    IdentitySignal,
    Network,
    Observed,
    OrderPlaced,
    SignalKind,
)
from propdesk.abuse.state import MemoryState
from propdesk.engine.events import PositionClosed, PositionOpened

MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)
DAY = 86400.0


def at(seconds: float) -> datetime:
    return MONDAY + timedelta(seconds=seconds)


class Desk:
    def __init__(self, *detectors: Detector) -> None:
        self.book = PositionBook(MemoryState())
        self.detectors = detectors
        self.window: list[Observed] = []
        self.flags: list[Flag] = []
        self._positions = 0

    def send(self, event: AbuseEvent, account: str, trader: str, price: Decimal | None = None) -> list[Flag]:
        context = self.book.context(event, account, trader, price)
        self.window.append(Observed(event, context))
        raised = [flag for detector in self.detectors for flag in detector.observe(event, context)]
        self.flags.extend(raised)
        return raised

    def open(
        self,
        account: str,
        trader: str,
        seconds: float,
        symbol: str = "EURUSD",
        side: str = "buy",
        volume: str = "1",
        price: str | None = None,
        position: str | None = None,
    ) -> str:
        self._positions += 1
        position = position or f"{account}-p{self._positions}"
        event = PositionOpened(
            at(seconds), position, symbol, side, Decimal(volume), event_id=f"mt:{position}"
        )
        self.send(event, account, trader, None if price is None else Decimal(price))
        return position

    def close(
        self,
        account: str,
        trader: str,
        position: str,
        seconds: float,
        profit: str = "0",
        price: str | None = None,
    ) -> list[Flag]:
        event = PositionClosed(at(seconds), position, Decimal(profit), event_id=f"mt:{position}c")
        return self.send(event, account, trader, None if price is None else Decimal(price))

    def order(
        self, account: str, trader: str, seconds: float, symbol: str, side: str, volume: str = "1"
    ) -> list[Flag]:
        self._positions += 1
        event = OrderPlaced(at(seconds), f"o{self._positions}", symbol, side, Decimal(volume), None, "stop")
        return self.send(event, account, trader)

    def signal(
        self,
        trader: str,
        seconds: float,
        kind: SignalKind,
        value: str,
        network: Network = "unknown",
        account: str = "",
    ) -> list[Flag]:
        return self.send(IdentitySignal(at(seconds), kind, value, network), account, trader)

    def fail(self, account: str, trader: str, seconds: float) -> list[Flag]:
        return self.send(AccountOutcome(at(seconds), "failed"), account, trader)

    def deep(self) -> list[Flag]:
        return [flag for detector in self.detectors for flag in detector.deep_pass(self.window)]

    def flagged(self) -> set[str]:
        return {account for flag in self.flags for account in flag.accounts}

    def last(self, detector: str) -> Flag:
        return [flag for flag in self.flags if flag.detector == detector][-1]


class FlatFeed:
    """A reference market that never moves: bid and ask per symbol."""

    def __init__(
        self, quotes: dict[str, tuple[str, str]], moves: Sequence[tuple[float, str, str, str]] = ()
    ) -> None:
        self._quotes = {symbol: Quote(Decimal(bid), Decimal(ask)) for symbol, (bid, ask) in quotes.items()}
        self._moves = sorted(moves)

    def quote_at(self, symbol: str, when: datetime) -> Quote | None:
        quote = self._quotes.get(symbol)
        for seconds, moved, bid, ask in self._moves:
            if moved == symbol and at(seconds) <= when:
                quote = Quote(Decimal(bid), Decimal(ask))
        return quote
