"""What an MT5 bridge sends (`docs/mt5-bridge.md`) → the port's records. Pure.

- A deal with `entry` `in` opens (or adds to) a position; `out`/`out_by` closes it, and is reported only
  when the bridge says the position is now flat (`position.closed`), with the position's net result
  (`position.net_profit`: profit, commission, swap and fee of all its deals) and its whole volume: the engine
  knows no partial close. `inout` (netting reversals) is not used by prop groups (hedging) and is skipped.
- A `balance` deal is a balance operation (signed amount), except the account's initial deposit (the
  program's starting balance, known already). One booked through the bridge's API (by propdesk: a payout, a
  scaling top-up) carries our `reference` and is reported with `our_reference` (already an engine event);
  MT5's 31-character comment is too short for a tag, the bridge keeps the reference instead. MT5's other
  non-trade actions (credit, bonus, charges, corrections, commissions) are not the engine's business.
- A pending order (`GET .../orders`: MT5's `buy_limit`, `sell_limit`, `buy_stop`, `sell_stop`,
  `buy_stop_limit`, `sell_stop_limit`) is the port's `PendingOrder` (a stop-limit waits on its stop price);
  MT5 keeps stop loss and take profit on the position, so every listed order is an entry.
- Volumes are lots already; symbols go through the firm's mapping (`EURUSD.r` → `EURUSD`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.adapters.platforms.wire import amount, price_or_none, side, utc_time
from propdesk.platforms.port import AccountFigures, Deal, OpenPosition, PendingOrder, Side
from propdesk.platforms.symbols import SymbolMapping

REASONS: Mapping[str, str] = {"sl": "stop_loss", "tp": "take_profit", "so": "stop_out"}  # else: manual


def deal(raw: Mapping[str, Any], symbols: SymbolMapping) -> Deal | None:
    """The port's deal for a bridge deal, or None when it is nothing the engine books."""
    ticket = str(raw["ticket"])
    at = utc_time(raw.get("time"), "deal time")
    action = str(raw.get("action", "")).lower()
    if action == "balance":
        if raw.get("initial_deposit"):
            return None
        ours = str(raw.get("reference") or "")
        return Deal(ticket, "balance", at, profit=amount(raw.get("profit")), our_reference=ours)
    if action not in ("buy", "sell"):
        return None
    entry = str(raw.get("entry", "")).lower()
    symbol = symbols.canonical(str(raw["symbol"]))
    if entry == "in":
        return Deal(
            deal_id=ticket,
            kind="open",
            time=at,
            position_id=str(raw["position_id"]),
            symbol=symbol,
            side=side(action),
            volume=symbols.to_lots(symbol, amount(raw.get("volume"))),
            price=amount(raw.get("price")),
            stop_loss=price_or_none(raw.get("sl")),
            take_profit=price_or_none(raw.get("tp")),
        )
    position = raw.get("position") or {}
    if entry not in ("out", "out_by") or not position.get("closed"):
        return None
    own = amount(raw.get("profit"), Decimal(0)) + _charges(raw)
    return Deal(
        deal_id=ticket,
        kind="close",
        time=at,
        position_id=str(raw["position_id"]),
        symbol=symbol,
        side=side(position["side"]) if position.get("side") else _opposite(side(action)),
        volume=symbols.to_lots(symbol, amount(position.get("volume"), amount(raw.get("volume")))),
        price=amount(raw.get("price")),
        profit=amount(position.get("net_profit"), own),
        reason=REASONS.get(str(raw.get("reason", "")).lower(), "manual"),
    )


def position(raw: Mapping[str, Any], symbols: SymbolMapping) -> OpenPosition:
    symbol = symbols.canonical(str(raw["symbol"]))
    return OpenPosition(
        position_id=str(raw["position_id"]),
        symbol=symbol,
        side=side(raw.get("side")),
        volume=symbols.to_lots(symbol, amount(raw.get("volume"))),
        open_price=amount(raw.get("open_price")),
        opened_at=utc_time(raw.get("opened_at"), "opened_at"),
        floating_profit=amount(raw.get("floating_profit"), Decimal(0)),
        stop_loss=price_or_none(raw.get("sl")),
        take_profit=price_or_none(raw.get("tp")),
    )


def pending_order(raw: Mapping[str, Any], symbols: SymbolMapping) -> PendingOrder | None:
    """The port's pending order for a bridge order, or None for a type that opens nothing later."""
    kind = str(raw.get("type", "")).lower()
    direction, _, rest = kind.partition("_")
    if direction not in ("buy", "sell") or rest not in ("limit", "stop", "stop_limit"):
        return None
    symbol = symbols.canonical(str(raw["symbol"]))
    return PendingOrder(
        order_id=str(raw["ticket"]),
        symbol=symbol,
        side=side(direction),
        volume=symbols.to_lots(symbol, amount(raw.get("volume"))),
        order_type="limit" if rest == "limit" else "stop",
        placed_at=utc_time(raw.get("placed_at"), "placed_at"),
        price=price_or_none(raw.get("price")),
    )


def figures(raw: Mapping[str, Any], at: datetime | None = None) -> AccountFigures:
    """An account's (or an equity push's) money; `as_of` from the bridge, else `at`."""
    moment = utc_time(raw["as_of"], "as_of") if raw.get("as_of") else at
    if moment is None:
        raise ValueError("figures need a time")
    return AccountFigures(
        amount(raw.get("balance")), amount(raw.get("equity")), str(raw.get("currency", "")), moment
    )


def _charges(raw: Mapping[str, Any]) -> Decimal:
    return sum((amount(raw.get(key), Decimal(0)) for key in ("commission", "swap", "fee")), Decimal(0))


def _opposite(value: Side) -> Side:
    return "sell" if value == "buy" else "buy"
