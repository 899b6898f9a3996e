"""A fake of cTrader for a prop firm: the broker's WebServices API (HTTP, `?token=`) and the Open API's
JSON port (WebSocket frames `{"clientMsgId", "payloadType", "payload"}`), both translating one
`fakes.market.Market`.

WebServices (under `/v2/webserv` and `/cid`): create a trader (`POST /v2/webserv/traders`; its `description`
carries our reference), read one, list by registration time, change access rights or password (`PATCH`),
deposit/withdraw (`POST .../changebalance` with `externalId`), balance history; create a cTID for an
e-mail and link a trader to it (which gives the `ctidTraderAccountId` the Open API speaks of).

Open API: application auth, account auth with the OAuth2 access token (the one grant covers every linked
account), token refresh, accounts by token, trader, assets, symbols, reconcile (open positions), unrealized
P&L, deal list (paged with `hasMore`), deals by position, cash flow history (one week at most), close
position. Every deal the market books (a test, a market simulator, a close request, a balance change) is
pushed as a `ProtoOAExecutionEvent` to each connection that authorized the account. Heartbeats every
`heartbeat_interval`; a client silent for `client_timeout` is dropped; 50 requests a second per connection
(5 for historical data), and optionally `requests_per_minute` across both APIs (a lever for tests).

Fault switches: `drop_connections()` (sockets closed without a close frame), `refuse_connections`,
`stop_heartbeats`, `fail_next_requests(n, errorCode)`, `expire_access_token()`, `down` (HTTP 503, Open API
`SERVER_IS_UNDER_MAINTENANCE`), and `FakeService`'s `fail_next` / `fail_after_next` for HTTP. cTrader only:
`close_partially` (the market books whole closes). The WebSocket side uses the `websockets` package (a
development dependency).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fakes.market import FakeAccount, FakeDeal, FakeOrder, FakePosition, Market
from fakes.server import FakeService, HttpError, Reply, Request

MANAGER_TOKEN = "ctrader-fake-manager-token"  # noqa: S105 - the fake's own credentials
CLIENT_ID = "propdesk-fake-app"
CLIENT_SECRET = "ctrader-fake-client-secret"  # noqa: S105
ACCESS_TOKEN = "ctrader-fake-access-token"  # noqa: S105
REFRESH_TOKEN = "ctrader-fake-refresh-token"  # noqa: S105

ACCESS_RIGHTS = ("FULL_ACCESS", "CLOSE_ONLY", "NO_TRADING", "NO_LOGIN")  # ProtoOAAccessRights order
MARKET_ACCESS = {
    "FULL_ACCESS": "enabled",
    "CLOSE_ONLY": "read_only",
    "NO_TRADING": "disabled",
    "NO_LOGIN": "disabled",
}
HANDSHAKE = {51, 2100, 2102, 2173}  # not counted as requests, never failed on purpose
HISTORICAL = {2133, 2143, 2179}
# How the broker names canonical symbols: symbolId and name (others get an id and their canonical name).
BROKER_SYMBOLS = {
    "EURUSD": (1, "EURUSD"),
    "GBPUSD": (2, "GBPUSD"),
    "XAUUSD": (41, "XAUUSD"),
    "US30": (10, "US30.cash"),
}
ASSETS = {1: "USD", 2: "EUR", 3: "GBP"}
ORDER_TYPES = {"stop_loss": 4, "take_profit": 4}  # a protection order; others are market orders (1)


@dataclass
class _Client:
    number: int
    connection: Any
    last_heard: float
    app_authorized: bool = False
    accounts: dict[int, str] = field(default_factory=dict)  # ctidTraderAccountId -> token it used
    lock: threading.Lock = field(default_factory=threading.Lock)
    recent: list[tuple[float, bool]] = field(default_factory=list)  # (time, historical) in the last second
    alive: bool = True


@dataclass
class _Trader:
    """What cTrader keeps beside the market's book."""

    password_hash: str
    rights: str
    leverage: int
    name: str
    last_name: str
    email: str


class FakeCTrader(FakeService):
    def __init__(
        self,
        market: Market | None = None,
        manager_token: str = MANAGER_TOKEN,
        heartbeat_interval: float = 25.0,
        client_timeout: float = 60.0,
        deal_page_size: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.market = market or Market()
        self._lock = self.market.lock  # one lock: the market calls back into the fake (pushes)
        self.manager_token = manager_token
        self.heartbeat_interval = heartbeat_interval
        self.client_timeout = client_timeout
        self.deal_page_size = deal_page_size
        self.clock = clock  # request-rate windows (heartbeats keep real time)
        self.down = False
        self.stop_heartbeats = False
        self.refuse_connections = False  # new WebSocket connections are closed at once
        self.requests_per_minute: int | None = None
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.access_token, self.refresh_token = ACCESS_TOKEN, REFRESH_TOKEN
        self.expired_tokens: set[str] = set()
        self.traders: dict[str, _Trader] = {}  # by login
        self.users: dict[str, int] = {}  # e-mail -> cTID userId
        self.ctid_of: dict[str, int] = {}  # login -> ctidTraderAccountId
        self.received: list[tuple[int, int]] = []  # (connection number, payloadType) of every client frame
        self.socket_requests = 0  # Open API requests other than the handshake and heartbeats
        self.connections_opened = 0
        self.rate_limited = 0
        self._symbol_ids: dict[str, tuple[int, str]] = dict(BROKER_SYMBOLS)
        self._socket_failures: list[str] = []
        self._minute: list[float] = []
        self._clients: list[_Client] = []
        self._numbers = itertools.count(1)
        self._ctids = itertools.count(40_000_001)
        self._user_ids = itertools.count(10_000_001)
        self._order_ids = itertools.count(7_000_001)
        self._orders: dict[str, dict[str, Any]] = {}  # deal id -> the order that made it
        self._protection: dict[str, tuple[Decimal | None, Decimal | None]] = {}  # position id -> (SL, TP)
        self._ws_server: Any = None
        self._stopped = threading.Event()
        self.market.listeners.append(self._booked)
        self.route("POST", "/v2/webserv/traders", self._create_trader)
        self.route("GET", "/v2/webserv/traders", self._list_traders)
        self.route("GET", r"/v2/webserv/traders/(\d+)", self._get_trader)
        self.route("PATCH", r"/v2/webserv/traders/(\d+)", self._update_trader)
        self.route("POST", r"/v2/webserv/traders/(\d+)/changebalance", self._change_balance)
        self.route("GET", r"/v2/webserv/traders/(\d+)/balancehistory", self._balance_history)
        self.route("POST", "/cid/ctid/create", self._create_ctid)
        self.route("POST", "/cid/ctid/link", self._link)

    # ================= serving =================
    def start(self, port: int = 0, ws_port: int = 0) -> str:
        from websockets.sync.server import serve

        url = super().start(port)
        self._stopped.clear()
        self._ws_server = serve(
            self._serve_client, "127.0.0.1", ws_port, ping_interval=None, compression=None, max_size=2**24
        )
        threading.Thread(target=self._ws_server.serve_forever, daemon=True).start()
        return url

    @property
    def ws_url(self) -> str:
        if self._ws_server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._ws_server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def stop(self) -> None:
        self._stopped.set()
        self.drop_connections()
        if self._ws_server is not None:
            self._ws_server.shutdown()
            self._ws_server = None
        super().stop()

    def dispatch(self, request: Request) -> Reply:
        if self.down:
            return Reply(503, {"errorCode": "SERVICE_UNAVAILABLE"})
        if request.query.get("token") != self.manager_token:
            return Reply(401, {"errorCode": "INVALID_TOKEN", "description": "manager token required"})
        with self._lock:
            wait = self._over_minute_limit()
        if wait is not None:
            return Reply(429, {"errorCode": "TOO_MANY_REQUESTS"}, {"Retry-After": str(wait)})
        return super().dispatch(request)

    # ================= test controls =================
    def drop_connections(self) -> None:
        """Close every Open API socket abruptly (no close frame), as a network failure would."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            _abort(client)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for client in self._clients if client.alive)

    def fail_next_requests(self, count: int = 1, error_code: str = "CH_SERVER_NOT_REACHABLE") -> None:
        """The next `count` Open API requests (not the handshake) are answered with `ProtoOAErrorRes`."""
        with self._lock:
            self._socket_failures.extend([error_code] * count)

    def expire_access_token(self) -> None:
        """The access token expires: its sessions are told (and dropped); auth with it fails from now on."""
        with self._lock:
            self.expired_tokens.add(self.access_token)
            self._invalidate_sessions_of(self.access_token, "Access Token is expired")

    def close_partially(
        self, login: str, position_id: str, lots: Decimal, price: Decimal | None = None
    ) -> FakeDeal:
        """Close `lots` of a position (the market books whole closes only); the position stays open."""
        with self._lock:
            account = self._account(login)
            position = account.positions[position_id]
            if not 0 < lots < position.lots:
                raise ValueError("a partial close closes less than the position")
            if price is not None:
                self.market.set_price(position.symbol, price)
            part = FakePosition(
                position_id, position.symbol, position.side, lots, position.open_price, position.opened_at
            )
            profit = self.market.floating(part)
            position.lots -= lots
            account.balance += profit
            price_now = self.market.price(position.symbol)
            deal = FakeDeal(self.market.next_id(), "close", self.market.now(), position_id, position.symbol)
            deal.side, deal.lots, deal.price, deal.profit, deal.reason = (
                position.side,
                lots,
                price_now,
                profit,
                "manual",
            )
            deal.open_price, deal.opened_at = position.open_price, position.opened_at
            self.market._book(account, deal)
            return deal

    def open_linked_account(
        self,
        email: str,
        balance: Decimal = Decimal("100000"),
        currency: str = "USD",
        group: str = "challenge-100k",
        reference: str = "",
        password: str = "trader-password",  # noqa: S107 - a fake trader's
    ) -> tuple[str, int]:
        """A trader created and linked to its e-mail's cTID, as the WebServices calls would: (login, the
        Open API's ctidTraderAccountId)."""
        with self._lock:
            account = self.market.open_account(email, currency, balance, group, reference)
            self.traders[account.login] = _Trader(_md5(password), "FULL_ACCESS", 10_000, "", "", email)
            self.users.setdefault(email.lower(), next(self._user_ids))
            self.ctid_of[account.login] = next(self._ctids)
            return account.login, self.ctid_of[account.login]

    def authorized_accounts(self) -> set[int]:
        """The accounts some open connection has authorized."""
        with self._lock:
            return {account for client in self._clients if client.alive for account in client.accounts}

    def account_id_of(self, login: str) -> int:
        return self.ctid_of[login]

    def password_matches(self, login: str, password: str) -> bool:
        return self.traders[login].password_hash == _md5(password)

    # ================= WebServices =================
    def _create_trader(self, request: Request) -> Reply:
        body = request.json()
        required = ("accessRights", "accountType", "balance", "brokerName", "depositCurrency", "groupName")
        missing = [key for key in (*required, "hashedPassword", "leverageInCents") if key not in body]
        if missing or body.get("accessRights") not in ACCESS_RIGHTS:
            raise HttpError(400, {"errorCode": "INVALID_REQUEST", "description": f"missing {missing}"})
        if body["depositCurrency"] not in ASSETS.values():
            raise HttpError(400, {"errorCode": "INVALID_REQUEST", "description": "unknown deposit currency"})
        email = str((body.get("contactDetails") or {}).get("email", ""))
        balance = Decimal(int(body["balance"])).scaleb(-2)
        account = self.market.open_account(
            email, body["depositCurrency"], balance, body["groupName"], str(body.get("description", ""))
        )
        self.traders[account.login] = _Trader(
            body["hashedPassword"],
            body["accessRights"],
            int(body["leverageInCents"]),
            str(body.get("name", "")),
            str(body.get("lastName", "")),
            email,
        )
        account.access = MARKET_ACCESS[body["accessRights"]]
        return Reply(201, self._trader_entity(account))

    def _list_traders(self, request: Request) -> Reply:
        since, until = _parse_time(request.query.get("from")), _parse_time(request.query.get("to"))
        rows = [
            self._trader_entity(account)
            for account in self.market.accounts.values()
            if account.login in self.traders and since <= account.created <= until
        ]
        return Reply(200, {"trader": rows})

    def _get_trader(self, request: Request, login: str) -> Reply:
        return Reply(200, self._trader_entity(self._account(login)))

    def _update_trader(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        body = request.json()
        rights = body.get("accessRights")
        if rights is not None and rights not in ACCESS_RIGHTS:
            raise HttpError(400, {"errorCode": "INVALID_REQUEST", "description": "accessRights"})
        if rights is not None:
            self.traders[login].rights = rights
            account.access = MARKET_ACCESS[rights]
        if body.get("hashedPassword"):
            self.traders[login].password_hash = str(body["hashedPassword"])
        return Reply(204)

    def _change_balance(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        body = request.json()
        kind = body.get("type")
        amount = Decimal(str(body.get("preciseAmount", "0")))
        if kind not in ("DEPOSIT", "WITHDRAW") or amount <= 0 or str(body.get("login")) != login:
            raise HttpError(
                400, {"errorCode": "INVALID_REQUEST", "description": "type, login, positive amount"}
            )
        if kind == "WITHDRAW" and amount > account.balance:
            raise HttpError(400, {"errorCode": "NOT_ENOUGH_MONEY", "description": "balance too low"})
        signed = amount if kind == "DEPOSIT" else -amount
        # the Open API shows an operation's externalNote (kept as the deal's comment), not its comment
        note = body.get("externalNote") or body.get("comment") or ""
        deal = self.market.balance_operation(login, signed, str(note), str(body.get("externalId", "")))
        return Reply(200, {"balanceHistoryId": int(deal.deal_id)})

    def _balance_history(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        since, until = _parse_time(request.query.get("from")), _parse_time(request.query.get("to"))
        rows = [
            {
                **_cash_flow(account, deal),
                "login": int(login),
                "externalId": deal.reference,
                "comment": deal.comment,
            }
            for deal in account.deals
            if deal.kind == "balance" and since <= deal.time <= until
        ]
        return Reply(200, {"balanceHistory": rows})

    def _create_ctid(self, request: Request) -> Reply:
        email = str(request.json().get("email", "")).lower()
        if "@" not in email:
            raise HttpError(400, {"errorCode": "INVALID_REQUEST", "description": "email"})
        if email in self.users:
            return Reply(200, {"userId": self.users[email]})
        self.users[email] = next(self._user_ids)
        return Reply(201, {"userId": self.users[email], "email": email, "status": "CTID_NEW"})

    def _link(self, request: Request) -> Reply:
        body = request.json()
        login = str(body.get("traderLogin", ""))
        self._account(login)
        if body.get("traderPasswordHash") != self.traders[login].password_hash:
            raise HttpError(400, {"errorCode": "INVALID_PASSWORD", "description": "traderPasswordHash"})
        if int(body.get("userId", 0)) not in self.users.values():
            raise HttpError(404, {"errorCode": "USER_NOT_FOUND", "description": "userId"})
        if login not in self.ctid_of:
            self.ctid_of[login] = next(self._ctids)
        return Reply(
            200, {"ctidTraderAccountId": self.ctid_of[login]} if body.get("returnAccountDetails") else None
        )

    def _trader_entity(self, account: FakeAccount) -> dict[str, Any]:
        trader = self.traders[account.login]
        moment = _ms(account.created)
        return {
            "login": int(account.login),
            "groupName": account.group,
            "depositCurrency": account.currency,
            "accessRights": trader.rights,
            "balance": _cents(account.balance),
            "equity": _cents(self.market.equity(account.account_id)),
            "leverageInCents": trader.leverage,
            "accountType": "HEDGED",
            "name": trader.name,
            "lastName": trader.last_name,
            "description": account.reference,
            "contactDetails": {"email": trader.email},
            "registrationTimestamp": moment,
            "lastUpdateTimestamp": moment,
            "moneyDigits": 2,
        }

    # ================= Open API: connections =================
    def _serve_client(self, connection: Any) -> None:
        if self.refuse_connections:
            connection.close()
            return
        with self._lock:
            client = _Client(next(self._numbers), connection, time.monotonic())
            self._clients.append(client)
            self.connections_opened += 1
        threading.Thread(target=self._heartbeats, args=(client,), daemon=True).start()
        try:
            for raw in connection:
                client.last_heard = time.monotonic()
                self._handle(client, raw)
        except Exception:  # noqa: S110 - a client going away mid-frame ends its session, nothing more
            pass
        finally:
            client.alive = False
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)

    def _heartbeats(self, client: _Client) -> None:
        tick = min(self.heartbeat_interval, self.client_timeout) / 4
        last_beat = time.monotonic()
        while client.alive and not self._stopped.is_set():
            time.sleep(tick)
            now = time.monotonic()
            if now - client.last_heard > self.client_timeout:
                with self._lock:
                    if client in self._clients:
                        self._clients.remove(client)
                _abort(client)
                return
            if now - last_beat >= self.heartbeat_interval and not self.stop_heartbeats:
                last_beat = now
                self._send(client, 51, {})

    def _handle(self, client: _Client, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            kind = int(message["payloadType"])
            payload = message.get("payload") or {}
            msg_id = message.get("clientMsgId")
        except (ValueError, KeyError, TypeError):
            self._send(client, 50, {"errorCode": "INVALID_REQUEST", "description": "not a frame"})
            return
        with self._lock:
            self.received.append((client.number, kind))
            if kind == 51:
                return
            if kind not in HANDSHAKE:
                self.socket_requests += 1
                refusal = self._refusal(client, kind)
                if refusal is not None:
                    code, retry = refusal
                    return self._error(client, msg_id, code, "refused by the fake", retry=retry)
            try:
                self._answer(client, kind, msg_id, payload)
            except HttpError as error:  # a look-up of something that is not there
                self._error(client, msg_id, "ENTITY_NOT_FOUND", str(error.reply.body))

    def _refusal(self, client: _Client, kind: int) -> tuple[str, int | None] | None:
        if self.down:
            return "SERVER_IS_UNDER_MAINTENANCE", None
        if self._socket_failures:
            return self._socket_failures.pop(0), None
        wait = self._over_minute_limit()
        if wait is not None or self._over_second_limit(client, kind):
            return "REQUEST_FREQUENCY_EXCEEDED", wait or 1
        return None

    def _over_minute_limit(self) -> int | None:
        if self.requests_per_minute is None:
            return None
        now = self.clock()
        self._minute = [moment for moment in self._minute if now - moment < 60]
        if len(self._minute) >= self.requests_per_minute:
            self.rate_limited += 1
            return max(1, int(60 - (now - self._minute[0])) + 1)
        self._minute.append(now)
        return None

    def _over_second_limit(self, client: _Client, kind: int) -> bool:
        now, historical = self.clock(), kind in HISTORICAL
        client.recent = [(at, hist) for at, hist in client.recent if now - at < 1.0]
        if sum(1 for _, hist in client.recent if hist == historical) >= (5 if historical else 50):
            self.rate_limited += 1
            return True
        client.recent.append((now, historical))
        return False

    def _answer(self, client: _Client, kind: int, msg_id: Any, payload: dict[str, Any]) -> None:
        if kind == 2100:
            return self._application_auth(client, msg_id, payload)
        if not client.app_authorized:
            return self._error(
                client, msg_id, "CH_CLIENT_NOT_AUTHENTICATED", "authorize the application first"
            )
        if kind == 2102:
            return self._account_auth(client, msg_id, payload)
        if kind == 2162:
            return self._account_logout(client, msg_id, payload)
        if kind == 2173:
            return self._refresh(client, msg_id, payload)
        if kind == 2149:
            return self._accounts_by_token(client, msg_id, payload)
        if kind == 2104:
            return self._send(client, 2105, {"version": "fake-ctrader"}, msg_id)
        handler = self._account_handlers().get(kind)
        if handler is None:
            return self._send(client, 50, {"errorCode": "UNSUPPORTED_MESSAGE"}, msg_id)
        account_id = int(payload.get("ctidTraderAccountId", 0))
        if account_id not in client.accounts:
            return self._error(client, msg_id, "ACCOUNT_NOT_AUTHORIZED", "authorize the account first")
        account = self._account(self._login_of(account_id))
        handler(client, msg_id, account_id, account, payload)

    def _account_handlers(
        self,
    ) -> dict[int, Callable[[_Client, Any, int, FakeAccount, dict[str, Any]], None]]:
        return {
            2121: self._trader_req,
            2112: self._assets,
            2114: self._symbols_list,
            2116: self._symbol_by_id,
            2124: self._reconcile,
            2187: self._unrealized,
            2133: self._deal_list,
            2179: self._deals_by_position,
            2143: self._cash_flow_req,
            2111: self._close_req,
        }

    # ================= Open API: authorization =================
    def _application_auth(self, client: _Client, msg_id: Any, payload: dict[str, Any]) -> None:
        if client.app_authorized:
            return self._error(client, msg_id, "CH_CLIENT_ALREADY_AUTHENTICATED", "")
        if (payload.get("clientId"), payload.get("clientSecret")) != (self.client_id, self.client_secret):
            return self._error(client, msg_id, "CH_CLIENT_AUTH_FAILURE", "wrong client credentials")
        client.app_authorized = True
        self._send(client, 2101, {}, msg_id)

    def _account_auth(self, client: _Client, msg_id: Any, payload: dict[str, Any]) -> None:
        account_id = int(payload.get("ctidTraderAccountId", 0))
        token = payload.get("accessToken")
        if token in self.expired_tokens:
            return self._error(client, msg_id, "OA_AUTH_TOKEN_EXPIRED", "access token expired", account_id)
        if token != self.access_token:
            return self._error(client, msg_id, "CH_ACCESS_TOKEN_INVALID", "access token invalid", account_id)
        if account_id not in self.ctid_of.values():
            return self._error(client, msg_id, "CH_CTID_TRADER_ACCOUNT_NOT_FOUND", "", account_id)
        if account_id in client.accounts:
            return self._error(client, msg_id, "ALREADY_LOGGED_IN", "", account_id)
        client.accounts[account_id] = str(token)
        self._send(client, 2103, {"ctidTraderAccountId": account_id}, msg_id)

    def _account_logout(self, client: _Client, msg_id: Any, payload: dict[str, Any]) -> None:
        """`ProtoOAAccountLogoutRes`, then the logout completes with `ProtoOAAccountDisconnectEvent`."""
        account_id = int(payload.get("ctidTraderAccountId", 0))
        if account_id not in client.accounts:
            return self._error(client, msg_id, "ACCOUNT_NOT_AUTHORIZED", "", account_id)
        self._send(client, 2163, {"ctidTraderAccountId": account_id}, msg_id)
        del client.accounts[account_id]
        self._send(client, 2164, {"ctidTraderAccountId": account_id})

    def _refresh(self, client: _Client, msg_id: Any, payload: dict[str, Any]) -> None:
        if payload.get("refreshToken") != self.refresh_token:
            return self._error(client, msg_id, "CH_ACCESS_TOKEN_INVALID", "refresh token invalid")
        old = self.access_token
        self.access_token = f"ctrader-fake-access-{secrets.token_hex(6)}"
        self.refresh_token = f"ctrader-fake-refresh-{secrets.token_hex(6)}"
        self.expired_tokens.add(old)
        answer = {"accessToken": self.access_token, "tokenType": "bearer", "expiresIn": 2_628_000}
        self._send(client, 2174, {**answer, "refreshToken": self.refresh_token}, msg_id)
        self._invalidate_sessions_of(old, "token was refreshed")

    def _accounts_by_token(self, client: _Client, msg_id: Any, payload: dict[str, Any]) -> None:
        if payload.get("accessToken") != self.access_token:
            return self._error(client, msg_id, "CH_ACCESS_TOKEN_INVALID", "")
        accounts = [
            {"ctidTraderAccountId": ctid, "isLive": False, "traderLogin": int(login)}
            for login, ctid in self.ctid_of.items()
        ]
        answer = {"accessToken": self.access_token, "permissionScope": 1, "ctidTraderAccount": accounts}
        self._send(client, 2150, answer, msg_id)

    def _invalidate_sessions_of(self, token: str, reason: str) -> None:
        for client in list(self._clients):
            gone = [account for account, used in client.accounts.items() if used == token]
            for account in gone:
                del client.accounts[account]
            if gone:
                self._send(client, 2147, {"ctidTraderAccountIds": gone, "reason": reason})

    # ================= Open API: account requests =================
    def _trader_req(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, _: dict[str, Any]
    ) -> None:
        trader = self.traders[account.login]
        body = {
            "ctidTraderAccountId": account_id,
            "balance": _cents(account.balance),
            "depositAssetId": next(aid for aid, name in ASSETS.items() if name == account.currency),
            "accessRights": ACCESS_RIGHTS.index(trader.rights),
            "leverageInCents": trader.leverage,
            "traderLogin": int(account.login),
            "accountType": 0,
            "moneyDigits": 2,
        }
        self._send(client, 2122, {"ctidTraderAccountId": account_id, "trader": body}, msg_id)

    def _assets(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, _: dict[str, Any]
    ) -> None:
        assets = [
            {"assetId": aid, "name": name, "displayName": name, "digits": 2} for aid, name in ASSETS.items()
        ]
        self._send(client, 2113, {"ctidTraderAccountId": account_id, "asset": assets}, msg_id)

    def _symbols_list(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, _: dict[str, Any]
    ) -> None:
        for symbol in self.market.contract_sizes:
            self._symbol(symbol)
        rows = [
            {"symbolId": sid, "symbolName": name, "enabled": True} for sid, name in self._symbol_ids.values()
        ]
        self._send(client, 2115, {"ctidTraderAccountId": account_id, "symbol": rows}, msg_id)

    def _symbol_by_id(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, body: dict[str, Any]
    ) -> None:
        wanted = {int(x) for x in body.get("symbolId") or ()}
        rows = [
            {
                "symbolId": sid,
                "digits": 5,
                "pipPosition": 4,
                "lotSize": int(self.market.contract_sizes.get(symbol, Decimal(1)) * 100),
            }
            for symbol, (sid, _) in self._symbol_ids.items()
            if sid in wanted
        ]
        self._send(client, 2117, {"ctidTraderAccountId": account_id, "symbol": rows}, msg_id)

    def _reconcile(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, _: dict[str, Any]
    ) -> None:
        rows = [self._position(p, open_=True) for p in account.positions.values()]
        orders = [self._pending(o) for o in account.orders.values()]
        orders += [self._stop_loss_order(p) for p in account.positions.values() if p.stop_loss is not None]
        answer = {"ctidTraderAccountId": account_id, "position": rows, "order": orders}
        self._send(client, 2125, answer, msg_id)

    def _pending(self, order: FakeOrder) -> dict[str, Any]:
        """A working order (`ProtoOAOrder`): LIMIT 2 or STOP 3, ACCEPTED 1."""
        wire: dict[str, Any] = {
            "orderId": int(order.order_id),
            "tradeData": {
                "symbolId": self._symbol(order.symbol)[0],
                "volume": self._volume(order.symbol, order.lots),
                "tradeSide": 1 if order.side == "buy" else 2,
                "openTimestamp": _ms(order.placed_at),
            },
            "orderType": 2 if order.order_type == "limit" else 3,
            "orderStatus": 1,
            "utcLastUpdateTimestamp": _ms(order.placed_at),
            "closingOrder": False,
        }
        wire["limitPrice" if order.order_type == "limit" else "stopPrice"] = float(order.price)
        return wire

    def _stop_loss_order(self, position: FakePosition) -> dict[str, Any]:
        """A position's stop loss, as cTrader lists it among the orders (STOP_LOSS_TAKE_PROFIT 4)."""
        return {
            "orderId": next(self._order_ids),
            "tradeData": {
                "symbolId": self._symbol(position.symbol)[0],
                "volume": self._volume(position.symbol, position.lots),
                "tradeSide": 2 if position.side == "buy" else 1,
                "openTimestamp": _ms(position.opened_at),
            },
            "orderType": 4,
            "orderStatus": 1,
            "positionId": int(position.position_id),
            "stopPrice": float(position.stop_loss or 0),
            "closingOrder": True,
        }

    def _unrealized(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, _: dict[str, Any]
    ) -> None:
        rows = []
        for position in account.positions.values():
            pnl = _cents(self.market.floating(position))
            rows.append(
                {"positionId": int(position.position_id), "grossUnrealizedPnL": pnl, "netUnrealizedPnL": pnl}
            )
        answer = {"ctidTraderAccountId": account_id, "positionUnrealizedPnL": rows, "moneyDigits": 2}
        self._send(client, 2188, answer, msg_id)

    def _deal_list(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, body: dict[str, Any]
    ) -> None:
        since, until = int(body.get("fromTimestamp", 0)), int(body.get("toTimestamp", 2_147_483_646_000))
        limit = min(int(body.get("maxRows") or self.deal_page_size), self.deal_page_size)
        rows = [
            self._deal(account, deal)
            for deal in account.deals
            if deal.kind != "balance" and since <= _ms(deal.time) <= until
        ]
        rows.sort(key=lambda d: (d["executionTimestamp"], d["dealId"]))
        answer = {"ctidTraderAccountId": account_id, "deal": rows[:limit], "hasMore": len(rows) > limit}
        self._send(client, 2134, answer, msg_id)

    def _deals_by_position(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, body: dict[str, Any]
    ) -> None:
        wanted = str(body.get("positionId", ""))
        rows = [
            self._deal(account, d) for d in account.deals if d.kind != "balance" and d.position_id == wanted
        ]
        self._send(client, 2180, {"ctidTraderAccountId": account_id, "deal": rows, "hasMore": False}, msg_id)

    def _cash_flow_req(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, body: dict[str, Any]
    ) -> None:
        since, until = int(body.get("fromTimestamp", 0)), int(body.get("toTimestamp", 0))
        if until - since > 604_800_000 or until < since:
            return self._error(client, msg_id, "INCORRECT_BOUNDARIES", "one week at most", account_id)
        rows = [
            _cash_flow(account, d)
            for d in account.deals
            if d.kind == "balance" and since <= _ms(d.time) <= until
        ]
        self._send(client, 2144, {"ctidTraderAccountId": account_id, "depositWithdraw": rows}, msg_id)

    def _close_req(
        self, client: _Client, msg_id: Any, account_id: int, account: FakeAccount, body: dict[str, Any]
    ) -> None:
        if self.traders[account.login].rights not in ("FULL_ACCESS", "CLOSE_ONLY"):
            return self._error(client, msg_id, "TRADING_NOT_ALLOWED", "the account is read only", account_id)
        position = account.positions.get(str(body.get("positionId", "")))
        if position is None:
            closed = any(d.position_id == str(body.get("positionId")) for d in account.deals)
            return self._error(
                client, msg_id, "POSITION_NOT_OPEN" if closed else "POSITION_NOT_FOUND", "", account_id
            )
        accepted = {
            "ctidTraderAccountId": account_id,
            "executionType": 2,
            "position": self._position(position, open_=True),
            "order": self._order(position, closing=True, lots=position.lots, reason="manual"),
        }
        self._send(client, 2126, accepted, msg_id)
        self.market.close_position(account.account_id, position.position_id)  # pushes the fill

    # ================= translation =================
    def _booked(self, account: FakeAccount, deal: FakeDeal) -> None:
        """The market booked a deal: push it to the sessions of its account."""
        account_id = self.ctid_of.get(account.login)
        if account_id is None:
            return
        event: dict[str, Any] = {"ctidTraderAccountId": account_id}
        if deal.kind == "balance":
            event |= {"executionType": 10, "depositWithdraw": _cash_flow(account, deal)}
        else:
            position = account.positions.get(deal.position_id)
            still_open = position is not None
            if position is not None:
                self._protection[deal.position_id] = (position.stop_loss, position.take_profit)
            else:  # closed by this deal: rebuild what it was
                stop_loss, take_profit = self._protection.get(deal.position_id, (None, None))
                position = FakePosition(
                    deal.position_id,
                    deal.symbol,
                    deal.side,
                    deal.lots,
                    deal.open_price,
                    deal.opened_at or deal.time,
                    stop_loss,
                    take_profit,
                )
            order = self._order(position, closing=deal.kind == "close", lots=deal.lots, reason=deal.reason)
            self._orders[deal.deal_id] = order
            event |= {
                "executionType": 3,
                "position": self._position(position, open_=still_open),
                "order": order,
                "deal": self._deal(account, deal),
            }
        for client in list(self._clients):
            if account_id in client.accounts:
                self._send(client, 2126, event)

    def _position(self, position: FakePosition, open_: bool) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "positionId": int(position.position_id),
            "tradeData": {
                "symbolId": self._symbol(position.symbol)[0],
                "volume": self._volume(position.symbol, position.lots) if open_ else 0,
                "tradeSide": 1 if position.side == "buy" else 2,
                "openTimestamp": _ms(position.opened_at),
            },
            "positionStatus": 1 if open_ else 2,
            "swap": 0,
            "price": float(position.open_price),
            "utcLastUpdateTimestamp": _ms(position.opened_at),
            "commission": 0,
            "moneyDigits": 2,
        }
        if position.stop_loss is not None:
            wire["stopLoss"] = float(position.stop_loss)
        if position.take_profit is not None:
            wire["takeProfit"] = float(position.take_profit)
        return wire

    def _order(self, position: FakePosition, closing: bool, lots: Decimal, reason: str) -> dict[str, Any]:
        side = 1 if (position.side == "buy") != closing else 2
        volume = self._volume(position.symbol, lots)
        order: dict[str, Any] = {
            "orderId": next(self._order_ids),
            "tradeData": {"symbolId": self._symbol(position.symbol)[0], "volume": volume, "tradeSide": side},
            "orderType": ORDER_TYPES.get(reason, 1) if closing else 1,
            "orderStatus": 2,
            "executedVolume": volume,
            "closingOrder": closing,
            "positionId": int(position.position_id),
        }
        if closing and reason == "stop_out":
            order["isStopOut"] = True
        return order

    def _deal(self, account: FakeAccount, deal: FakeDeal) -> dict[str, Any]:
        closing = deal.kind == "close"
        volume = self._volume(deal.symbol, deal.lots)
        moment = _ms(deal.time)
        wire: dict[str, Any] = {
            "dealId": int(deal.deal_id),
            "orderId": int(self._orders.get(deal.deal_id, {}).get("orderId", 0)),
            "positionId": int(deal.position_id),
            "volume": volume,
            "filledVolume": volume,
            "symbolId": self._symbol(deal.symbol)[0],
            "createTimestamp": moment,
            "executionTimestamp": moment,
            "executionPrice": float(deal.price),
            "tradeSide": 1 if (deal.side == "buy") != closing else 2,  # a closing deal trades the other way
            "dealStatus": 2,
            "commission": 0,
            "moneyDigits": 2,
        }
        if closing:
            wire["closePositionDetail"] = {
                "entryPrice": float(deal.open_price),
                "grossProfit": _cents(deal.profit),
                "swap": 0,
                "commission": 0,
                "balance": _cents(account.balance),
                "closedVolume": volume,
                "moneyDigits": 2,
            }
        return wire

    def _symbol(self, canonical: str) -> tuple[int, str]:
        if canonical not in self._symbol_ids:
            self._symbol_ids[canonical] = (1000 + len(self._symbol_ids), canonical)
        return self._symbol_ids[canonical]

    def _volume(self, canonical: str, lots: Decimal) -> int:
        return int(lots * self.market.contract_sizes.get(canonical, Decimal(1)) * 100)

    # ================= plumbing =================
    def _error(
        self,
        client: _Client,
        msg_id: Any,
        code: str,
        description: str,
        account: int | None = None,
        retry: int | None = None,
    ) -> None:
        payload: dict[str, Any] = {"errorCode": code, "description": description}
        if account is not None:
            payload["ctidTraderAccountId"] = account
        if retry is not None:
            payload["retryAfter"] = retry
        self._send(client, 2142, payload, msg_id)

    def _send(self, client: _Client, kind: int, payload: dict[str, Any], msg_id: Any = None) -> None:
        message: dict[str, Any] = {"payloadType": kind, "payload": payload}
        if msg_id is not None:
            message["clientMsgId"] = msg_id
        with client.lock:
            if not client.alive:
                return
            try:
                client.connection.send(json.dumps(message))
            except Exception:
                client.alive = False

    def _account(self, login: str) -> FakeAccount:
        account = self.market.account(login)
        if account is None or login not in self.traders:
            raise HttpError(404, {"errorCode": "TRADER_NOT_FOUND", "description": f"no trader {login}"})
        return account

    def _login_of(self, account_id: int) -> str:
        return next(login for login, ctid in self.ctid_of.items() if ctid == account_id)


def _cash_flow(account: FakeAccount, deal: FakeDeal) -> dict[str, Any]:
    balance_after = account.balance - sum(
        (d.profit for d in account.deals[account.deals.index(deal) + 1 :] if d.kind != "open"), Decimal(0)
    )
    return {
        "operationType": 0 if deal.profit > 0 else 1,
        "balanceHistoryId": int(deal.deal_id),
        "balance": _cents(balance_after),
        "delta": _cents(abs(deal.profit)),
        "changeBalanceTimestamp": _ms(deal.time),
        "externalNote": deal.comment,
        "moneyDigits": 2,
    }


def _abort(client: _Client) -> None:
    client.alive = False
    sock = getattr(client.connection, "socket", None)
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1)))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _parse_time(value: str | None) -> datetime:
    """WebServices times: `YYYY-MM-DDTHH:MM:SS.sss`, UTC."""
    if not value:
        raise HttpError(400, {"errorCode": "INVALID_REQUEST", "description": "from and to are required"})
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        raise HttpError(400, {"errorCode": "INVALID_REQUEST", "description": f"bad time {value}"}) from None
