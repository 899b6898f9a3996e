"""DXtrade's push messages (WebSocket) read into the port's records, for the connector service. Pure: text in,
records out, no clock, no I/O.

A message is a JSON envelope `{"type": ..., "session": ..., "inReplyTo": ..., "timestamp": <ms>, "payload":
{...}}` (some servers name the payload `body`). Types read here:
- `AccountPortfolios`: `payload.portfolios[]` with `account` (clearing:code), `positions[]` (positionCode,
  symbol, quantity in units, side, openPrice, lastUpdateTime, stopLossPrice, takeProfitPrice), `balances[]`;
- `AccountMetrics`: `payload.metrics[]` with `account`, `equity`, `balance` (and per-position `fpl` when
  subscribed with positions);
- `CashTransfers`: `payload.cashTransfers[]` as the REST API returns them: deposits and withdrawals become
  balance deals, settlements / commissions / financing the realized P&L per position;
- `PingRequest`: the server asks for a `Ping` back (`ping_requested`); `Reject`: a refused request
  (`rejected`).
Anything else is returned as `other` (never an error: a new message type must not stop the stream).
The field names follow DXtrade's REST models (the push API reuses them); the envelope's exact keys are an
assumption, which is why both `payload` and `body` are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.adapters.platforms.wire import amount, price_or_none, side, utc_time
from propdesk.platforms import own_bookings
from propdesk.platforms.port import AccountFigures, Deal, OpenPosition, PlatformRejectedError
from propdesk.platforms.symbols import SymbolMapping, default_mapping

REALIZED = ("SETTLEMENT", "COMMISSION", "FINANCING")


class PushMessageError(ValueError):
    """A message that is not a DXtrade push envelope at all (not JSON, no type)."""


@dataclass(frozen=True)
class PushUpdate:
    type: str
    received_at: datetime | None = None
    in_reply_to: str | None = None
    positions: dict[str, list[OpenPosition]] = field(default_factory=dict)  # by account: a full snapshot
    figures: dict[str, AccountFigures] = field(default_factory=dict)  # by account
    balance_deals: dict[str, list[Deal]] = field(default_factory=dict)  # by account
    realized: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # by account, by position
    ping_requested: bool = False
    rejected: str | None = None
    other: bool = False


def parse_push(
    message: str | bytes | Mapping[str, Any],
    symbols: SymbolMapping | None = None,
    currencies: Mapping[str, str] | None = None,
) -> PushUpdate:
    """One push message as records. `currencies` names each account's currency (metrics carry none)."""
    mapping = symbols or default_mapping("dxtrade")
    envelope = _envelope(message)
    kind = str(envelope["type"])
    at = _instant(envelope.get("timestamp"))
    in_reply_to = str(envelope["inReplyTo"]) if envelope.get("inReplyTo") is not None else None
    payload = envelope.get("payload")
    if payload is None:
        payload = envelope.get("body")
    payload = payload if isinstance(payload, Mapping) else {}
    head = PushUpdate(kind, at, in_reply_to)
    try:
        if kind == "AccountPortfolios":
            return replace(head, positions=_portfolios(payload, mapping))
        if kind == "AccountMetrics":
            return replace(head, figures=_metrics(payload, at, currencies or {}))
        if kind == "CashTransfers":
            deals, realized = _transfers(payload)
            return replace(head, balance_deals=deals, realized=realized)
    except (PlatformRejectedError, KeyError, TypeError) as error:
        raise PushMessageError(f"unreadable {kind} message: {error}") from error
    if kind == "PingRequest":
        return replace(head, ping_requested=True)
    if kind == "Reject":
        reason = payload.get("description") or payload.get("errorCode") or "rejected"
        return replace(head, rejected=str(reason))
    return replace(head, other=True)


def ping(session: str, in_reply_to: str | None = None, timestamp_ms: int = 0) -> str:
    """The `Ping` a client sends back when asked."""
    return json.dumps(
        {"type": "Ping", "session": session, "inReplyTo": in_reply_to, "timestamp": timestamp_ms},
        separators=(",", ":"),
    )


def _envelope(message: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(message, Mapping):
        envelope: Any = message
    else:
        try:
            envelope = json.loads(message, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as error:
            raise PushMessageError("not JSON") from error
    if not isinstance(envelope, Mapping) or not isinstance(envelope.get("type"), str) or not envelope["type"]:
        raise PushMessageError("no message type")
    return envelope


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return utc_time(value, "timestamp")
    except PlatformRejectedError:
        return None


def _portfolios(payload: Mapping[str, Any], symbols: SymbolMapping) -> dict[str, list[OpenPosition]]:
    snapshots: dict[str, list[OpenPosition]] = {}
    for portfolio in payload.get("portfolios") or []:
        positions = []
        for raw in portfolio.get("positions") or []:
            symbol = symbols.canonical(str(raw.get("symbol") or ""))
            positions.append(
                OpenPosition(
                    position_id=str(raw["positionCode"]),
                    symbol=symbol,
                    side=side(raw.get("side")),
                    volume=symbols.to_lots(symbol, abs(amount(raw.get("quantity")))),
                    open_price=amount(raw.get("openPrice")),
                    opened_at=utc_time(raw.get("lastUpdateTime"), "lastUpdateTime"),
                    floating_profit=amount(raw.get("fpl"), Decimal(0)),
                    stop_loss=price_or_none(raw.get("stopLossPrice")),
                    take_profit=price_or_none(raw.get("takeProfitPrice")),
                )
            )
        snapshots[str(portfolio["account"])] = positions
    return snapshots


def _metrics(
    payload: Mapping[str, Any], at: datetime | None, currencies: Mapping[str, str]
) -> dict[str, AccountFigures]:
    figures = {}
    for row in payload.get("metrics") or []:
        account = str(row["account"])
        figures[account] = AccountFigures(
            balance=amount(row.get("balance")),
            equity=amount(row.get("equity")),
            currency=currencies.get(account, ""),
            as_of=at or datetime.min.replace(tzinfo=UTC),
        )
    return figures


def cash_deal(transfer: Mapping[str, Any], cash: Mapping[str, Any]) -> Deal:
    """A DEPOSIT or WITHDRAWAL cash transaction of a transfer as a balance deal (the REST history's and the
    push's alike)."""
    size = abs(amount(cash.get("value"), Decimal(0)))
    return Deal(
        deal_id=str(transfer.get("transferCode") or cash.get("transactionCode")),
        kind="balance",
        time=utc_time(transfer.get("transactionTime") or cash.get("transactionTime"), "transfer time"),
        profit=size if str(cash.get("type") or "").upper() == "DEPOSIT" else -size,
        reason=str(transfer.get("comment") or "") or None,
        our_reference=own_bookings.reference_in(transfer.get("comment")),
    )


def _transfers(payload: Mapping[str, Any]) -> tuple[dict[str, list[Deal]], dict[str, dict[str, Decimal]]]:
    deals: dict[str, list[Deal]] = {}
    realized: dict[str, dict[str, Decimal]] = {}
    for transfer in payload.get("cashTransfers") or []:
        account = str(transfer["account"])
        for cash in transfer.get("cashTransactions") or []:
            kind = str(cash.get("type") or "").upper()
            value = amount(cash.get("value"), Decimal(0))
            if kind in ("DEPOSIT", "WITHDRAWAL"):
                deals.setdefault(account, []).append(cash_deal(transfer, cash))
            elif kind in REALIZED and cash.get("positionCode"):
                per_position = realized.setdefault(account, {})
                code = str(cash["positionCode"])
                per_position[code] = per_position.get(code, Decimal(0)) + value
    return deals, realized
