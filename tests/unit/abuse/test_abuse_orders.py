"""Pending orders (`order_placed`): bounded on the wire, stored apart from the trading events by ingestion
(refused where no place is given for them), read back for the detectors with the order's own fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.abuse.detection import AbuseInput
from propdesk.abuse.inputs import OrderPlaced
from propdesk.abuse.orders import order_to_dict, parse_order
from propdesk.engine.errors import EventError
from propdesk.errors import InvalidInputError
from propdesk.records import Account, PlatformReference, StoredEvent
from propdesk.services.ingestion import EventIngestion

ORDER = {
    "type": "order_placed", "time": "2026-03-02T13:28:30+00:00", "event_id": "mt5-o1", "order_id": "o1",
    "symbol": "EURUSD", "side": "buy", "volume": "1.5", "price": "1.0900", "order_type": "stop",
}  # fmt: skip
OPENING = {
    "type": "position_opened", "time": "2026-03-02T13:00:00+00:00", "event_id": "mt5-d1",
    "position_id": "p1", "symbol": "EURUSD", "side": "sell", "volume": "1",
}  # fmt: skip


def test_an_order_reads_and_writes_back_the_same() -> None:
    order = parse_order(ORDER)
    assert order == OrderPlaced(
        datetime(2026, 3, 2, 13, 28, 30, tzinfo=UTC), "o1", "EURUSD", "buy", Decimal("1.5"),
        Decimal("1.0900"), "stop", "mt5-o1",
    )  # fmt: skip
    assert parse_order(order_to_dict(order)) == order


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume": "-1"}, "volume"),
        ({"volume": "1e30"}, "volume"),
        ({"side": "hold"}, "side"),
        ({"order_type": "market"}, "order_type"),
        ({"symbol": "X" * 129}, "symbol"),
        ({"order_id": None}, "order_id"),
        ({"price": "0"}, "price"),
    ],
)
def test_an_order_out_of_bounds_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(EventError) as refused:
        parse_order({**ORDER, **change})
    assert refused.value.field == field


@dataclass
class Writer:
    kept: list[StoredEvent] = field(default_factory=list)

    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        self.kept.append(event)
        return True


@dataclass
class Accounts:
    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        opened = datetime(2026, 3, 1, tzinfo=UTC)
        return Account(
            account_id, "t1", "p1", 1, "active", "USD", Decimal(100000), "UTC", "00:00", opened,
            platform=PlatformReference("mt5", "x", "7001"),
        )  # fmt: skip


def test_ingestion_stores_orders_apart_from_the_trading_events() -> None:
    events, orders = Writer(), Writer()
    ingestion = EventIngestion(Accounts(), events, orders=orders)

    report = ingestion.ingest("a1", [OPENING, ORDER], datetime(2026, 3, 2, 14, tzinfo=UTC), "mt5")

    assert report.accepted == ["mt5-d1", "mt5-o1"]
    assert [e.event_id for e in events.kept] == ["mt5-d1"]
    (kept,) = orders.kept
    assert kept.type == "order_placed" and kept.payload["price"] == "1.0900"


def test_an_ingestion_without_a_place_for_orders_refuses_them_and_a_bad_one_names_its_field() -> None:
    now = datetime(2026, 3, 2, 14, tzinfo=UTC)
    with pytest.raises(InvalidInputError) as refused:
        EventIngestion(Accounts(), Writer()).ingest("a1", [ORDER], now, "mt5")
    assert refused.value.field == "events[0].type"
    with pytest.raises(InvalidInputError) as bad:
        EventIngestion(Accounts(), Writer(), orders=Writer()).ingest(
            "a1", [{**ORDER, "side": "x"}], now, "mt5"
        )
    assert bad.value.field == "events[0].side"


def test_a_stored_order_reaches_the_detectors_as_an_order_without_a_fill_price() -> None:
    stored = StoredEvent("a1", "mt5-o1", datetime(2026, 3, 2, 13, 28, 30, tzinfo=UTC), "order_placed", ORDER)

    item = AbuseInput.from_stored(stored)

    assert isinstance(item.event, OrderPlaced) and item.event.side == "buy"
    assert item.price is None and item.event_id == "a1/mt5-o1"
