"""A fake of Match-Trader's Broker API: user accounts by e-mail, prop trading accounts (create, list with
`query`, get, update status), trading accounts (finance info, access rights), open and closed positions,
ledgers, close-all and manual deposits and withdrawals; `Authorization: <token>`, and its limit of 500
requests a minute per token (429 with Retry-After beyond it). `down = True` answers 503 to everything.

The trading book is `fakes.market.Market` (keyed by login): tests and a market simulator open and close
positions and move prices there (`self.market`).

Event stream (`stream_url`; `start(port, stream_port)`). The Broker API's live streams are gRPC server
streams; this fake serves the same messages as JSON over a WebSocket, which the connector reads through the
same stream interface (`connector/streams.py`: the transport is the one part that differs). A client sends
`{"type": "subscribe", "token": <API token>, "systemUuid", "logins": [...]}` and is answered
`{"type": "subscribed", "logins": [...]}` (an unknown token: `{"type": "error"}` and the stream ends); another
`subscribe` adds logins, `{"type": "unsubscribe", "logins": [...]}` lets some go (answered `unsubscribed`).
Every deal the market books for a subscribed login is `{"type": "positionUpdate" | "ledgerUpdate", "login",
"positionId", "event": "OPENED" | "CLOSED" | "BALANCE", "time"}`, and `{"type": "heartbeat"}` comes every
`heartbeat_interval` (the stream's keep-alive). Faults: `stream.drop_connections()`,
`stream.refuse_connections`, `stream.stop_heartbeats`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from fakes.market import FakeAccount, FakeDeal, FakePosition, Market
from fakes.push_socket import PushClient, PushSocket
from fakes.server import FakeService, HttpError, Reply, Request

API_TOKEN = "mt-propdesk-fake-token"  # noqa: S105 - the fake's own token
DEFAULT_CHALLENGE = {"initialBalance": Decimal(100000), "currency": "USD"}
ACCESS_TO_MARKET = {
    "FULL": "enabled",
    "CLOSE_ONLY": "read_only",
    "TRADING_DISABLED": "disabled",
    "TRADING_AND_LOGIN_DISABLED": "disabled",
}


class FakeMatchTrader(FakeService):
    def __init__(
        self,
        token: str = API_TOKEN,
        requests_per_minute: int = 500,
        clock: Callable[[], float] = time.monotonic,
        market: Market | None = None,
        heartbeat_interval: float = 10.0,
    ) -> None:
        super().__init__()
        self.stream = PushSocket(self._streamed, lambda: {"type": "heartbeat"}, heartbeat_interval)
        self.token = token
        self.requests_per_minute = requests_per_minute
        self.clock = clock
        self.market = market or Market()
        self.down = False
        self.users: dict[str, dict[str, Any]] = {}  # by e-mail
        self.prop_accounts: dict[str, dict[str, Any]] = {}  # by id
        self.challenges: dict[str, dict[str, Any]] = {}  # challengeId -> initialBalance, currency
        self.access: dict[str, str] = {}  # login -> access right
        self.rate_limited = 0
        self._recent: list[float] = []
        self.route("GET", "/v1/accounts/by-email/([^/]+)", self._user_by_email)
        self.route("POST", "/v1/accounts", self._create_user)
        self.route("POST", "/v1/prop/accounts", self._create_prop_account)
        self.route("GET", "/v1/prop/accounts", self._list_prop_accounts)
        self.route("GET", "/v1/prop/accounts/([^/]+)", self._get_prop_account)
        self.route("PUT", "/v1/prop/accounts", self._update_prop_account)
        self.route("GET", "/v1/trading-account", self._get_trading_account)
        self.route("PATCH", "/v1/trading-account", self._update_trading_account)
        self.route("GET", "/v1/trading-accounts/trading-data/open-positions", self._open_positions)
        self.route("GET", "/v1/trading-accounts/trading-data/closed-positions", self._closed_positions)
        self.route("GET", "/v1/trading-accounts/trading-data/ledgers", self._ledgers)
        self.route("POST", "/v1/trading-accounts/positions/close-all", self._close_all)
        self.route("POST", "/v1/deposits/manual", self._deposit)
        self.route("POST", "/v1/withdrawals/manual", self._withdrawal)

    def start(self, port: int = 0, stream_port: int = 0) -> str:
        url = super().start(port)
        self.stream.start(stream_port)
        self.market.listeners.append(self._booked)
        return url

    def stop(self) -> None:
        with self.market.lock:
            if self._booked in self.market.listeners:
                self.market.listeners.remove(self._booked)
        self.stream.stop()
        super().stop()

    @property
    def stream_url(self) -> str:
        return f"{self.stream.url}/v1/streams/trading-events"

    def dispatch(self, request: Request) -> Reply:
        if self.down:
            return Reply(503, {"message": "service unavailable"})
        if request.header("authorization") not in (self.token, f"Bearer {self.token}"):
            return Reply(401, {"message": "unauthorized"})
        now = self.clock()
        with self._lock:
            self._recent = [moment for moment in self._recent if now - moment < 60]
            if len(self._recent) >= self.requests_per_minute:
                self.rate_limited += 1
                wait = 60 - (now - self._recent[0])
                return Reply(429, {"message": "too many requests"}, {"Retry-After": str(max(1, int(wait)))})
            self._recent.append(now)
        return super().dispatch(request)

    # ---- the event stream ----
    def _streamed(self, client: PushClient, message: dict[str, Any]) -> None:
        if message.get("type") == "unsubscribe":
            logins = [str(login) for login in message.get("logins") or []]
            client.accounts.difference_update(logins)
            self.stream.send(client, {"type": "unsubscribed", "logins": logins})
            return
        if message.get("type") != "subscribe":
            return
        if message.get("token") != self.token or self.down:
            self.stream.send(client, {"type": "error", "message": "unauthorized"})
            client.connection.close()
            return
        logins = [str(login) for login in message.get("logins") or [] if self.market.account(str(login))]
        client.accounts.update(logins)
        self.stream.send(client, {"type": "subscribed", "logins": logins})

    def _booked(self, book: FakeAccount, deal: FakeDeal) -> None:
        kind = "ledgerUpdate" if deal.kind == "balance" else "positionUpdate"
        event = {"open": "OPENED", "close": "CLOSED"}.get(deal.kind, "BALANCE")
        message = {
            "type": kind,
            "login": book.login,
            "positionId": deal.position_id,
            "event": event,
            "time": _rfc3339(deal.time),
        }
        self.stream.publish(book.login, message)

    # ---- users ----
    def _user_by_email(self, request: Request, email: str) -> Reply:
        user = self.users.get(unquote(email).lower())
        if user is None:
            raise HttpError(404, {"message": "account not found"})
        return Reply(200, user)

    def _create_user(self, request: Request) -> Reply:
        body = request.json()
        email = str(body.get("email", "")).lower()
        if not email or not body.get("password"):
            raise HttpError(400, {"message": "email and password are required"})
        if email in self.users:
            raise HttpError(409, {"message": "account already exists"})
        details = body.get("personalDetails") or {}
        user = {
            "uuid": str(uuid.uuid4()),
            "email": email,
            "created": _rfc3339(self.market.now()),
            "personalDetails": {"firstname": details.get("firstname"), "lastname": details.get("lastname")},
            "role": "User",
        }
        self.users[email] = user
        return Reply(200, user)

    # ---- prop accounts ----
    def _create_prop_account(self, request: Request) -> Reply:
        body = request.json()
        user = next((u for u in self.users.values() if u["uuid"] == body.get("accountUuid")), None)
        if user is None or not body.get("challengeId"):
            raise HttpError(400, {"message": "challengeId and an existing accountUuid are required"})
        phase = int(request.query.get("phaseStep") or 1)
        active = request.query.get("instantlyActive", "false") == "true"
        challenge = self.challenges.get(str(body["challengeId"]), DEFAULT_CHALLENGE)
        book = self.market.open_account(
            user["email"],
            str(challenge["currency"]),
            Decimal(challenge["initialBalance"]),
            group=str(body["challengeId"]),
            reference=str(body.get("name", "")),
        )
        self.access[book.login] = "FULL"
        account = {
            "id": str(uuid.uuid4()),
            "brokerId": 0,
            "login": int(book.login),
            "email": user["email"],
            "name": body.get("name", ""),
            "created": _rfc3339(self.market.now()),
            "challengeDetails": {"challengeId": body["challengeId"], "phaseStep": phase},
            "status": "ACTIVE_PARTICIPATING_IN_CHALLENGE" if active else "CREATED_NOT_YET_PAID_CHALLENGE_FEE",
        }
        self.prop_accounts[account["id"]] = account
        return Reply(200, account)

    def _list_prop_accounts(self, request: Request) -> Reply:
        query = (request.query.get("query") or "").lower()
        rows = [
            a for a in self.prop_accounts.values() if not query or query in (a["email"], a["name"].lower())
        ]
        page, size = int(request.query.get("page") or 0), int(request.query.get("size") or 50)
        content = rows[page * size : (page + 1) * size]
        return Reply(200, {"content": content, "totalElements": len(rows), "number": page, "size": size})

    def _get_prop_account(self, request: Request, account_id: str) -> Reply:
        return Reply(200, self._prop(unquote(account_id)))

    def _update_prop_account(self, request: Request) -> Reply:
        body = request.json()
        account = self._prop(str(body.get("accountId")))
        if body.get("challengeId") != account["challengeDetails"]["challengeId"] or "phaseStep" not in body:
            raise HttpError(400, {"message": "challengeId and phaseStep must match the account"})
        status = body.get("status")
        if status == "INACTIVE":
            account["status"] = "LOCKED_FAILED_CHALLENGE"
        elif status == "ACTIVE":
            account["status"] = "ACTIVE_PARTICIPATING_IN_CHALLENGE"
        return Reply(200, account)

    # ---- trading accounts ----
    def _get_trading_account(self, request: Request) -> Reply:
        book = self._book(request)
        return Reply(200, self._trading_account(book))

    def _update_trading_account(self, request: Request) -> Reply:
        book = self._book(request)
        access = request.json().get("access")
        if access is not None:
            if access not in ACCESS_TO_MARKET:
                raise HttpError(400, {"message": f"unknown access {access}"})
            self.access[book.login] = access
            book.access = ACCESS_TO_MARKET[access]
        return Reply(200, self._trading_account(book))

    def _open_positions(self, request: Request) -> Reply:
        book = self._book(request)
        return Reply(200, {"positions": [self._position(p) for p in book.positions.values()]})

    def _closed_positions(self, request: Request) -> Reply:
        book = self._book(request)
        since, until = _window(request)
        rows = [self._closed(d) for d in book.deals if d.kind == "close" and since <= d.time <= until]
        return Reply(200, {"closedPositions": rows})

    def _ledgers(self, request: Request) -> Reply:
        book = self._book(request)
        since, until = _window(request)
        types = set((request.query.get("types") or request.query.get("types[]") or "").upper().split(",")) - {
            ""
        }
        rows = []
        for deal in book.deals:
            if deal.kind != "balance" or not since <= deal.time <= until:
                continue
            kind = "DEPOSIT" if deal.profit > 0 else "WITHDRAWAL"
            if not types or kind in types:
                rows.append(
                    {
                        "id": deal.deal_id,
                        "type": kind,
                        "time": _rfc3339(deal.time),
                        "profit": _num(deal.profit),
                        "comment": deal.comment,
                    }
                )
        return Reply(200, {"ledgers": rows})

    def _close_all(self, request: Request) -> Reply:
        body = request.json()
        for login in body.get("logins") or []:
            if self.market.account(str(login)) is None:
                raise HttpError(404, {"message": f"trading account {login} not found"})
            self.market.close_all(str(login), reason="manual")
        return Reply(200, {"orderId": str(uuid.uuid4())})

    def _deposit(self, request: Request) -> Reply:
        return self._payment(request, 1)

    def _withdrawal(self, request: Request) -> Reply:
        return self._payment(request, -1)

    def _payment(self, request: Request, sign: int) -> Reply:
        body = request.json()
        book = self.market.account(str(body.get("login")))
        if book is None:
            raise HttpError(404, {"message": "trading account not found"})
        size = Decimal(str(body.get("amount", "0")))
        if size <= 0 or "paymentGatewayUuid" not in body:
            raise HttpError(400, {"message": "a positive amount and a payment gateway are required"})
        if sign < 0 and size > book.balance:
            raise HttpError(400, {"message": "insufficient funds"})
        deal = self.market.balance_operation(book.account_id, size * sign, str(body.get("comment") or ""))
        return Reply(
            200,
            {
                "uuid": deal.deal_id,
                "created": _rfc3339(deal.time),
                "status": "DONE",
                "transactionInfo": {"amount": _num(size), "netAmount": _num(size), "currency": book.currency},
            },
        )

    # ---- helpers ----
    def _prop(self, account_id: str) -> dict[str, Any]:
        account = self.prop_accounts.get(account_id)
        if account is None:
            raise HttpError(404, {"message": "prop account not found"})
        return account

    def _book(self, request: Request) -> FakeAccount:
        if "systemUuid" not in request.query:
            raise HttpError(400, {"message": "systemUuid is required"})
        book = self.market.account(request.query.get("login", ""))
        if book is None:
            raise HttpError(404, {"message": "trading account not found"})
        return book

    def _trading_account(self, book: FakeAccount) -> dict[str, Any]:
        return {
            "uuid": book.account_id,
            "login": book.login,
            "created": _rfc3339(book.created),
            "group": book.group,
            "access": self.access.get(book.login, "FULL"),
            "accountType": "DEMO",
            "financeInfo": {
                "balance": _num(book.balance),
                "equity": _num(self.market.equity(book.account_id)),
                "currency": book.currency,
                "currencyPrecision": 2,
            },
        }

    def _position(self, position: FakePosition) -> dict[str, Any]:
        profit = self.market.floating(position)
        return {
            "id": position.position_id,
            "symbol": position.symbol,
            "alias": position.symbol,
            "volume": _num(position.lots),
            "side": position.side.upper(),
            "openTime": _rfc3339(position.opened_at),
            "openPrice": _num(position.open_price),
            "stopLoss": _num(position.stop_loss or Decimal(0)),
            "takeProfit": _num(position.take_profit or Decimal(0)),
            "swap": 0,
            "profit": _num(profit),
            "netProfit": _num(profit),
            "currentPrice": _num(self.market.price(position.symbol)),
            "commission": 0,
        }

    @staticmethod
    def _closed(deal: FakeDeal) -> dict[str, Any]:
        return {
            "id": deal.position_id,
            "openTime": _rfc3339(deal.opened_at or deal.time),
            "openPrice": _num(deal.open_price),
            "symbol": deal.symbol,
            "alias": deal.symbol,
            "volume": _num(deal.lots),
            "stopLoss": 0,
            "takeProfit": 0,
            "time": _rfc3339(deal.time),
            "closePrice": _num(deal.price),
            "commission": 0,
            "swap": 0,
            "profit": _num(deal.profit),
            "side": deal.side.upper(),
            "netProfit": _num(deal.profit),
            "closingOrderID": deal.deal_id,
            "reason": {"take_profit": "TAKE_PROFIT", "stop_loss": "STOP_LOSS", "stop_out": "STOP_OUT"}.get(
                deal.reason, "CLIENT"
            ),
            "comment": None,
        }

    def accounts_named(self, name: str) -> list[dict[str, Any]]:
        return [a for a in self.prop_accounts.values() if a["name"] == name]


def _window(request: Request) -> tuple[datetime, datetime]:
    since = request.query.get("from")
    until = request.query.get("to")
    start = _parse(since) if since else datetime.min.replace(tzinfo=UTC)
    end = _parse(until) if until else datetime.max.replace(tzinfo=UTC)
    return start, end


def _parse(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, {"message": f"bad time {value}"}) from None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _num(value: Decimal) -> float:
    """A JSON number as the platform sends it (the adapter reads it back as an exact Decimal)."""
    return float(value)
