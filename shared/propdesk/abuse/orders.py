"""Pending orders on the wire: `order_placed`, an optional event a platform bridge may push beside the
engine's trading events (`POST /v1/platform/events`), read by the abuse detectors only (news straddles are
mostly opposite stop orders placed just before a release). The risk engine has no use for them: they are
stored apart from the account's event log and never replayed.

    {"type": "order_placed", "time": T, "event_id"?, "order_id", "symbol", "side": "buy" | "sell",
     "volume", "price"?, "order_type"?: "stop" | "limit" (default "stop")}

Bounded like the engine's events: ids and symbols 1-128 characters, volume and price positive within the
engine's bounds. A cancellation is not reported (a pending order is taken as alive until it is filled).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from propdesk.abuse.inputs import OrderPlaced
from propdesk.engine.bounds import PRICE, VOLUME
from propdesk.engine.errors import EventError
from propdesk.engine.reading import Reader

ORDER_TYPE = OrderPlaced.type
ORDER_TYPES = ("stop", "limit")
SIDES = ("buy", "sell")
MAX_TEXT = 128


def parse_order(data: Mapping[str, Any]) -> OrderPlaced:
    """Validate one `order_placed` mapping. Raises `EventError` naming the field."""
    if not isinstance(data, Mapping):
        raise EventError("", "an event must be a JSON object")
    read = Reader(data, "", EventError)
    read.choice("type", (ORDER_TYPE,))
    return OrderPlaced(
        time=read.instant("time"),
        order_id=_bounded(read, "order_id"),
        symbol=_bounded(read, "symbol"),
        side=read.choice("side", SIDES),
        volume=read.decimal("volume", positive=True, bound=VOLUME),
        price=read.optional_decimal("price", positive=True, bound=PRICE),
        order_type=read.choice("order_type", ORDER_TYPES, default="stop"),
        event_id=_bounded(read, "event_id") if read.has("event_id") else None,
    )


def order_to_dict(order: OrderPlaced) -> dict[str, str]:
    """The wire form (inverse of `parse_order`)."""
    out = {
        "time": order.time.isoformat(),
        "type": ORDER_TYPE,
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side,
        "volume": str(order.volume),
        "order_type": order.order_type,
    }
    if order.price is not None:
        out["price"] = str(order.price)
    if order.event_id is not None:
        out["event_id"] = order.event_id
    return out


def _bounded(read: Reader, key: str) -> str:
    value = read.string(key)
    if not value or len(value) > MAX_TEXT:
        raise read.fail(key, f"must be 1-{MAX_TEXT} characters")
    return value
