"""The position book: each account's open positions with their opening price and time, kept once for every
detector. It turns a closing (which names only its position) into a closed trade with its hold time and
prices, and tells an opening or a pending order which positions were already open (adds to a loser,
opposite legs).

Item `book#{account}`: `{"p": {position_id: [symbol, side, volume, opened_epoch, price, event_id]}}`, at most
`max_open` positions (the oldest dropped beyond), expiring `ttl` after the account's last trade. One read
and one write per opening or closing, one read per pending order; nothing for other events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.abuse.inputs import AbuseEvent, BookPosition, Context, OrderPlaced
from propdesk.abuse.state import KeyedState, expiry
from propdesk.engine.events import PositionClosed, PositionOpened


@dataclass(frozen=True, slots=True)
class BookSettings:
    max_open: int = 200
    ttl: timedelta = timedelta(days=60)


class PositionBook:
    def __init__(self, state: KeyedState, settings: BookSettings = BookSettings()) -> None:
        self._state = state
        self._settings = settings

    def first_reads(self, event: AbuseEvent, account_id: str) -> list[str]:
        return (
            [f"book#{account_id}"] if isinstance(event, PositionOpened | PositionClosed | OrderPlaced) else []
        )

    def context(
        self, event: AbuseEvent, account_id: str, trader_id: str, price: Decimal | None = None
    ) -> Context:
        """The event's context, updating the book for openings and closings."""
        if not isinstance(event, PositionOpened | PositionClosed | OrderPlaced):
            return Context(account_id, trader_id, price)
        key = f"book#{account_id}"
        item = self._state.get(key, event.time) or {"p": {}}
        positions: dict[str, list[Any]] = item["p"]
        before = tuple(_position(pid, row) for pid, row in positions.items())
        if isinstance(event, OrderPlaced):
            return Context(account_id, trader_id, price, None, before)
        moment = event.time.timestamp()
        if isinstance(event, PositionOpened):
            positions[event.position_id] = [
                event.symbol,
                event.side,
                str(event.volume),
                moment,
                None if price is None else str(price),
                event.event_id,
            ]
            while len(positions) > self._settings.max_open:
                # [3] is the opening's epoch seconds: the oldest position goes first
                oldest = min(positions, key=lambda pid: float(positions[pid][3]))  # float ok
                del positions[oldest]
            self._state.put(key, item, expiry(moment, self._settings.ttl.total_seconds()))
            return Context(account_id, trader_id, price, None, before)
        row = positions.pop(event.position_id, None)
        opened = None if row is None else _position(event.position_id, row)
        self._state.put(key, item, expiry(moment, self._settings.ttl.total_seconds()))
        remaining = tuple(position for position in before if position.position_id != event.position_id)
        return Context(account_id, trader_id, price, opened, remaining)


def _position(position_id: str, row: list[Any]) -> BookPosition:
    symbol, side, volume, opened, price, event_id = row
    return BookPosition(
        position_id=position_id,
        symbol=str(symbol),
        side=str(side),
        volume=Decimal(str(volume)),
        opened_at=datetime.fromtimestamp(float(opened), UTC),  # float ok: epoch seconds
        price=None if price is None else Decimal(str(price)),
        event_id=None if event_id is None else str(event_id),
    )
