"""Ingestion keeps what abuse detection reads of a fill (its price, the platform feed's quote at the fill),
validated like the engine's own fields, and nothing of it on events that are not fills."""

from __future__ import annotations

from typing import Any

import pytest
from propdesk.errors import InvalidInputError
from propdesk.services.ingestion import EventIngestion

OPENING = {
    "event_id": "d1", "time": "2026-03-02T10:00:00+00:00", "type": "position_opened", "position_id": "p1",
    "symbol": "EURUSD", "side": "buy", "volume": "1",
}  # fmt: skip


def stored(**extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = EventIngestion._validated("acc-1", 0, {**OPENING, **extra}).payload
    return payload


def test_a_fill_keeps_its_price_and_the_feeds_quote_at_the_fill() -> None:
    payload = stored(price="1.0850", feed_bid=1.0846, feed_ask="1.0847")
    assert (payload["price"], payload["feed_bid"], payload["feed_ask"]) == ("1.0850", "1.0846", "1.0847")


def test_an_equity_update_keeps_no_price() -> None:
    equity = {"event_id": "e1", "time": "2026-03-02T10:00:00+00:00", "type": "equity", "equity": "100000"}
    assert "price" not in EventIngestion._validated("acc-1", 0, {**equity, "price": "1.1"}).payload


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"price": "-1"}, "events[0].price"),
        ({"price": "abc"}, "events[0].price"),
        ({"feed_bid": "1.0846"}, "events[0].feed_ask"),
        ({"feed_bid": "1.0848", "feed_ask": "1.0847"}, "events[0].feed_bid"),
    ],
)
def test_a_malformed_price_or_quote_is_refused_naming_it(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        stored(**extra)
    assert refused.value.field == field
