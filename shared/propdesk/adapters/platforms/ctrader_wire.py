"""cTrader Open API, JSON variant: frames, payload types, enumerations and error codes (pure, no I/O).

Facts (Spotware's `openapi-proto-messages`, files `OpenApiCommonMessages.proto`,
`OpenApiCommonModelMessages.proto`, `OpenApiMessages.proto`, `OpenApiModelMessages.proto`; and
help.ctrader.com/open-api "Sending/Receiving JSON"):

- JSON on port 5036 (TCP or WebSocket; protobuf on 5035), hosts `live.ctraderapi.com` / `demo.ctraderapi.com`;
  every frame is `{"clientMsgId": str, "payloadType": int, "payload": {...}}`, the response to a request
  carries the request's `clientMsgId`; events carry none (or one the server chose).
- Enumerations travel as their numbers, int64 fields as JSON numbers (what clients of the JSON port send;
  we read names too, in case a proxy renders them as the protobuf JSON mapping does).
- Volumes are in hundredths of a unit ("cents": 1 lot of EURUSD = 100 000 units = 10 000 000); money fields
  are integers scaled by 10^`moneyDigits`; times are Unix milliseconds.
- `ProtoHeartbeatEvent` (payloadType 51) is sent by the proxy when nothing else is, and by the client when it
  would otherwise be silent for 30 s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# ---- payload types (ProtoPayloadType, ProtoOAPayloadType) ----
ERROR_RES = 50  # ProtoErrorRes (common)
HEARTBEAT_EVENT = 51
APPLICATION_AUTH_REQ = 2100
APPLICATION_AUTH_RES = 2101
ACCOUNT_AUTH_REQ = 2102
ACCOUNT_AUTH_RES = 2103
VERSION_REQ = 2104
VERSION_RES = 2105
CLOSE_POSITION_REQ = 2111
ASSET_LIST_REQ = 2112
ASSET_LIST_RES = 2113
SYMBOLS_LIST_REQ = 2114
SYMBOLS_LIST_RES = 2115
SYMBOL_BY_ID_REQ = 2116
SYMBOL_BY_ID_RES = 2117
TRADER_REQ = 2121
TRADER_RES = 2122
TRADER_UPDATE_EVENT = 2123
RECONCILE_REQ = 2124
RECONCILE_RES = 2125
EXECUTION_EVENT = 2126
ORDER_ERROR_EVENT = 2132
DEAL_LIST_REQ = 2133
DEAL_LIST_RES = 2134
OA_ERROR_RES = 2142  # ProtoOAErrorRes
CASH_FLOW_HISTORY_LIST_REQ = 2143
CASH_FLOW_HISTORY_LIST_RES = 2144
ACCOUNTS_TOKEN_INVALIDATED_EVENT = 2147
CLIENT_DISCONNECT_EVENT = 2148
ACCOUNTS_BY_ACCESS_TOKEN_REQ = 2149
ACCOUNTS_BY_ACCESS_TOKEN_RES = 2150
ACCOUNT_LOGOUT_REQ = 2162
ACCOUNT_LOGOUT_RES = 2163  # the logout completes with an ACCOUNT_DISCONNECT_EVENT
ACCOUNT_DISCONNECT_EVENT = 2164
REFRESH_TOKEN_REQ = 2173
REFRESH_TOKEN_RES = 2174
DEAL_LIST_BY_POSITION_ID_REQ = 2179
DEAL_LIST_BY_POSITION_ID_RES = 2180
POSITION_UNREALIZED_PNL_REQ = 2187
POSITION_UNREALIZED_PNL_RES = 2188

# The response each request is answered with (an error response may come instead).
RESPONSES: Mapping[int, int] = {
    APPLICATION_AUTH_REQ: APPLICATION_AUTH_RES,
    ACCOUNT_AUTH_REQ: ACCOUNT_AUTH_RES,
    ACCOUNT_LOGOUT_REQ: ACCOUNT_LOGOUT_RES,
    VERSION_REQ: VERSION_RES,
    CLOSE_POSITION_REQ: EXECUTION_EVENT,  # ORDER_ACCEPTED; the fill follows as another execution event
    ASSET_LIST_REQ: ASSET_LIST_RES,
    SYMBOLS_LIST_REQ: SYMBOLS_LIST_RES,
    SYMBOL_BY_ID_REQ: SYMBOL_BY_ID_RES,
    TRADER_REQ: TRADER_RES,
    RECONCILE_REQ: RECONCILE_RES,
    DEAL_LIST_REQ: DEAL_LIST_RES,
    CASH_FLOW_HISTORY_LIST_REQ: CASH_FLOW_HISTORY_LIST_RES,
    ACCOUNTS_BY_ACCESS_TOKEN_REQ: ACCOUNTS_BY_ACCESS_TOKEN_RES,
    REFRESH_TOKEN_REQ: REFRESH_TOKEN_RES,
    DEAL_LIST_BY_POSITION_ID_REQ: DEAL_LIST_BY_POSITION_ID_RES,
    POSITION_UNREALIZED_PNL_REQ: POSITION_UNREALIZED_PNL_RES,
}

# Requests for historical data: 5 a second per connection (the others: 50 a second).
HISTORICAL: frozenset[int] = frozenset(
    {DEAL_LIST_REQ, CASH_FLOW_HISTORY_LIST_REQ, DEAL_LIST_BY_POSITION_ID_REQ}
)

# ---- enumerations (ProtoOA...) ----
BUY, SELL = 1, 2  # ProtoOATradeSide
POSITION_OPEN, POSITION_CLOSED = 1, 2  # ProtoOAPositionStatus
ORDER_ACCEPTED, ORDER_FILLED, ORDER_REJECTED = 2, 3, 7  # ProtoOAExecutionType
DEPOSIT_WITHDRAW, ORDER_PARTIAL_FILL = 10, 11
LIMIT_ORDER, STOP_ORDER, STOP_LOSS_TAKE_PROFIT, STOP_LIMIT_ORDER = 2, 3, 4, 6  # ProtoOAOrderType
ORDER_STATUS_ACCEPTED = 1  # ProtoOAOrderStatus: working
DEAL_FILLED, DEAL_PARTIALLY_FILLED = 2, 3  # ProtoOADealStatus
# ProtoOAChangeBalanceType values that take money out of the account (the others put it in).
WITHDRAWALS: frozenset[int] = frozenset({1, 4, 6, 10, 12, 13, 14, 16, 17, 18, 20, 22, 28, 30, 32, 34, 35, 37})

_ENUM_NAMES: Mapping[str, int] = {
    "BUY": BUY,
    "SELL": SELL,
    "POSITION_STATUS_OPEN": POSITION_OPEN,
    "POSITION_STATUS_CLOSED": POSITION_CLOSED,
    "ORDER_ACCEPTED": ORDER_ACCEPTED,
    "ORDER_FILLED": ORDER_FILLED,
    "ORDER_REJECTED": ORDER_REJECTED,
    "DEPOSIT_WITHDRAW": DEPOSIT_WITHDRAW,
    "ORDER_PARTIAL_FILL": ORDER_PARTIAL_FILL,
    "STOP_LOSS_TAKE_PROFIT": STOP_LOSS_TAKE_PROFIT,
    "LIMIT": LIMIT_ORDER,
    "STOP": STOP_ORDER,
    "STOP_LIMIT": STOP_LIMIT_ORDER,
    "ORDER_STATUS_ACCEPTED": ORDER_STATUS_ACCEPTED,
    "FILLED": DEAL_FILLED,
    "PARTIALLY_FILLED": DEAL_PARTIALLY_FILLED,
    "BALANCE_DEPOSIT": 0,
    "BALANCE_WITHDRAW": 1,
}

# ---- error codes (ProtoErrorCode, ProtoOAErrorCode names, as sent in `errorCode`) ----
TOKEN_ERRORS = frozenset({"OA_AUTH_TOKEN_EXPIRED", "CH_ACCESS_TOKEN_INVALID"})
NOT_AUTHORIZED = frozenset({"ACCOUNT_NOT_AUTHORIZED", "CH_CLIENT_NOT_AUTHENTICATED"})
RATE_LIMITED = frozenset({"REQUEST_FREQUENCY_EXCEEDED", "BLOCKED_PAYLOAD_TYPE"})
TRANSIENT = frozenset(
    {
        "UNKNOWN_ERROR",
        "TIMEOUT_ERROR",
        "CANT_ROUTE_REQUEST",
        "CH_SERVER_NOT_REACHABLE",
        "SERVER_IS_UNDER_MAINTENANCE",
        "CONNECTIONS_LIMIT_EXCEEDED",
        "CONCURRENT_MODIFICATION",
        "PENDING_EXECUTION",
        "MARKET_CLOSED",
        "NO_QUOTES",
    }
)
ALREADY_AUTHORIZED = frozenset({"ALREADY_LOGGED_IN", "CH_CLIENT_ALREADY_AUTHENTICATED"})
POSITION_GONE = frozenset({"POSITION_NOT_FOUND", "POSITION_NOT_OPEN"})


@dataclass(frozen=True, slots=True)
class Frame:
    """One message on the wire."""

    payload_type: int
    payload: Mapping[str, Any] = field(default_factory=dict)
    client_msg_id: str | None = None

    @property
    def is_error(self) -> bool:
        return self.payload_type in (ERROR_RES, OA_ERROR_RES)

    @property
    def account_id(self) -> int | None:
        value = self.payload.get("ctidTraderAccountId")
        return int(value) if value is not None else None


class MalformedFrameError(ValueError):
    """Not a frame of the JSON protocol."""


def encode(frame: Frame) -> str:
    message: dict[str, Any] = {"payloadType": frame.payload_type, "payload": dict(frame.payload)}
    if frame.client_msg_id is not None:
        message["clientMsgId"] = frame.client_msg_id
    return json.dumps(message, separators=(",", ":"))


def decode(raw: str | bytes) -> Frame:
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedFrameError(f"not JSON: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("payloadType"), int):
        raise MalformedFrameError("a frame is an object with an integer payloadType")
    payload = message.get("payload") or {}
    if not isinstance(payload, dict):
        raise MalformedFrameError("payload must be an object")
    client_msg_id = message.get("clientMsgId")
    return Frame(message["payloadType"], payload, str(client_msg_id) if client_msg_id is not None else None)


# ---- reading payload values ----
def enum(value: Any, default: int = 0) -> int:
    """An enumeration sent as its number (or, leniently, its name)."""
    if value is None:
        return default
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return _ENUM_NAMES.get(value, default)
    return int(value)


def money(value: Any, digits: Any) -> Decimal:
    """A money field scaled by 10^moneyDigits (2 when the message does not say)."""
    return Decimal(int(value or 0)).scaleb(-int(2 if digits is None else digits))


def price(value: Any) -> Decimal:
    """A price sent as a JSON number (a double): its shortest decimal form, never binary noise."""
    return Decimal(str(value)) if value is not None else Decimal(0)


def optional_price(value: Any) -> Decimal | None:
    return price(value) if value not in (None, 0, 0.0) else None


def instant(milliseconds: Any) -> datetime:
    return datetime.fromtimestamp(int(milliseconds) / 1000, UTC)


def milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
