"""A fake of DXtrade's REST APIs: the trading API under `/dxsca-web` (`POST /login` → session token,
`Authorization: DXAPI <token>`, sessions that time out after `session_timeout` seconds of inactivity on the
fake's clock; positions, metrics, orders history, cash transfers, closing orders) and the administrative API
under `/api/register` (users, accounts with our own account code, status, deposits and withdrawals with a
client-generated id). Symbols as DXtrade writes them (`EUR/USD`), quantities in units.

The book is `fakes.market.Market` (keyed by account code); `self.market` is where tests and a market
simulator open and close positions.

Push (WebSocket, `push_url`; `start(port, push_port)`): a client sends `AccountPortfoliosSubscriptionRequest`
`{"type", "requestId", "session": <session token>, "payload": {"accounts": ["clearing:code", ...]}}` and is
answered with an `AccountPortfolios` snapshot (`inReplyTo` the request); from then on every deal the market
books for a subscribed account pushes its `AccountPortfolios` (a balance operation: `CashTransfers`). A
request under a request id already subscribed replaces that subscription's accounts (an assumption). The
server sends `PingRequest` every `heartbeat_interval` and drops a client silent for `client_timeout` (a
client answers with `Ping`). A subscription with an expired session is answered `Reject`. The envelope's
keys are an assumption (`propdesk.adapters.platforms.dxtrade_push`). Faults: `push.drop_connections()`,
`push.refuse_connections`, `push.stop_heartbeats`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from propdesk.platforms.symbols import default_mapping

from fakes.market import FakeAccount, FakeDeal, Market
from fakes.push_socket import PushClient, PushSocket
from fakes.server import FakeService, HttpError, Reply, Request

ADMIN_LOGIN = {"username": "propdesk-api", "domain": "default", "password": "dx-fake-password"}
SYMBOLS = default_mapping("dxtrade")
STATUS_TO_MARKET = {"FULL_TRADING": "enabled", "CLOSE_ONLY": "read_only", "NO_TRADING": "disabled"}


class FakeDXtrade(FakeService):
    def __init__(
        self,
        login: dict[str, str] | None = None,
        requests_per_minute: int = 600,
        clock: Callable[[], float] = time.monotonic,
        market: Market | None = None,
        session_timeout: float = 1800.0,
        heartbeat_interval: float = 10.0,
        client_timeout: float = 60.0,
    ) -> None:
        super().__init__()
        self.push = PushSocket(self._pushed, self._ping_request, heartbeat_interval, client_timeout)
        self.login = login or dict(ADMIN_LOGIN)
        self.requests_per_minute = requests_per_minute
        self.clock = clock
        self.market = market or Market(first_login=900001)
        self.session_timeout = session_timeout
        self.down = False
        self.rate_limited = 0
        self.logins = 0
        self.sessions: dict[str, float] = {}  # token -> expiry on the fake's clock
        self.users: dict[str, dict[str, Any]] = {}  # by "domain/login"
        self.accounts: dict[str, dict[str, Any]] = {}  # by account code
        self.orders: dict[str, dict[str, Any]] = {}  # closing orders by order code
        self._recent: list[float] = []
        trading = "/dxsca-web"
        self.route("POST", f"{trading}/login", self._login)
        self.route("POST", f"{trading}/ping", self._ping)
        self.route("GET", f"{trading}/accounts/([^/]+)/positions", self._positions)
        self.route("GET", f"{trading}/accounts/([^/]+)/metrics", self._metrics)
        self.route("GET", f"{trading}/accounts/([^/]+)/orders/history", self._orders_history)
        self.route("GET", f"{trading}/accounts/([^/]+)/transfers", self._transfers)
        self.route("POST", f"{trading}/accounts/([^/]+)/orders", self._place_order)
        self.route("GET", f"{trading}/accounts/([^/]+)/orders", self._working_orders)
        self.route("POST", "/api/register/client", self._create_user)
        self.route("GET", "/api/register/client/([^/]+)/([^/]+)", self._get_user)
        self.route("POST", "/api/register/client/([^/]+)/([^/]+)/account", self._create_account)
        self.route("GET", "/api/register/account/([^/]+)/([^/]+)", self._get_account)
        self.route("PUT", "/api/register/account/([^/]+)/([^/]+)", self._update_account)
        self.route("PUT", "/api/register/account/([^/]+)/([^/]+)/(deposit|withdrawal)/([^/]+)", self._cash)

    def start(self, port: int = 0, push_port: int = 0) -> str:
        url = super().start(port)
        self.push.start(push_port)
        self.market.listeners.append(self._booked)
        return url

    def stop(self) -> None:
        with self.market.lock:
            if self._booked in self.market.listeners:
                self.market.listeners.remove(self._booked)
        self.push.stop()
        super().stop()

    @property
    def push_url(self) -> str:
        return f"{self.push.url}/ws"

    @property
    def trading_url(self) -> str:
        return f"{self.url}/dxsca-web"

    @property
    def admin_url(self) -> str:
        return self.url

    def dispatch(self, request: Request) -> Reply:
        if self.down:
            return Reply(503, {"errorCode": "UNAVAILABLE", "description": "service unavailable"})
        now = self.clock()
        with self._lock:
            self._recent = [moment for moment in self._recent if now - moment < 60]
            if len(self._recent) >= self.requests_per_minute:
                self.rate_limited += 1
                wait = 60 - (now - self._recent[0])
                return Reply(429, {"errorCode": "TOO_MANY_REQUESTS"}, {"Retry-After": str(max(1, int(wait)))})
            self._recent.append(now)
            if request.path != "/dxsca-web/login":
                token = (request.header("authorization") or "").removeprefix("DXAPI ")
                if self.sessions.get(token, 0.0) <= now:
                    return Reply(401, {"errorCode": "UNAUTHORIZED", "description": "no valid session"})
                self.sessions[token] = now + self.session_timeout  # activity extends the session
        return super().dispatch(request)

    def end_sessions(self) -> None:
        self.sessions.clear()

    # ---- trading API ----
    def _login(self, request: Request) -> Reply:
        body = request.json()
        if {k: body.get(k) for k in ("username", "domain", "password")} != self.login:
            raise HttpError(401, {"errorCode": "INVALID_CREDENTIALS", "description": "bad login"})
        token = secrets.token_hex(16)
        self.sessions[token] = self.clock() + self.session_timeout
        self.logins += 1
        minutes, seconds = divmod(int(self.session_timeout), 60)
        return Reply(
            200, {"sessionToken": token, "timeout": f"{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}"}
        )

    def _ping(self, request: Request) -> Reply:
        return Reply(200, {})

    def _positions(self, request: Request, account: str) -> Reply:
        book, name = self._trading_book(account)
        rows = [
            {
                "account": name,
                "version": 1,
                "positionCode": p.position_id,
                "symbol": SYMBOLS.platform_symbol(p.symbol),
                "quantity": _num(SYMBOLS.from_lots(p.symbol, p.lots)),
                "side": p.side.upper(),
                "lastUpdateTime": _iso(p.opened_at),
                "openPrice": _num(p.open_price),
                "takeProfitPrice": _num(p.take_profit) if p.take_profit else None,
                "stopLossPrice": _num(p.stop_loss) if p.stop_loss else None,
            }
            for p in book.positions.values()
        ]
        return Reply(200, {"positions": rows})

    def _metrics(self, request: Request, account: str) -> Reply:
        book, name = self._trading_book(account)
        equity = self.market.equity(book.account_id)
        metrics: dict[str, Any] = {
            "account": name,
            "version": 1,
            "equity": _num(equity),
            "balance": _num(book.balance),
            "openPL": _num(equity - book.balance),
            "openPositionsCount": len(book.positions),
        }
        if request.query.get("include-positions") == "true":
            metrics["positions"] = [
                {
                    "positionCode": p.position_id,
                    "symbol": SYMBOLS.platform_symbol(p.symbol),
                    "fpl": _num(self.market.floating(p)),
                }
                for p in book.positions.values()
            ]
        return Reply(200, {"metrics": [metrics]})

    def _orders_history(self, request: Request, account: str) -> Reply:
        book, name = self._trading_book(account)
        since, until = _window(request, "completed-from", "completed-to")
        rows = [self._order(name, d) for d in book.deals if d.kind != "balance" and since <= d.time <= until]
        return Reply(200, {"orders": rows})

    def _working_orders(self, request: Request, account: str) -> Reply:
        """The account's orders not final: the market's pending orders (legs opening a position) and each
        position's stop loss (a STOP leg closing it), as DXtrade lists protection orders too."""
        book, name = self._trading_book(account)
        rows = []
        for o in book.orders.values():
            leg = {
                "instrument": SYMBOLS.platform_symbol(o.symbol), "positionEffect": "OPEN",
                "positionCode": None, "side": o.side.upper(), "price": _num(o.price),
                "quantity": _num(SYMBOLS.from_lots(o.symbol, o.lots)), "filledQuantity": 0,
                "remainingQuantity": _num(SYMBOLS.from_lots(o.symbol, o.lots)),
            }  # fmt: skip
            rows.append(self._working(name, o.order_id, o.order_type.upper(), leg, o.placed_at))
        for p in book.positions.values():
            if p.stop_loss is None:
                continue
            leg = {
                "instrument": SYMBOLS.platform_symbol(p.symbol), "positionEffect": "CLOSE",
                "positionCode": p.position_id, "side": "SELL" if p.side == "buy" else "BUY",
                "price": _num(p.stop_loss), "quantity": _num(SYMBOLS.from_lots(p.symbol, p.lots)),
                "filledQuantity": 0, "remainingQuantity": _num(SYMBOLS.from_lots(p.symbol, p.lots)),
            }  # fmt: skip
            rows.append(self._working(name, f"{p.position_id}-sl", "STOP", leg, p.opened_at))
        return Reply(200, {"orders": rows})

    @staticmethod
    def _working(account: str, order_id: str, kind: str, leg: dict[str, Any], at: datetime) -> dict[str, Any]:
        return {
            "account": account, "orderId": order_id, "orderCode": f"o-{order_id}", "type": kind,
            "instrument": leg["instrument"], "status": "WORKING", "finalStatus": False, "side": leg["side"],
            "tif": "GTC", "legs": [leg], "issueTime": _iso(at), "transactionTime": _iso(at),
        }  # fmt: skip

    def _transfers(self, request: Request, account: str) -> Reply:
        book, name = self._trading_book(account)
        since, until = _window(request, "time-from", "time-to")
        rows = []
        for deal in book.deals:
            if not since <= deal.time <= until or deal.kind == "open":
                continue
            if deal.kind == "close":
                cash = {"type": "SETTLEMENT", "value": _num(deal.profit), "positionCode": deal.position_id}
                code, comment = f"settle-{deal.deal_id}", ""
            else:
                kind = "DEPOSIT" if deal.profit > 0 else "WITHDRAWAL"
                cash = {"type": kind, "value": _num(deal.profit), "positionCode": None}
                code, comment = deal.reference or deal.deal_id, deal.comment
            cash |= {
                "account": name,
                "transactionCode": deal.deal_id,
                "currency": book.currency,
                "transactionTime": _iso(deal.time),
            }
            rows.append(
                {
                    "account": name,
                    "transferCode": code,
                    "comment": comment,
                    "transactionTime": _iso(deal.time),
                    "cashTransactions": [cash],
                }
            )
        return Reply(200, {"cashTransfers": rows})

    def _place_order(self, request: Request, account: str) -> Reply:
        book, _ = self._trading_book(account)
        body = request.json()
        code = str(body.get("orderCode") or "")
        if code in self.orders:
            raise HttpError(409, {"errorCode": "DUPLICATE_ORDER_CODE", "description": "order code in use"})
        if body.get("positionEffect") != "CLOSE" or body.get("type") != "MARKET":
            raise HttpError(
                400, {"errorCode": "UNSUPPORTED", "description": "the fake only closes positions"}
            )
        position = book.positions.get(str(body.get("positionCode")))
        if position is None:
            raise HttpError(400, {"errorCode": "NO_POSITION", "description": "no such position"})
        self.market.close_position(book.account_id, position.position_id, reason="manual")
        self.orders[code] = {"orderCode": code, "status": "COMPLETED"}
        return Reply(200, {"orderId": code, "updateOrderId": code})

    # ---- administrative API ----
    def _create_user(self, request: Request) -> Reply:
        body = request.json()
        key = f"{body.get('domain')}/{str(body.get('login') or '').lower()}"
        if not body.get("login") or not body.get("password"):
            raise HttpError(400, {"errorCode": "INVALID", "description": "login and password are required"})
        if key in self.users:
            raise HttpError(409, {"errorCode": "EXISTS", "description": "user exists"})
        self.users[key] = {k: body.get(k) for k in ("domain", "login", "email", "fullName")}
        return Reply(200, self.users[key])

    def _get_user(self, request: Request, domain: str, login: str) -> Reply:
        user = self.users.get(f"{domain}/{unquote(login).lower()}")
        if user is None:
            raise HttpError(404, {"errorCode": "NOT_FOUND", "description": "no such user"})
        return Reply(200, user)

    def _create_account(self, request: Request, domain: str, login: str) -> Reply:
        user = self.users.get(f"{domain}/{unquote(login).lower()}")
        body = request.json()
        code = str(body.get("accountCode") or "")
        if user is None or not code or not body.get("currency"):
            raise HttpError(
                400,
                {"errorCode": "INVALID", "description": "an owner, accountCode and currency are required"},
            )
        if code in self.accounts:
            raise HttpError(409, {"errorCode": "EXISTS", "description": "account exists"})
        group = next(
            (str(c.get("value")) for c in body.get("categories") or [] if c.get("category") == "Group"), ""
        )
        book = self.market.open_account(
            str(user.get("email") or user["login"]),
            str(body["currency"]),
            Decimal(str(body.get("balance") or 0)),
            group=group,
            reference=str((body.get("metadata") or {}).get("propdeskReference") or ""),
        )
        self.accounts[code] = {
            "clearingCode": body.get("clearingCode") or "default",
            "accountCode": code,
            "brokerCode": "propdesk",
            "status": body.get("status") or "FULL_TRADING",
            "currency": body["currency"],
            "categories": body.get("categories") or [],
            "metadata": body.get("metadata") or {},
            "book": book.account_id,
        }
        return Reply(200, self._account_json(code))

    def _get_account(self, request: Request, clearing: str, code: str) -> Reply:
        return Reply(200, self._account_json(self._code(code)))

    def _update_account(self, request: Request, clearing: str, code: str) -> Reply:
        code = self._code(code)
        status = request.json().get("status")
        if status is not None:
            if status not in STATUS_TO_MARKET:
                raise HttpError(
                    400, {"errorCode": "INVALID", "description": f"status {status} not supported"}
                )
            self.accounts[code]["status"] = status
            self._book(code).access = STATUS_TO_MARKET[status]
        return Reply(200, self._account_json(code))

    def _cash(self, request: Request, clearing: str, code: str, kind: str, operation: str) -> Reply:
        code = self._code(code)
        book = self._book(code)
        body = request.json()
        size = Decimal(str(body.get("amount") or 0))
        if size <= 0 or body.get("currency") != book.currency:
            raise HttpError(
                400, {"errorCode": "INVALID", "description": "a positive amount in the account's currency"}
            )
        done = self.market.balance_deal(book.account_id, operation)
        if done is None:
            if kind == "withdrawal" and size > book.balance:
                raise HttpError(
                    400, {"errorCode": "INSUFFICIENT_FUNDS", "description": "more than withdrawable"}
                )
            self.market.balance_operation(
                book.account_id,
                size if kind == "deposit" else -size,
                str(body.get("description") or ""),
                operation,
            )
        return Reply(
            200, {"currency": book.currency, "amount": _num(size), "description": body.get("description")}
        )

    # ---- push ----
    def _pushed(self, client: PushClient, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind != "AccountPortfoliosSubscriptionRequest":
            return  # Ping (the client's heartbeat) and anything else: heard, nothing to answer
        request_id = message.get("requestId")
        with self._lock:
            live = self.sessions.get(str(message.get("session") or ""), 0.0) > self.clock()
        if not live:
            self.push.send(client, _envelope("Reject", {"description": "no valid session"}, request_id))
            return
        payload = message.get("payload") or {}
        accounts = [str(a) for a in payload.get("accounts") or [] if self._known(str(a))]
        # A request id names one subscription: a request under an id in use replaces its accounts.
        subscriptions: dict[str, set[str]] = client.state.setdefault("subscriptions", {})
        subscriptions[str(request_id)] = set(accounts)
        client.accounts = set().union(*subscriptions.values())
        self.push.send(client, _envelope("AccountPortfolios", self._portfolios(accounts), request_id))

    def _ping_request(self) -> dict[str, Any]:
        return _envelope("PingRequest", {})

    def _booked(self, book: FakeAccount, deal: FakeDeal) -> None:
        for code, account in list(self.accounts.items()):
            if account["book"] != book.account_id:
                continue
            name = f"{account['clearingCode']}:{code}"
            if deal.kind == "balance":
                self.push.publish(name, _envelope("CashTransfers", {"cashTransfers": []}))
            self.push.publish(name, _envelope("AccountPortfolios", self._portfolios([name])))

    def _known(self, name: str) -> bool:
        _, _, code = name.partition(":")
        return code in self.accounts

    def _portfolios(self, names: list[str]) -> dict[str, Any]:
        portfolios = []
        for name in names:
            positions = self._positions(Request("GET", "", {}, {}, b""), name).body["positions"]
            portfolios.append({"account": name, "positions": positions, "balances": []})
        return {"portfolios": portfolios}

    # ---- helpers ----
    def _code(self, code: str) -> str:
        code = unquote(code)
        if code not in self.accounts:
            raise HttpError(404, {"errorCode": "NOT_FOUND", "description": "no such account"})
        return code

    def _book(self, code: str) -> FakeAccount:
        book = self.market.account(self.accounts[code]["book"])
        assert book is not None
        return book

    def _trading_book(self, account: str) -> tuple[FakeAccount, str]:
        name = unquote(account)
        _, _, code = name.partition(":")
        if not code:
            raise HttpError(400, {"errorCode": "INVALID", "description": "account is clearing:code"})
        return self._book(self._code(code)), name

    def _account_json(self, code: str) -> dict[str, Any]:
        account = {k: v for k, v in self.accounts[code].items() if k != "book"}
        return account | {"balance": _num(self._book(code).balance)}

    def _order(self, account: str, deal: FakeDeal) -> dict[str, Any]:
        opening = deal.kind == "open"
        side = deal.side if opening else ("sell" if deal.side == "buy" else "buy")
        leg = {
            "instrument": SYMBOLS.platform_symbol(deal.symbol),
            "positionEffect": "OPEN" if opening else "CLOSE",
            "positionCode": deal.position_id,
            "side": side.upper(),
            "quantity": _num(SYMBOLS.from_lots(deal.symbol, deal.lots)),
            "filledQuantity": _num(SYMBOLS.from_lots(deal.symbol, deal.lots)),
            "remainingQuantity": 0,
            "averagePrice": _num(deal.price),
        }
        return {
            "account": account,
            "orderId": deal.deal_id,
            "orderCode": f"o-{deal.deal_id}",
            "type": "MARKET",
            "instrument": leg["instrument"],
            "status": "COMPLETED",
            "finalStatus": True,
            "side": side.upper(),
            "tif": "GTC",
            "legs": [leg],
            "issueTime": _iso(deal.time),
            "transactionTime": _iso(deal.time),
        }


def _envelope(kind: str, payload: dict[str, Any], in_reply_to: Any = None) -> dict[str, Any]:
    stamp = int(datetime.now(UTC).timestamp() * 1000)
    return {"type": kind, "session": None, "inReplyTo": in_reply_to, "timestamp": stamp, "payload": payload}


def _window(request: Request, start: str, end: str) -> tuple[datetime, datetime]:
    def parse(value: str | None, default: datetime) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else default

    return (
        parse(request.query.get(start), datetime.min.replace(tzinfo=UTC)),
        parse(request.query.get(end), datetime.max.replace(tzinfo=UTC)),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _num(value: Decimal) -> float:
    return float(value)
