"""What a platform reports → the engine's trading events, as wire dicts (`propdesk.engine.events` documents
the format; the engine ignores keys it does not know, abuse detection reads `price`, `open_price` and
`close_price`).

- an opening deal → `position_opened` (with `price` and `open_price`);
- a closing deal → `position_closed` (net realized P&L of the whole position, `price` and `close_price`);
- a balance deal → `deposit` (amount > 0) or `withdrawal` (amount > 0 as well: the sign is in the type),
  except one propdesk booked itself (`Deal.our_reference`, see `propdesk.platforms.own_bookings`): a payout's
  withdrawal, its compensating deposit, a scaling top-up are recorded as engine events by the workflow that
  booked them, so the platform's copy is none (else the money would count twice);
- an equity reading (`AccountFigures`) → `equity` (with `balance`);
- a working order (`PendingOrder`) → `order_placed` (`propdesk.abuse.orders`; for abuse detection only),
  its `event_id` `"{platform}:order:{order_id}"`, so an order read at every poll is stored once.

Guarantees: times are UTC ISO-8601 (a naive time is refused: the adapter must say which zone it read);
amounts are plain decimal strings (never exponent notation); `event_id` is `"{platform}:{deal_id}"`, so the
same deal delivered twice (a push and a backfill, a redelivery) becomes the same event and is stored once.

Platforms that book positions rather than deals (Match-Trader's open and closed positions, TradeLocker's
positions) have no deal ids of their own for the open and the close: their adapters name them with
`opening_deal_id` / `closing_deal_id`, and a position seen only in a snapshot (`opened_from_position`) gets
the same opening id, so whichever of the two reaches us first, the position is opened once.

A close is the close of the whole position: an adapter whose platform books partial closes reports the
position's close once it is flat (the engine knows no partial close).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.platforms.port import AccountFigures, AccountRef, Deal, OpenPosition, PendingOrder, PlatformName

WireEvent = dict[str, Any]


class UnusableDealError(ValueError):
    """A deal that cannot become an event (no position, symbol or side on an open; a naive time)."""

    def __init__(self, deal_id: str, message: str) -> None:
        super().__init__(f"deal {deal_id}: {message}")
        self.deal_id = deal_id


def event_id(platform: PlatformName, deal_id: str) -> str:
    return f"{platform}:{deal_id}"


def opening_deal_id(position_id: str) -> str:
    """The deal id of a position's open where the platform has none of its own."""
    return f"{position_id}:open"


def closing_deal_id(position_id: str) -> str:
    """The deal id of a position's close where the platform has none of its own."""
    return f"{position_id}:close"


def deal_events(platform: PlatformName, deal: Deal) -> list[WireEvent]:
    """The event a deal is (a zero balance operation, or one we booked ourselves, is none)."""
    if deal.kind == "open":
        return [_opened(platform, deal)]
    if deal.kind == "close":
        return [_closed(platform, deal)]
    if deal.profit == 0 or deal.our_reference:
        return []
    return [
        {
            "time": utc_text(deal.time, deal.deal_id),
            "type": "deposit" if deal.profit > 0 else "withdrawal",
            "amount": decimal_text(abs(deal.profit)),
            "event_id": event_id(platform, deal.deal_id),
            **({"comment": deal.reason} if deal.reason else {}),
        }
    ]


def deals_to_events(platform: PlatformName, deals: Iterable[Deal]) -> list[WireEvent]:
    """Every deal's events, oldest first (stable for deals booked at the same instant)."""
    ordered = sorted(deals, key=lambda deal: _utc(deal.time, deal.deal_id))
    return [event for deal in ordered for event in deal_events(platform, deal)]


def opened_from_position(position: OpenPosition) -> Deal:
    """The opening deal of a position seen in a snapshot (same id as the adapter's own opening deal)."""
    return Deal(
        deal_id=opening_deal_id(position.position_id),
        kind="open",
        time=position.opened_at,
        position_id=position.position_id,
        symbol=position.symbol,
        side=position.side,
        volume=position.volume,
        price=position.open_price,
        stop_loss=position.stop_loss,
        take_profit=position.take_profit,
    )


def equity_event(platform: PlatformName, account: AccountRef, figures: AccountFigures) -> WireEvent:
    """An equity reading; its id names the account and the instant, so a reading polled twice is one event
    (the instant written with `Z`: an event id holds no `+`)."""
    at = utc_text(figures.as_of, "equity")
    return {
        "time": at,
        "type": "equity",
        "equity": decimal_text(figures.equity),
        "balance": decimal_text(figures.balance),
        "event_id": f"{platform}:equity:{account.platform_account_id}:{at.replace('+00:00', 'Z')}",
    }


def utc_text(moment: datetime, what: str = "") -> str:
    return _utc(moment, what).isoformat()


def decimal_text(value: Decimal) -> str:
    """A plain decimal string: `100`, `-250.00`, `0.001` (never `1E+2`)."""
    return format(value, "f")


def _opened(platform: PlatformName, deal: Deal) -> WireEvent:
    if not deal.position_id or not deal.symbol or deal.side is None:
        raise UnusableDealError(deal.deal_id, "an open needs a position id, a symbol and a side")
    if deal.volume <= 0:
        raise UnusableDealError(deal.deal_id, f"an open needs a positive volume, got {deal.volume}")
    event: WireEvent = {
        "time": utc_text(deal.time, deal.deal_id),
        "type": "position_opened",
        "position_id": deal.position_id,
        "symbol": deal.symbol,
        "side": deal.side,
        "volume": decimal_text(deal.volume),
        "event_id": event_id(platform, deal.deal_id),
    }
    if deal.price > 0:
        event["price"] = event["open_price"] = decimal_text(deal.price)
    if deal.stop_loss is not None and deal.stop_loss > 0:
        event["stop_loss"] = decimal_text(deal.stop_loss)
    if deal.take_profit is not None and deal.take_profit > 0:
        event["take_profit"] = decimal_text(deal.take_profit)
    return event


def _closed(platform: PlatformName, deal: Deal) -> WireEvent:
    if not deal.position_id:
        raise UnusableDealError(deal.deal_id, "a close needs a position id")
    event: WireEvent = {
        "time": utc_text(deal.time, deal.deal_id),
        "type": "position_closed",
        "position_id": deal.position_id,
        "profit": decimal_text(deal.profit),
        "event_id": event_id(platform, deal.deal_id),
    }
    if deal.reason:
        event["reason"] = deal.reason
    if deal.price > 0:
        event["price"] = event["close_price"] = decimal_text(deal.price)
    if deal.symbol:
        event["symbol"] = deal.symbol
    if deal.side is not None:
        event["side"] = deal.side
    if deal.volume > 0:
        event["volume"] = decimal_text(deal.volume)
    return event


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UnusableDealError(what, f"time {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def order_event(platform: PlatformName, order: PendingOrder) -> WireEvent:
    """A working order as the `order_placed` event a push would carry."""
    event: WireEvent = {
        "time": utc_text(order.placed_at, order.order_id),
        "type": "order_placed",
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side,
        "volume": decimal_text(order.volume),
        "order_type": order.order_type,
        "event_id": event_id(platform, f"order:{order.order_id}"),
    }
    if order.price is not None:
        event["price"] = decimal_text(order.price)
    return event
