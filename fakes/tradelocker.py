"""A fake of TradeLocker: the public REST API under `/backend-api` (JWT sign-in and refresh, all-accounts,
config columns, positions, orders history, account state, instruments, close all) and the Brand API under
`/brand` (`brand-api-key`; users, accounts, status, balance operations, closed positions with realized P&L:
the contract `propdesk.adapters.platforms.tradelocker` assumes, the real reference not being public).

Rows come as arrays whose columns `/trade/config` names, times in epoch milliseconds, volumes in lots, as
TradeLocker sends them. Tokens are JWT-shaped with an `exp` on the fake's clock (`clock`, seconds), so tests
make them expire by moving that clock. The book is `fakes.market.Market` (`self.market`).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fakes.market import FakeAccount, FakeDeal, Market
from fakes.server import FakeService, HttpError, Reply, Request

BRAND_API_KEY = "tl-brand-fake-key"
SERVICE_LOGIN = {"email": "risk@propdesk.example", "password": "service-password", "server": "PROPDESK"}
POSITION_COLUMNS = [
    "id", "tradableInstrumentId", "routeId", "side", "qty", "avgPrice", "stopLossId", "takeProfitId",
    "openDate", "unrealizedPl", "strategyId",
]  # fmt: skip
ORDER_COLUMNS = [
    "id", "tradableInstrumentId", "routeId", "qty", "side", "type", "status", "filledQty", "avgPrice",
    "price", "stopPrice", "validity", "expireDate", "createdDate", "lastModified", "isOpen", "positionId",
    "stopLoss", "stopLossType", "takeProfit", "takeProfitType", "strategyId",
]  # fmt: skip
STATE_COLUMNS = [
    "balance",
    "projectedBalance",
    "availableFunds",
    "blockedBalance",
    "openGrossPnL",
    "positionsCount",
]
STATUS_TO_MARKET = {"ACTIVE": "enabled", "RESTRICTED": "read_only", "SUSPENDED": "disabled"}


class FakeTradeLocker(FakeService):
    def __init__(
        self,
        brand_api_key: str = BRAND_API_KEY,
        login: dict[str, str] | None = None,
        requests_per_minute: int = 600,
        clock: Callable[[], float] = time.monotonic,
        market: Market | None = None,
        access_ttl: float = 3600.0,
        refresh_ttl: float = 7 * 86400.0,
    ) -> None:
        super().__init__()
        self.brand_api_key = brand_api_key
        self.login = login or dict(SERVICE_LOGIN)
        self.requests_per_minute = requests_per_minute
        self.clock = clock
        self.market = market or Market()
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.down = False
        self.rate_limited = 0
        self.sign_ins = 0
        self.refreshes = 0
        self.users: dict[str, dict[str, Any]] = {}  # by e-mail
        self.meta: dict[str, dict[str, Any]] = {}  # accountId -> userId, accNum, accountName, status, groupId
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: dict[str, float] = {}
        self.instrument_ids: dict[str, int] = {"EURUSD": 278, "GBPUSD": 279, "XAUUSD": 1001, "US30": 2001}
        self._recent: list[float] = []
        self._user_ids = itertools.count(501)
        public, brand = "/backend-api", "/brand"
        self.route("POST", f"{public}/auth/jwt/token", self._token)
        self.route("POST", f"{public}/auth/jwt/refresh", self._refresh)
        self.route("GET", f"{public}/auth/jwt/all-accounts", self._all_accounts)
        self.route("GET", f"{public}/trade/config", self._config)
        self.route("GET", rf"{public}/trade/accounts/(\d+)/positions", self._positions)
        self.route("DELETE", rf"{public}/trade/accounts/(\d+)/positions", self._close_all)
        self.route("GET", rf"{public}/trade/accounts/(\d+)/ordersHistory", self._orders_history)
        self.route("GET", rf"{public}/trade/accounts/(\d+)/orders", self._working_orders)
        self.route("GET", rf"{public}/trade/accounts/(\d+)/state", self._state)
        self.route("GET", rf"{public}/trade/accounts/(\d+)/instruments", self._instruments)
        self.route("GET", f"{brand}/v1/users", self._find_user)
        self.route("POST", f"{brand}/v1/users", self._create_user)
        self.route("POST", f"{brand}/v1/accounts", self._create_account)
        self.route("GET", f"{brand}/v1/accounts", self._list_accounts)
        self.route("GET", rf"{brand}/v1/accounts/(\d+)", self._get_account)
        self.route("PATCH", rf"{brand}/v1/accounts/(\d+)/status", self._set_status)
        self.route("POST", rf"{brand}/v1/accounts/(\d+)/balance", self._balance)
        self.route("GET", rf"{brand}/v1/accounts/(\d+)/balance-operations", self._balance_operations)
        self.route("GET", rf"{brand}/v1/accounts/(\d+)/closed-positions", self._closed_positions)

    @property
    def trading_url(self) -> str:
        return f"{self.url}/backend-api"

    @property
    def brand_url(self) -> str:
        return f"{self.url}/brand"

    def dispatch(self, request: Request) -> Reply:
        if self.down:
            return Reply(503, {"s": "error", "errmsg": "service unavailable"})
        now = self.clock()
        with self._lock:
            self._recent = [moment for moment in self._recent if now - moment < 60]
            if len(self._recent) >= self.requests_per_minute:
                self.rate_limited += 1
                wait = 60 - (now - self._recent[0])
                return Reply(
                    429, {"s": "error", "errmsg": "rate limited"}, {"Retry-After": str(max(1, int(wait)))}
                )
            self._recent.append(now)
        if request.path.startswith("/brand/"):
            if request.header("brand-api-key") != self.brand_api_key:
                return Reply(401, {"s": "error", "errmsg": "bad brand-api-key"})
        elif not request.path.startswith("/backend-api/auth/jwt/token") and not request.path.endswith(
            "/refresh"
        ):
            token = (request.header("authorization") or "").removeprefix("Bearer ")
            if self.access_tokens.get(token, 0.0) <= now:
                return Reply(401, {"s": "error", "errmsg": "invalid or expired token"})
        return super().dispatch(request)

    # ---- public API: auth ----
    def _token(self, request: Request) -> Reply:
        body = request.json()
        if {k: body.get(k) for k in ("email", "password", "server")} != self.login:
            raise HttpError(401, {"s": "error", "errmsg": "invalid credentials"})
        self.sign_ins += 1
        return Reply(201, self._issue())

    def _refresh(self, request: Request) -> Reply:
        token = str(request.json().get("refreshToken") or "")
        if self.refresh_tokens.pop(token, 0.0) <= self.clock():
            raise HttpError(401, {"s": "error", "errmsg": "invalid refresh token"})
        self.refreshes += 1
        return Reply(201, self._issue())

    def _issue(self) -> dict[str, str]:
        now = self.clock()
        access, refresh = _jwt(now + self.access_ttl), _jwt(now + self.refresh_ttl)
        self.access_tokens[access] = now + self.access_ttl
        self.refresh_tokens[refresh] = now + self.refresh_ttl
        return {"accessToken": access, "refreshToken": refresh, "expireDate": str(now + self.access_ttl)}

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (as if the server restarted its sessions)."""
        self.access_tokens.clear()

    def _all_accounts(self, request: Request) -> Reply:
        rows = [
            {
                "id": account_id,
                "name": meta["accountName"],
                "currency": self._book(account_id).currency,
                "accNum": meta["accNum"],
                "accountBalance": str(self._book(account_id).balance),
                "status": meta["status"],
            }
            for account_id, meta in self.meta.items()
        ]
        return Reply(200, {"accounts": rows})

    def _config(self, request: Request) -> Reply:
        def columns(names: list[str]) -> dict[str, Any]:
            return {"id": "config", "columns": [{"id": name, "description": name} for name in names]}

        return Reply(
            200,
            {
                "s": "ok",
                "d": {
                    "positionsConfig": columns(POSITION_COLUMNS),
                    "ordersConfig": columns(ORDER_COLUMNS),
                    "ordersHistoryConfig": columns(ORDER_COLUMNS),
                    "accountDetailsConfig": columns(STATE_COLUMNS),
                    "rateLimits": [
                        {
                            "rateLimitType": "GET_POSITIONS",
                            "measure": "SECONDS",
                            "intervalNum": 1,
                            "limit": 10,
                        }
                    ],
                },
            },
        )

    # ---- public API: trading ----
    def _positions(self, request: Request, account_id: str) -> Reply:
        book = self._account(request, account_id)
        rows = [
            _row(
                POSITION_COLUMNS,
                id=p.position_id,
                tradableInstrumentId=self._instrument(p.symbol),
                routeId=1,
                side=p.side,
                qty=str(p.lots),
                avgPrice=str(p.open_price),
                stopLossId=None,
                takeProfitId=None,
                openDate=str(_ms(p.opened_at)),
                unrealizedPl=str(self.market.floating(p)),
                strategyId=None,
            )
            for p in book.positions.values()
        ]
        return Reply(200, {"s": "ok", "d": {"positions": rows}})

    def _close_all(self, request: Request, account_id: str) -> Reply:
        book = self._account(request, account_id)
        self.market.close_all(book.account_id, reason="manual")
        return Reply(200, {"s": "ok"})

    def _orders_history(self, request: Request, account_id: str) -> Reply:
        book = self._account(request, account_id)
        start = int(request.query.get("from") or 0)
        end = int(request.query.get("to") or 2**62)
        rows = [self._order(d) for d in book.deals if d.kind != "balance" and start <= _ms(d.time) <= end]
        return Reply(200, {"s": "ok", "d": {"ordersHistory": rows}})

    def _working_orders(self, request: Request, account_id: str) -> Reply:
        """Working orders: the market's pending orders (opening, `isOpen` true) and, as TradeLocker lists
        them too, each position's stop loss as a closing stop order (`isOpen` false)."""
        book = self._account(request, account_id)
        rows = [
            _row(
                ORDER_COLUMNS, id=o.order_id, tradableInstrumentId=self._instrument(o.symbol), routeId=1,
                qty=str(o.lots), side=o.side, type=o.order_type, status="New", filledQty="0", avgPrice="0",
                price=str(o.price) if o.order_type == "limit" else "0",
                stopPrice=str(o.price) if o.order_type == "stop" else "0", validity="GTC", expireDate=None,
                createdDate=str(_ms(o.placed_at)), lastModified=str(_ms(o.placed_at)), isOpen="true",
                positionId=None, stopLoss=None, stopLossType=None, takeProfit=None, takeProfitType=None,
                strategyId=None,
            )
            for o in book.orders.values()
        ]  # fmt: skip
        rows += [
            _row(
                ORDER_COLUMNS, id=f"{p.position_id}-sl", tradableInstrumentId=self._instrument(p.symbol),
                routeId=1, qty=str(p.lots), side="sell" if p.side == "buy" else "buy", type="stop",
                status="New", filledQty="0", avgPrice="0", price="0", stopPrice=str(p.stop_loss),
                validity="GTC", expireDate=None, createdDate=str(_ms(p.opened_at)),
                lastModified=str(_ms(p.opened_at)), isOpen="false", positionId=p.position_id, stopLoss=None,
                stopLossType=None, takeProfit=None, takeProfitType=None, strategyId=None,
            )
            for p in book.positions.values()
            if p.stop_loss is not None
        ]  # fmt: skip
        return Reply(200, {"s": "ok", "d": {"orders": rows}})

    def _state(self, request: Request, account_id: str) -> Reply:
        book = self._account(request, account_id)
        equity = self.market.equity(book.account_id)
        values = [
            str(book.balance),
            str(equity),
            str(equity),
            "0",
            str(equity - book.balance),
            len(book.positions),
        ]
        return Reply(200, {"s": "ok", "d": {"accountDetailsData": values}})

    def _instruments(self, request: Request, account_id: str) -> Reply:
        self._account(request, account_id)
        rows = [
            {"tradableInstrumentId": i, "id": i, "name": name, "routes": []}
            for name, i in self.instrument_ids.items()
        ]
        return Reply(200, {"s": "ok", "d": {"instruments": rows}})

    # ---- brand API ----
    def _find_user(self, request: Request) -> Reply:
        user = self.users.get((request.query.get("email") or "").lower())
        if user is None:
            raise HttpError(404, {"error": "user not found"})
        return Reply(200, user)

    def _create_user(self, request: Request) -> Reply:
        body = request.json()
        email = str(body.get("email") or "").lower()
        if not email or not body.get("password"):
            raise HttpError(400, {"error": "email and password are required"})
        if email in self.users:
            raise HttpError(409, {"error": "user exists"})
        user = {"userId": str(next(self._user_ids)), "email": email}
        self.users[email] = user
        return Reply(201, user)

    def _create_account(self, request: Request) -> Reply:
        body = request.json()
        user = next((u for u in self.users.values() if u["userId"] == str(body.get("userId"))), None)
        if user is None or not body.get("groupId") or not body.get("currency"):
            raise HttpError(400, {"error": "userId, groupId and currency are required"})
        book = self.market.open_account(
            user["email"],
            str(body["currency"]),
            Decimal(str(body.get("initialBalance") or 0)),
            group=str(body["groupId"]),
            reference=str(body.get("accountName") or ""),
        )
        acc_num = 1 + sum(1 for m in self.meta.values() if m["userId"] == user["userId"])
        self.meta[book.account_id] = {
            "userId": user["userId"],
            "accNum": acc_num,
            "accountName": book.reference,
            "status": "ACTIVE",
            "groupId": book.group,
            "type": body.get("type", "DEMO"),
        }
        return Reply(201, self._account_json(book.account_id))

    def _list_accounts(self, request: Request) -> Reply:
        user_id = request.query.get("userId")
        rows = [self._account_json(i) for i, m in self.meta.items() if m["userId"] == user_id]
        return Reply(200, {"accounts": rows})

    def _get_account(self, request: Request, account_id: str) -> Reply:
        self._book(account_id)
        return Reply(200, self._account_json(account_id))

    def _set_status(self, request: Request, account_id: str) -> Reply:
        book = self._book(account_id)
        status = str(request.json().get("status"))
        if status not in STATUS_TO_MARKET:
            raise HttpError(400, {"error": f"unknown status {status}"})
        self.meta[account_id]["status"] = status
        book.access = STATUS_TO_MARKET[status]
        return Reply(200, self._account_json(account_id))

    def _balance(self, request: Request, account_id: str) -> Reply:
        book = self._book(account_id)
        body = request.json()
        size = Decimal(str(body.get("amount") or 0))
        kind = str(body.get("operationType") or "")
        if size <= 0 or kind not in ("DEPOSIT", "WITHDRAWAL"):
            raise HttpError(400, {"error": "a positive amount and DEPOSIT or WITHDRAWAL are required"})
        if kind == "WITHDRAWAL" and size > book.balance:
            raise HttpError(400, {"error": "insufficient funds"})
        deal = self.market.balance_operation(
            book.account_id,
            size if kind == "DEPOSIT" else -size,
            str(body.get("note") or ""),
            reference=str(body.get("externalId") or ""),
        )
        return Reply(201, {"operationId": deal.deal_id})

    def _balance_operations(self, request: Request, account_id: str) -> Reply:
        book = self._book(account_id)
        since, until = _window(request)
        rows = [
            {
                "operationId": d.deal_id,
                "amount": str(abs(d.profit)),
                "operationType": "DEPOSIT" if d.profit > 0 else "WITHDRAWAL",
                "note": d.comment,
                "externalId": d.reference,
                "createdAt": _iso(d.time),
            }
            for d in book.deals
            if d.kind == "balance" and since <= d.time <= until
        ]
        return Reply(200, {"operations": rows})

    def _closed_positions(self, request: Request, account_id: str) -> Reply:
        book = self._book(account_id)
        since, until = _window(request)
        rows = [
            {"positionId": d.position_id, "profit": str(d.profit), "closeTime": _iso(d.time)}
            for d in book.deals
            if d.kind == "close" and since <= d.time <= until
        ]
        return Reply(200, {"positions": rows})

    # ---- helpers ----
    def _book(self, account_id: str) -> FakeAccount:
        book = self.market.account(account_id)
        if book is None or account_id not in self.meta:
            raise HttpError(404, {"s": "error", "errmsg": "account not found"})
        return book

    def _account(self, request: Request, account_id: str) -> FakeAccount:
        book = self._book(account_id)
        if request.header("accnum") != str(self.meta[account_id]["accNum"]):
            raise HttpError(400, {"s": "error", "errmsg": "accNum header does not match the account"})
        return book

    def _account_json(self, account_id: str) -> dict[str, Any]:
        meta = self.meta[account_id]
        book = self._book(account_id)
        return {"accountId": account_id, "currency": book.currency, **meta}

    def _instrument(self, symbol: str) -> int:
        return self.instrument_ids.setdefault(symbol, 3000 + len(self.instrument_ids))

    def _order(self, deal: FakeDeal) -> list[Any]:
        opening = deal.kind == "open"
        side = deal.side if opening else ("sell" if deal.side == "buy" else "buy")
        kind = {"take_profit": "limit", "stop_loss": "stop"}.get(deal.reason, "market")
        return _row(
            ORDER_COLUMNS,
            id=deal.deal_id,
            tradableInstrumentId=self._instrument(deal.symbol),
            routeId=1,
            qty=str(deal.lots),
            side=side,
            type=kind,
            status="Filled",
            filledQty=str(deal.lots),
            avgPrice=str(deal.price),
            price=None,
            stopPrice=None,
            validity="IOC",
            expireDate=None,
            createdDate=str(_ms(deal.time)),
            lastModified=str(_ms(deal.time)),
            isOpen="true" if opening else "false",
            positionId=deal.position_id,
            stopLoss=None,
            stopLossType=None,
            takeProfit=None,
            takeProfitType=None,
            strategyId=None,
        )


def _row(columns: list[str], **values: Any) -> list[Any]:
    return [values.get(name) for name in columns]


def _jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'exp': exp, 'jti': secrets.token_hex(8)})}.fake"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _window(request: Request) -> tuple[datetime, datetime]:
    def parse(value: str | None, default: datetime) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else default

    return (
        parse(request.query.get("from"), datetime.min.replace(tzinfo=UTC)),
        parse(request.query.get("to"), datetime.max.replace(tzinfo=UTC)),
    )
