"""TradeLocker as the trading-platform port: its public REST API (JWT) for reading and liquidating, its Brand
API (`brand-api-key`) for the broker-side operations.

Public API facts relied on (TradeLocker's public API reference at public-api.tradelocker.com and its official
Python client, TradeLocker/tradelocker-python):
- `POST /auth/jwt/token {email, password, server}` → `accessToken`, `refreshToken` (JWTs, `exp` in the
  payload); `POST /auth/jwt/refresh {refreshToken}` → new tokens; `Authorization: Bearer <accessToken>`;
- `GET /auth/jwt/all-accounts` → `accounts` [{id, name, currency, accNum, accountBalance, status}];
  account routes need the `accNum` header;
- `GET /trade/config` → column names of the array rows below (`positionsConfig`, `ordersHistoryConfig`,
  `accountDetailsConfig`) and per-route `rateLimits`;
- `GET /trade/accounts/{accountId}/positions` (`d.positions`: rows of id, tradableInstrumentId, side, qty in
  lots, avgPrice, openDate in ms, unrealizedPl, ...), `.../ordersHistory?from=&to=` (ms; `d.ordersHistory`:
  status Filled, filledQty, avgPrice, positionId, isOpen, lastModified, stopLoss, takeProfit, ...),
  `.../state` (`d.accountDetailsData`: balance, projectedBalance = equity, ...), `.../instruments`
  (tradableInstrumentId → name), `DELETE .../positions` (close all; not guaranteed immediate),
  `.../orders` (`d.orders`, columns `ordersConfig`: the working orders, id, tradableInstrumentId, qty, side,
  type limit|market|stop, status, price, stopPrice, createdDate in ms, isOpen (false: a position's stop loss
  or take profit), positionId; the official client's `OrdersColumns`).

Brand API: TradeLocker documents that it exists (api.tradelocker.com, header `brand-api-key`; create user,
create account in a group, restrict, suspend, funding, data retrieval) but its reference is not public.
ASSUMED here, the smallest plausible contract (the fake implements it; check against the real reference):
- `GET /v1/users?email=` → {userId} or 404; `POST /v1/users {email, password, firstName, lastName}` →
  {userId};
- `POST /v1/accounts {userId, accountName, groupId, currency, type: DEMO|LIVE, initialBalance}` →
  {accountId, accNum, accountName, status}; `GET /v1/accounts?userId=` → {accounts: [...]};
  `GET /v1/accounts/{accountId}`;
  `PATCH /v1/accounts/{accountId}/status {status: ACTIVE|RESTRICTED|SUSPENDED}`;
- `POST /v1/accounts/{accountId}/balance {amount, operationType: DEPOSIT|WITHDRAWAL, note, externalId}` →
  {operationId}; `GET /v1/accounts/{accountId}/balance-operations?from=&to=` → {operations: [...]} (our
  operations: found again by `externalId`, read back as ours by the `[propdesk:<reference>]` tag in the note);
- `GET /v1/accounts/{accountId}/closed-positions?from=&to=` → {positions: [{positionId, profit, ...}]}, the
  realized P&L (net) per closed position, which the public API's order history does not carry.
The public API is read with a service login (the connection's e-mail, password, server) that may read every
account of the brand (ASSUMED: a brand-level login; per-trader logins would need each trader's password).

Access: enabled = ACTIVE, read-only = RESTRICTED (TradeLocker's restriction lets the trader close positions),
disabled = SUSPENDED. Deals: TradeLocker books positions, so a position's open and close deals are named
after the position (`normalize.opening_deal_id` / `closing_deal_id`), partial closes summed once it is flat.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.adapters.platforms.http import (
    DEFAULT_RETRY,
    Credentials,
    PlatformHttp,
    SessionLogin,
    Setting,
    StaticToken,
    created_once,
    setting,
)
from propdesk.adapters.platforms.wire import (
    amount,
    epoch_ms,
    oldest_first,
    opposite,
    price_or_none,
    rfc3339,
    side,
    utc_time,
)
from propdesk.platforms import own_bookings
from propdesk.platforms.normalize import closing_deal_id, opening_deal_id
from propdesk.platforms.port import (
    AccountFigures,
    AccountRef,
    Deal,
    NewAccount,
    OpenedAccount,
    OpenPosition,
    PendingOrder,
    PlatformName,
    PlatformRejectedError,
    TradingAccess,
    access_named,
)
from propdesk.platforms.symbols import SymbolMapping, default_mapping
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

PLATFORM: PlatformName = "tradelocker"
FINISHED = ("filled", "cancelled", "refused", "unplaced", "removed")  # the history's statuses
# TradeLocker publishes per-route limits in /trade/config (rateLimits); one conservative budget for the whole
# connection keeps every route under its own.
REQUESTS_PER_MINUTE = 120
ACCESS = {
    TradingAccess.ENABLED: "ACTIVE",
    TradingAccess.READ_ONLY: "RESTRICTED",
    TradingAccess.DISABLED: "SUSPENDED",
}


class JwtSession(SessionLogin):
    """The service login's JWTs: signs in on first use, refreshes before the access token expires (within
    `margin`) and once after a 401, and signs in again when the refresh token is refused or expired."""

    scheme = "Bearer"

    def __init__(self, credentials: Credentials, epoch: Callable[[], float], margin: Seconds = 300.0) -> None:
        super().__init__(credentials, epoch, margin)
        self._refresh = ""
        self.sign_ins = 0
        self.refreshes = 0

    def _expires(self) -> float:  # float ok: epoch s, never money
        return _expires(self._token)

    def _renew(self, now: float) -> None:  # float ok: epoch s, never money
        if self._refresh and _expires(self._refresh) - now > 0:
            self._refresh_tokens()
        else:
            self._sign_in()

    def _sign_in(self) -> None:
        credentials = self._credentials()
        body = {
            "email": str(credentials.get("email") or ""),
            "password": str(credentials.get("password") or ""),
            "server": str(credentials.get("server") or ""),
        }
        self._store(self._post("/auth/jwt/token", body))
        self.sign_ins += 1

    def _refresh_tokens(self) -> None:
        try:
            answer = self._post("/auth/jwt/refresh", {"refreshToken": self._refresh})
        except PlatformRejectedError:
            self._refresh = ""
            self._sign_in()
            return
        self._store(answer)
        self.refreshes += 1

    def _store(self, answer: Any) -> None:
        if not isinstance(answer, Mapping) or not answer.get("accessToken") or not answer.get("refreshToken"):
            raise PlatformRejectedError("TradeLocker: the token answer has no accessToken/refreshToken")
        self._token, self._refresh = str(answer["accessToken"]), str(answer["refreshToken"])


class TradeLockerPlatform:
    name: PlatformName = PLATFORM

    def __init__(
        self,
        trading_url: Setting,
        brand_url: Setting,
        credentials: Credentials,
        server: str,
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
        account_type: Setting = "DEMO",
        new_password: Callable[[], str] = lambda: secrets.token_urlsafe(12),
        symbols: SymbolMapping | None = None,
        forget_credentials: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        epoch: Callable[[], float] = time.time,
        balance_lookback: timedelta = timedelta(days=400),
        partial_close_lookback: timedelta = timedelta(days=7),
    ) -> None:
        self.server = server
        self.session = JwtSession(credentials, epoch)
        self._trading = PlatformHttp(
            "TradeLocker", trading_url, limiter, breaker, sleep, retry, timeout, self.session
        )
        self.session.bind(self._trading.send_once)
        brand_key = StaticToken(
            lambda: str(credentials().get("brand_api_key") or ""),
            header="brand-api-key",
            forget=forget_credentials,
        )
        self._brand = self._trading.beside("TradeLocker Brand API", brand_url, brand_key)
        self._account_type = account_type
        self._new_password = new_password
        self._symbols = symbols or default_mapping(PLATFORM)
        self._clock = clock
        self._balance_lookback = balance_lookback
        self._partial_lookback = partial_close_lookback
        self._columns: dict[str, list[str]] = {}
        self._instruments: dict[str, str] = {}
        self._acc_nums: dict[str, tuple[str, str]] = {}  # accountId -> (accNum, currency)

    # ---- accounts (Brand API) ----
    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        user = self._brand.call("GET", "/v1/users", params={"email": email}, missing_ok=True)
        if user is None:
            return None
        answer = self._brand.call("GET", "/v1/accounts", params={"userId": user["userId"]})
        for account in (answer or {}).get("accounts") or []:
            if account.get("accountName") == reference:
                return OpenedAccount(self._ref(account), self.server)
        return None

    def create_account(self, request: NewAccount) -> OpenedAccount:
        user, password = self._user(request)
        body = {
            "userId": user["userId"],
            "accountName": request.reference,
            "groupId": request.group,
            "currency": request.currency,
            "type": setting(self._account_type),
            "initialBalance": request.initial_balance,
        }

        def create() -> OpenedAccount:
            created = self._brand.call("POST", "/v1/accounts", json_body=body, unsafe=True)
            return OpenedAccount(self._ref(created), self.server, password)

        def look_up() -> OpenedAccount | None:
            found = self.find_account(request.reference, request.email)
            return None if found is None else OpenedAccount(found.ref, self.server, password)

        return created_once(create, look_up, f"TradeLocker: opening {request.reference}")

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        path = f"/v1/accounts/{account.platform_account_id}"
        current = self._brand.call("GET", path)
        if (current or {}).get("status") != ACCESS[access]:
            self._brand.call("PATCH", f"{path}/status", json_body={"status": ACCESS[access]})

    def access(self, account: AccountRef) -> TradingAccess:
        current = self._brand.call("GET", f"/v1/accounts/{account.platform_account_id}")
        return access_named(ACCESS, (current or {}).get("status"), "TradeLocker")

    def adjust_balance(self, account: AccountRef, amount_: Decimal, reference: str, comment: str) -> str:
        if amount_ == 0:
            raise PlatformRejectedError("TradeLocker: a balance operation of zero")
        booked = self._balance_operation(account, reference)
        if booked is not None:
            return booked
        body = {
            "amount": abs(amount_),
            "operationType": "DEPOSIT" if amount_ > 0 else "WITHDRAWAL",
            "note": own_bookings.tagged(comment, reference),  # ours when read back (a broker's has no tag)
            "externalId": reference,  # how a retry finds it
        }
        path = f"/v1/accounts/{account.platform_account_id}/balance"
        return created_once(
            lambda: str(self._brand.call("POST", path, json_body=body, unsafe=True)["operationId"]),
            lambda: self._balance_operation(account, reference),
            f"TradeLocker: balance operation {reference}",
        )

    # ---- trading (public API) ----
    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        open_now = self.positions(account)
        if not open_now:
            return []
        self._trading.call("DELETE", self._trade(account, "positions"), headers=self._acc(account))
        since = min(p.opened_at for p in open_now)
        ids = {p.position_id for p in open_now}
        closes = self._deals(account, since, self._clock() + timedelta(minutes=1), still_open=set())
        return [deal for deal in closes if deal.kind == "close" and deal.position_id in ids]

    def figures(self, account: AccountRef) -> AccountFigures:
        answer = self._trading.call("GET", self._trade(account, "state"), headers=self._acc(account))
        state = self._row(
            "accountDetailsConfig", ((answer or {}).get("d") or {}).get("accountDetailsData") or []
        )
        return AccountFigures(
            balance=amount(state.get("balance")),
            equity=amount(state.get("projectedBalance")),
            currency=self._account_numbers(account)[1],
            as_of=self._clock(),
        )

    def positions(self, account: AccountRef) -> list[OpenPosition]:
        answer = self._trading.call("GET", self._trade(account, "positions"), headers=self._acc(account))
        rows = ((answer or {}).get("d") or {}).get("positions") or []
        positions = []
        for row in rows:
            raw = self._row("positionsConfig", row)
            symbol = self._symbol(account, raw.get("tradableInstrumentId"))
            positions.append(
                OpenPosition(
                    position_id=str(raw["id"]),
                    symbol=symbol,
                    side=side(raw.get("side")),
                    volume=self._symbols.to_lots(symbol, amount(raw.get("qty"))),
                    open_price=amount(raw.get("avgPrice")),
                    opened_at=utc_time(raw.get("openDate"), "openDate"),
                    floating_profit=amount(raw.get("unrealizedPl"), Decimal(0)),
                )
            )
        return positions

    def pending_orders(self, account: AccountRef) -> list[PendingOrder]:
        answer = self._trading.call("GET", self._trade(account, "orders"), headers=self._acc(account))
        orders = []
        for row in ((answer or {}).get("d") or {}).get("orders") or []:
            raw = self._row("ordersConfig", row)
            kind = str(raw.get("type") or "").lower()
            if kind not in ("stop", "limit") or not _is_open(raw.get("isOpen")):
                continue  # a market order, or a position's stop loss or take profit
            if str(raw.get("status") or "").lower() in FINISHED:
                continue
            symbol = self._symbol(account, raw.get("tradableInstrumentId"))
            orders.append(
                PendingOrder(
                    order_id=str(raw["id"]),
                    symbol=symbol,
                    side=side(raw.get("side")),
                    volume=self._symbols.to_lots(symbol, amount(raw.get("qty"))),
                    order_type="stop" if kind == "stop" else "limit",
                    placed_at=utc_time(raw.get("createdDate"), "createdDate"),
                    price=price_or_none(raw.get("stopPrice") if kind == "stop" else raw.get("price")),
                )
            )
        return sorted(orders, key=lambda order: (order.placed_at, order.order_id))

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        still_open = {p.position_id for p in self.positions(account)}
        trades = self._deals(
            account, since - self._partial_lookback, self._clock() + timedelta(minutes=1), still_open
        )
        balance = self._balance_deals(self._balance_operations(account, since, until))
        return oldest_first([*trades, *balance], since, until)

    # ---- reading ----
    def _user(self, request: NewAccount) -> tuple[Mapping[str, Any], str | None]:
        user = self._brand.call("GET", "/v1/users", params={"email": request.email}, missing_ok=True)
        if user is not None:
            return user, None
        password = self._new_password()
        body = {
            "email": request.email,
            "password": password,
            "firstName": request.first_name,
            "lastName": request.last_name,
        }
        created = created_once(
            lambda: self._brand.call("POST", "/v1/users", json_body=body, unsafe=True),
            lambda: self._brand.call("GET", "/v1/users", params={"email": request.email}, missing_ok=True),
            "TradeLocker: creating the user",
        )
        return created, password

    def _deals(
        self, account: AccountRef, since: datetime, until: datetime, still_open: set[str]
    ) -> list[Deal]:
        answer = self._trading.call(
            "GET",
            self._trade(account, "ordersHistory"),
            params={"from": epoch_ms(since), "to": epoch_ms(until)},
            headers=self._acc(account),
        )
        rows = ((answer or {}).get("d") or {}).get("ordersHistory") or []
        fills = [self._row("ordersHistoryConfig", row) for row in rows]
        fills = [f for f in fills if str(f.get("status")).lower() == "filled" and f.get("positionId")]
        profits = self._realized(account, since, until)
        opens: dict[str, Deal] = {}
        closes: dict[str, list[Mapping[str, Any]]] = {}
        for fill in fills:
            position_id = str(fill["positionId"])
            if _is_open(fill.get("isOpen")):
                symbol = self._symbol(account, fill.get("tradableInstrumentId"))
                opens[position_id] = Deal(
                    deal_id=opening_deal_id(position_id),
                    kind="open",
                    time=_fill_time(fill),
                    position_id=position_id,
                    symbol=symbol,
                    side=side(fill.get("side")),
                    volume=self._symbols.to_lots(symbol, amount(fill.get("filledQty") or fill.get("qty"))),
                    price=amount(fill.get("avgPrice"), Decimal(0)),
                    stop_loss=price_or_none(fill.get("stopLoss")),
                    take_profit=price_or_none(fill.get("takeProfit")),
                )
            else:
                closes.setdefault(position_id, []).append(fill)
        deals = list(opens.values())
        for position_id, parts in closes.items():
            if position_id in still_open:
                continue  # partially closed: reported once flat
            last = max(parts, key=_fill_time)
            symbol = self._symbol(account, last.get("tradableInstrumentId"))
            volume = sum((amount(p.get("filledQty") or p.get("qty")) for p in parts), Decimal(0))
            deals.append(
                Deal(
                    deal_id=closing_deal_id(position_id),
                    kind="close",
                    time=_fill_time(last),
                    position_id=position_id,
                    symbol=symbol,
                    side=opposite(side(last.get("side"))),
                    volume=self._symbols.to_lots(symbol, volume),
                    price=amount(last.get("avgPrice"), Decimal(0)),
                    profit=profits.get(position_id, Decimal(0)),
                    reason=_reason(last.get("type")),
                )
            )
        return deals

    def _realized(self, account: AccountRef, since: datetime, until: datetime) -> dict[str, Decimal]:
        answer = self._brand.call(
            "GET",
            f"/v1/accounts/{account.platform_account_id}/closed-positions",
            params={"from": rfc3339(since), "to": rfc3339(until)},
        )
        totals: dict[str, Decimal] = {}
        for row in (answer or {}).get("positions") or []:
            key = str(row.get("positionId"))
            totals[key] = totals.get(key, Decimal(0)) + amount(row.get("profit"), Decimal(0))
        return totals

    def _balance_operations(
        self, account: AccountRef, since: datetime, until: datetime
    ) -> list[Mapping[str, Any]]:
        answer = self._brand.call(
            "GET",
            f"/v1/accounts/{account.platform_account_id}/balance-operations",
            params={"from": rfc3339(since), "to": rfc3339(until)},
        )
        return list((answer or {}).get("operations") or [])

    def _balance_operation(self, account: AccountRef, reference: str) -> str | None:
        now = self._clock()
        for row in self._balance_operations(account, now - self._balance_lookback, now + timedelta(days=1)):
            if row.get("externalId") == reference:
                return str(row["operationId"])
        return None

    @staticmethod
    def _balance_deals(rows: Iterable[Mapping[str, Any]]) -> list[Deal]:
        deals = []
        for row in rows:
            size = abs(amount(row.get("amount"), Decimal(0)))
            kind = str(row.get("operationType") or "").upper()
            if kind not in ("DEPOSIT", "WITHDRAWAL"):
                continue
            deals.append(
                Deal(
                    deal_id=str(row["operationId"]),
                    kind="balance",
                    time=utc_time(row.get("createdAt"), "createdAt"),
                    profit=size if kind == "DEPOSIT" else -size,
                    reason=str(row.get("note") or "") or None,
                    our_reference=own_bookings.reference_in(row.get("note")),
                )
            )
        return deals

    # ---- translating ----
    def _ref(self, account: Mapping[str, Any]) -> AccountRef:
        account_id = str(account["accountId"])
        if account.get("accNum") is not None:
            self._acc_nums[account_id] = (str(account["accNum"]), str(account.get("currency") or ""))
        return AccountRef(PLATFORM, account_id, account_id, str(account.get("groupId") or ""))

    def _trade(self, account: AccountRef, what: str) -> str:
        return f"/trade/accounts/{account.platform_account_id}/{what}"

    def _acc(self, account: AccountRef) -> dict[str, str]:
        return {"accNum": self._account_numbers(account)[0]}

    def _account_numbers(self, account: AccountRef) -> tuple[str, str]:
        key = account.platform_account_id
        if key not in self._acc_nums or not self._acc_nums[key][1]:
            answer = self._trading.call("GET", "/auth/jwt/all-accounts")
            for row in (answer or {}).get("accounts") or []:
                self._acc_nums[str(row["id"])] = (str(row.get("accNum")), str(row.get("currency") or ""))
        if key not in self._acc_nums:
            raise PlatformRejectedError(f"TradeLocker: the service login sees no account {key}")
        return self._acc_nums[key]

    def _row(self, config: str, values: Any) -> dict[str, Any]:
        if isinstance(values, Mapping):
            return dict(values)
        if config not in self._columns:
            answer = self._trading.call("GET", "/trade/config")
            for name, section in ((answer or {}).get("d") or {}).items():
                if isinstance(section, Mapping) and isinstance(section.get("columns"), list):
                    self._columns[name] = [str(column["id"]) for column in section["columns"]]
        columns = self._columns.get(config)
        if columns is None:
            raise PlatformRejectedError(f"TradeLocker: /trade/config has no {config}")
        return dict(zip(columns, values, strict=False))

    def _symbol(self, account: AccountRef, instrument_id: Any) -> str:
        key = str(instrument_id)
        if key not in self._instruments:
            answer = self._trading.call(
                "GET", self._trade(account, "instruments"), headers=self._acc(account)
            )
            for row in ((answer or {}).get("d") or {}).get("instruments") or []:
                self._instruments[str(row.get("tradableInstrumentId"))] = str(row.get("name") or "")
        name = self._instruments.get(key)
        if not name:
            raise PlatformRejectedError(f"TradeLocker: unknown instrument {key}")
        return self._symbols.canonical(name)


def _expires(token: str) -> float:  # float ok: epoch s, never money
    """The `exp` of a JWT (seconds since the epoch), read without verifying it (our own token, for timing)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])  # float ok: epoch s, never money
    except (IndexError, KeyError, TypeError, ValueError):
        return 0.0  # unreadable: treat as expired, so it is refreshed


def _is_open(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _fill_time(fill: Mapping[str, Any]) -> datetime:
    return utc_time(fill.get("lastModified") or fill.get("createdDate"), "order time")


def _reason(order_type: Any) -> str:
    kind = str(order_type or "").lower()
    if kind == "limit":
        return "take_profit"
    if kind == "stop":
        return "stop_loss"
    return "manual"
