"""cTrader Open API messages → the port's records (`Deal`, `OpenPosition`). Pure: the symbol look-ups come in.

- Volumes are in cents of units: lots = volume / (contract size x 100), with the firm's contract sizes
  (`propdesk.platforms.symbols`); an instrument it does not know is measured by the symbol's own `lotSize`
  (also in cents) as the broker configured it.
- Money is scaled by 10^`moneyDigits` (2 when absent).
- A close is reported once, when the position is flat (the engine knows no partial close): its deal id is
  the last closing deal's, its profit the net of every closing deal of the position (gross profit + swap +
  commission, charges negative as cTrader books them, less any P&L conversion fee), its volume the sum
  closed. Partial closes before it produce nothing.
- Balance operations (`ProtoOADepositWithdraw`) become `balance` deals with id `balance:{balanceHistoryId}`
  (their own id space: never equal to a deal id) and a signed amount; one we booked carries our tag in its
  `externalNote` (`own_bookings`) and is reported with `our_reference`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.platforms import own_bookings
from propdesk.platforms.port import Deal, OpenPosition, PendingOrder, Side
from propdesk.platforms.symbols import SymbolMapping, UnknownInstrumentError


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    symbol_id: int
    name: str  # as the broker names it
    lot_size: int | None = None  # cents of units in one lot (ProtoOASymbol.lotSize)


class Instruments:
    """The symbols met so far, with the firm's mapping: names and volumes."""

    def __init__(self, mapping: SymbolMapping, symbols: Iterable[SymbolInfo] = ()) -> None:
        self._mapping = mapping
        self._symbols = {symbol.symbol_id: symbol for symbol in symbols}

    def add(self, symbol: SymbolInfo) -> None:
        known = self._symbols.get(symbol.symbol_id)
        lot_size = symbol.lot_size if symbol.lot_size is not None else (known.lot_size if known else None)
        name = symbol.name or (known.name if known else "")
        self._symbols[symbol.symbol_id] = SymbolInfo(symbol.symbol_id, name, lot_size)

    def knows(self, symbol_id: int) -> bool:
        return symbol_id in self._symbols and bool(self._symbols[symbol_id].name)

    def needs_lot_size(self, symbol_id: int) -> bool:
        symbol = self._symbols.get(symbol_id)
        if symbol is None or symbol.lot_size is not None:
            return False
        try:
            self._mapping.contract_size(self.canonical(symbol_id))
        except UnknownInstrumentError:
            return True
        return False

    def canonical(self, symbol_id: int) -> str:
        symbol = self._symbols.get(symbol_id)
        return self._mapping.canonical(symbol.name) if symbol is not None else str(symbol_id)

    def lots(self, symbol_id: int, volume: Any) -> Decimal:
        cents = Decimal(int(volume or 0))
        canonical = self.canonical(symbol_id)
        try:
            return self._mapping.to_lots(canonical, cents)
        except UnknownInstrumentError:
            symbol = self._symbols.get(symbol_id)
            if symbol is None or not symbol.lot_size:
                raise
            return cents / Decimal(symbol.lot_size)


def side_of(value: Any) -> Side:
    return "buy" if wire.enum(value) == wire.BUY else "sell"


def position_side(closing: Mapping[str, Any], position: Mapping[str, Any] | None) -> Side:
    """The side of the position a closing deal closes (the deal itself trades the other way)."""
    trade = (position or {}).get("tradeData") or {}
    if trade.get("tradeSide") is not None:
        return side_of(trade["tradeSide"])
    return "sell" if side_of(closing.get("tradeSide")) == "buy" else "buy"


def is_fill(deal: Mapping[str, Any]) -> bool:
    return wire.enum(deal.get("dealStatus"), wire.DEAL_FILLED) in (
        wire.DEAL_FILLED,
        wire.DEAL_PARTIALLY_FILLED,
    )


def is_closing(deal: Mapping[str, Any]) -> bool:
    return bool(deal.get("closePositionDetail"))


def opening_deal(
    deal: Mapping[str, Any], instruments: Instruments, position: Mapping[str, Any] | None = None
) -> Deal:
    symbol_id = int(deal["symbolId"])
    return Deal(
        deal_id=str(deal["dealId"]),
        kind="open",
        time=wire.instant(deal["executionTimestamp"]),
        position_id=str(deal["positionId"]),
        symbol=instruments.canonical(symbol_id),
        side=side_of(deal.get("tradeSide")),
        volume=instruments.lots(symbol_id, deal.get("filledVolume") or deal.get("volume")),
        price=wire.price(deal.get("executionPrice")),
        stop_loss=wire.optional_price((position or {}).get("stopLoss")),
        take_profit=wire.optional_price((position or {}).get("takeProfit")),
    )


def net_profit(deal: Mapping[str, Any]) -> Decimal:
    """A closing deal's realized P&L after swap, commission and conversion fee."""
    detail = deal.get("closePositionDetail") or {}
    digits = detail.get("moneyDigits")
    gross = wire.money(detail.get("grossProfit"), digits)
    charges = wire.money(detail.get("swap"), digits) + wire.money(detail.get("commission"), digits)
    return gross + charges - abs(wire.money(detail.get("pnlConversionFee"), digits))


def position_close(
    closing: Iterable[Mapping[str, Any]],
    instruments: Instruments,
    order: Mapping[str, Any] | None = None,
    position: Mapping[str, Any] | None = None,
) -> Deal:
    """One close for the whole position, from all its closing deals (the last one names it)."""
    deals = sorted((d for d in closing if is_closing(d) and is_fill(d)), key=_order_key)
    if not deals:
        raise ValueError("a position close needs at least one closing deal")
    last = deals[-1]
    symbol_id = int(last["symbolId"])
    closed = sum(
        (
            instruments.lots(symbol_id, d["closePositionDetail"].get("closedVolume") or d.get("filledVolume"))
            for d in deals
        ),
        Decimal(0),
    )
    return Deal(
        deal_id=str(last["dealId"]),
        kind="close",
        time=wire.instant(last["executionTimestamp"]),
        position_id=str(last["positionId"]),
        symbol=instruments.canonical(symbol_id),
        side=position_side(last, position),
        volume=closed,
        price=wire.price(last.get("executionPrice")),
        profit=sum((net_profit(d) for d in deals), Decimal(0)),
        reason=close_reason(last, order, position),
    )


def close_reason(
    deal: Mapping[str, Any], order: Mapping[str, Any] | None, position: Mapping[str, Any] | None
) -> str | None:
    """stop_out | stop_loss | take_profit | manual from the closing order; None when the order is unknown
    (a deal read back from history carries no order)."""
    if order is None:
        return None
    if order.get("isStopOut"):
        return "stop_out"
    if wire.enum(order.get("orderType")) != wire.STOP_LOSS_TAKE_PROFIT:
        return "manual"
    executed = wire.price(deal.get("executionPrice"))
    stop_loss = wire.optional_price((position or {}).get("stopLoss") or order.get("stopLoss"))
    take_profit = wire.optional_price((position or {}).get("takeProfit") or order.get("takeProfit"))
    if stop_loss is None or take_profit is None:
        return (
            "stop_loss" if stop_loss is not None else "take_profit" if take_profit is not None else "manual"
        )
    return "stop_loss" if abs(executed - stop_loss) <= abs(executed - take_profit) else "take_profit"


def balance_note(comment: str, reference: str) -> str:
    """The `externalNote` of a balance operation we book: its comment with our tag."""
    return own_bookings.tagged(comment, reference)


def balance_deal(operation: Mapping[str, Any]) -> Deal:
    amount = wire.money(operation.get("delta"), operation.get("moneyDigits"))
    withdrawal = wire.enum(operation.get("operationType")) in wire.WITHDRAWALS
    return Deal(
        deal_id=f"balance:{operation['balanceHistoryId']}",
        kind="balance",
        time=wire.instant(operation["changeBalanceTimestamp"]),
        profit=-abs(amount) if withdrawal else abs(amount),
        our_reference=own_bookings.reference_in(operation.get("externalNote")),
    )


def open_position(position: Mapping[str, Any], instruments: Instruments, floating: Decimal) -> OpenPosition:
    trade = position.get("tradeData") or {}
    symbol_id = int(trade["symbolId"])
    return OpenPosition(
        position_id=str(position["positionId"]),
        symbol=instruments.canonical(symbol_id),
        side=side_of(trade.get("tradeSide")),
        volume=instruments.lots(symbol_id, trade.get("volume")),
        open_price=wire.price(position.get("price")),
        opened_at=wire.instant(trade.get("openTimestamp") or position.get("utcLastUpdateTimestamp") or 0),
        floating_profit=floating,
        stop_loss=wire.optional_price(position.get("stopLoss")),
        take_profit=wire.optional_price(position.get("takeProfit")),
    )


def pending_order(order: Mapping[str, Any], instruments: Instruments) -> PendingOrder | None:
    """A reconcile's order (`ProtoOAOrder`) as the port's pending order: a working limit, stop or stop-limit
    order that opens a position; None for a protection order, a closing order or one no longer working."""
    kind = wire.enum(order.get("orderType"))
    if kind not in (wire.LIMIT_ORDER, wire.STOP_ORDER, wire.STOP_LIMIT_ORDER) or order.get("closingOrder"):
        return None
    if wire.enum(order.get("orderStatus"), wire.ORDER_STATUS_ACCEPTED) != wire.ORDER_STATUS_ACCEPTED:
        return None
    trade = order.get("tradeData") or {}
    symbol_id = int(trade["symbolId"])
    limit = kind == wire.LIMIT_ORDER
    return PendingOrder(
        order_id=str(order["orderId"]),
        symbol=instruments.canonical(symbol_id),
        side=side_of(trade.get("tradeSide")),
        volume=instruments.lots(symbol_id, trade.get("volume")),
        order_type="limit" if limit else "stop",
        placed_at=wire.instant(trade.get("openTimestamp") or order.get("utcLastUpdateTimestamp") or 0),
        price=wire.optional_price(order.get("limitPrice") if limit else order.get("stopPrice")),
    )


def _order_key(deal: Mapping[str, Any]) -> tuple[int, int]:
    return int(deal.get("executionTimestamp") or 0), int(deal["dealId"])
