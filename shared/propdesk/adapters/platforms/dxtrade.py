"""DXtrade as the trading-platform port: the REST side (provisioning, control, polling, backfill). Push over
WebSocket is the connector service's; its messages are read by `dxtrade_push` (pure).

API facts relied on (DXtrade's REST API as the published PHP SDK alexstewartja/dxtrade-php-sdk calls it):
- trading API: `POST /login {username, domain, password}` → {sessionToken, timeout}; `Authorization: DXAPI
  <token>`; the session expires after `timeout` (re-login; `POST /ping` would extend it);
  `GET /accounts/{account}/positions` (positionCode, symbol, quantity in units, side, openPrice,
  lastUpdateTime, takeProfitPrice, stopLossPrice), `GET /accounts/{account}/metrics?include-positions=true`
  (equity, balance; per position `fpl`, the floating P&L), `GET /accounts/{account}/orders/history`
  (orders with legs: positionEffect OPEN|CLOSE, positionCode, side, filledQuantity, averagePrice; status
  COMPLETED), `GET /accounts/{account}/orders` (the orders not final: status WORKING or ACCEPTED, type
  LIMIT | STOP | MARKET | ..., issueTime, legs with positionEffect, side, quantity in units, price; a
  position's stop loss or take profit is a leg closing it; ASSUMED from the SDK's `Order` model: the
  SDK names no list route), `GET /accounts/{account}/transfers` (cash transfers: transferCode, comment,
  transactionTime, cashTransactions of type DEPOSIT, WITHDRAWAL, SETTLEMENT, COMMISSION, FINANCING, ...
  with positionCode),
  `POST /accounts/{account}/orders` (a MARKET order with positionEffect CLOSE and the positionCode closes a
  position); `account` is `clearing_code:account_code`;
- administrative API: `POST /api/register/client` (a user), `GET /api/register/client/{domain}/{login}`,
  `POST /api/register/client/{domain}/{login}/account` (an account with our own accountCode, currency,
  balance, categories, metadata), `GET|PUT /api/register/account/{clearing}/{account}` (status
  FULL_TRADING | CLOSE_ONLY | NO_TRADING | TERMINATED | EXPIRED), `PUT .../deposit/{id}` and
  `PUT .../withdrawal/{id}` with an id we generate (so a repeat cannot book twice).

Our choices: the account code is derived from our reference (`account_code_for`), so opening an account is
idempotent by construction (a repeat answers 409 and finds it) and finding it is one GET; the reference is
also kept in the account's metadata and checked. A deposit's or withdrawal's id is derived from our
reference, and its description carries `[propdesk:<reference>]` (`own_bookings`): the transfer's comment, by
which the history and the push report it as ours. Access: enabled = FULL_TRADING, read-only = CLOSE_ONLY,
disabled = NO_TRADING (never TERMINATED: disabled must stay reversible). Liquidation sends one closing order
per position with an order code derived from the position, so a retried liquidation closes nothing twice.

Assumptions where the sources are silent: the session from `/login` also authorizes `/api/register/*`; the
trading API's transfer code of a deposit or withdrawal is the id we gave it; a position's open time is its
`lastUpdateTime` (positions carry no open time; a modified position reports its last change); the session
`timeout` is seconds, `HH:MM:SS` or an ISO 8601 duration; times in query strings are RFC 3339 UTC.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from propdesk.adapters.platforms.dxtrade_push import REALIZED, cash_deal
from propdesk.adapters.platforms.http import (
    DEFAULT_RETRY,
    AmbiguousOutcomeError,
    ConflictError,
    Credentials,
    PlatformHttp,
    SessionLogin,
    Setting,
    created_once,
    setting,
)
from propdesk.adapters.platforms.wire import (
    amount,
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
    PlatformUnavailableError,
    TradingAccess,
    access_named,
)
from propdesk.platforms.symbols import SymbolMapping, default_mapping
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

PLATFORM: PlatformName = "dxtrade"
REQUESTS_PER_MINUTE = 120  # DXtrade publishes no figure: a conservative budget per connection
WORKING = ("WORKING", "ACCEPTED")  # an order's statuses while it can still fill
ACCESS = {
    TradingAccess.ENABLED: "FULL_TRADING",
    TradingAccess.READ_ONLY: "CLOSE_ONLY",
    TradingAccess.DISABLED: "NO_TRADING",
}
REFERENCE_KEY = "propdeskReference"


def account_code_for(reference: str) -> str:
    """Our reference as a DXtrade account code: short, upper-case, stable."""
    return "PD" + hashlib.sha256(reference.encode()).hexdigest()[:14].upper()


def operation_id_for(reference: str) -> str:
    """Our reference as a cash operation id (letters, digits, '-', at most 64 characters)."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", reference)
    return (
        cleaned
        if len(cleaned) <= 64
        else f"{cleaned[:47]}-{hashlib.sha256(reference.encode()).hexdigest()[:16]}"
    )


class DxSession(SessionLogin):
    """The `DXAPI` session: logs in on first use, again before the session times out (within `margin`) and
    after a 401."""

    scheme = "DXAPI"

    def __init__(self, credentials: Credentials, epoch: Callable[[], float], margin: Seconds = 60.0) -> None:
        super().__init__(credentials, epoch, margin)
        self._expires_at = 0.0
        self.logins = 0

    def _expires(self) -> float:  # float ok: s, never money
        return self._expires_at

    def _renew(self, now: float) -> None:  # float ok: s, never money
        credentials = self._credentials()
        body = {
            "username": str(credentials.get("username") or ""),
            "domain": str(credentials.get("domain") or "default"),
            "password": str(credentials.get("password") or ""),
        }
        answer = self._post("/login", body)
        if not isinstance(answer, Mapping) or not answer.get("sessionToken"):
            raise PlatformRejectedError("DXtrade: the login answer has no sessionToken")
        self._token = str(answer["sessionToken"])
        self._expires_at = now + _timeout_seconds(answer.get("timeout"))
        self.logins += 1


class DXtradePlatform:
    name: PlatformName = PLATFORM

    def __init__(
        self,
        trading_url: Setting,
        admin_url: Setting,
        credentials: Credentials,
        server: str,
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
        clearing_code: Setting = "default",
        user_domain: Setting = "default",
        new_password: Callable[[], str] = lambda: secrets.token_urlsafe(12),
        symbols: SymbolMapping | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        epoch: Callable[[], float] = time.time,
        partial_close_lookback: timedelta = timedelta(days=7),
    ) -> None:
        self.server = server
        self.session = DxSession(credentials, epoch)
        self._trading = PlatformHttp(
            "DXtrade", trading_url, limiter, breaker, sleep, retry, timeout, self.session
        )
        self.session.bind(self._trading.send_once)
        self._admin = self._trading.beside("DXtrade admin", admin_url, self.session)
        self._clearing_setting = clearing_code
        self._domain_setting = user_domain
        self._new_password = new_password
        self._symbols = symbols or default_mapping(PLATFORM)
        self._clock = clock
        self._partial_lookback = partial_close_lookback
        self._currencies: dict[str, str] = {}

    @property
    def _clearing(self) -> str:
        return setting(self._clearing_setting)

    @property
    def _domain(self) -> str:
        return setting(self._domain_setting)

    # ---- accounts (administrative API) ----
    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        code = account_code_for(reference)
        found = self._admin.call("GET", self._admin_account(code), missing_ok=True)
        if found is None:
            return None
        if (found.get("metadata") or {}).get(REFERENCE_KEY) not in (None, reference):
            raise PlatformRejectedError(f"DXtrade: account {code} belongs to another reference")
        return OpenedAccount(self._ref(found), self.server)

    def create_account(self, request: NewAccount) -> OpenedAccount:
        password = self._user(request)
        code = account_code_for(request.reference)
        body = {
            "clearingCode": self._clearing,
            "accountCode": code,
            "currency": request.currency,
            "balance": request.initial_balance,
            "status": ACCESS[TradingAccess.ENABLED],
            "categories": [{"category": "Group", "value": request.group}],
            "metadata": {REFERENCE_KEY: request.reference},
        }
        path = f"/api/register/client/{self._domain}/{quote(request.email, safe='')}/account"

        def create() -> OpenedAccount:
            created = self._admin.call("POST", path, json_body=body, unsafe=True)
            return OpenedAccount(self._ref(created), self.server, password)

        def look_up() -> OpenedAccount | None:
            found = self.find_account(request.reference, request.email)
            return None if found is None else OpenedAccount(found.ref, self.server, password)

        # a 409: made by an earlier attempt
        return created_once(create, look_up, f"DXtrade: opening {request.reference}", also=(ConflictError,))

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        path = self._admin_account(account.login)
        current = self._admin.call("GET", path)
        if (current or {}).get("status") != ACCESS[access]:
            self._admin.call("PUT", path, json_body={"status": ACCESS[access]})

    def access(self, account: AccountRef) -> TradingAccess:
        current = self._admin.call("GET", self._admin_account(account.login))
        return access_named(ACCESS, (current or {}).get("status"), "DXtrade")

    def adjust_balance(self, account: AccountRef, amount_: Decimal, reference: str, comment: str) -> str:
        if amount_ == 0:
            raise PlatformRejectedError("DXtrade: a balance operation of zero")
        operation = operation_id_for(reference)
        kind = "deposit" if amount_ > 0 else "withdrawal"
        description = own_bookings.tagged(comment, reference)  # the transfer's comment: ours when read back
        body = {"currency": self._currency(account), "amount": abs(amount_), "description": description}
        # our id makes the PUT idempotent: retried on an ambiguous failure, never booked twice (a 409: an
        # earlier attempt booked it)
        with contextlib.suppress(ConflictError):
            self._admin.call(
                "PUT", f"{self._admin_account(account.login)}/{kind}/{operation}", json_body=body
            )
        return operation

    # ---- trading (trading API) ----
    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        raw = self._raw_positions(account)
        if not raw:
            return []
        for position in raw:
            code = str(position["positionCode"])
            order = {
                "account": account.platform_account_id,
                "orderCode": f"pd-close-{code}",
                "type": "MARKET",
                "instrument": position.get("symbol"),
                "quantity": abs(amount(position.get("quantity"))),
                "positionEffect": "CLOSE",
                "positionCode": code,
                "side": "SELL" if side(position.get("side")) == "buy" else "BUY",
                "tif": "GTC",
            }
            with contextlib.suppress(ConflictError):  # the order code makes a repeat harmless: retried
                self._trading.call("POST", self._trade(account, "orders"), json_body=order)
        since = min(utc_time(p.get("lastUpdateTime"), "lastUpdateTime") for p in raw)
        codes = {str(p["positionCode"]) for p in raw}
        closes = self._trade_deals(account, since, self._clock() + timedelta(minutes=1), still_open=set())
        return [deal for deal in closes if deal.kind == "close" and deal.position_id in codes]

    def figures(self, account: AccountRef) -> AccountFigures:
        metrics = self._metrics(account, with_positions=False)
        return AccountFigures(
            balance=amount(metrics.get("balance")),
            equity=amount(metrics.get("equity")),
            currency=self._currency(account),
            as_of=self._clock(),
        )

    def positions(self, account: AccountRef) -> list[OpenPosition]:
        raw = self._raw_positions(account)
        if not raw:
            return []
        floating = {
            str(p.get("positionCode")): amount(p.get("fpl"), Decimal(0))
            for p in self._metrics(account, with_positions=True).get("positions") or []
        }
        return [self._position(p, floating.get(str(p["positionCode"]), Decimal(0))) for p in raw]

    def pending_orders(self, account: AccountRef) -> list[PendingOrder]:
        answer = self._trading.call("GET", self._trade(account, "orders"))
        orders = []
        for order in (answer or {}).get("orders") or []:
            kind = str(order.get("type") or "").upper()
            if kind not in ("STOP", "LIMIT") or str(order.get("status") or "").upper() not in WORKING:
                continue
            for leg in order.get("legs") or []:
                if str(leg.get("positionEffect") or "").upper() != "OPEN":
                    continue  # a position's stop loss or take profit
                symbol = self._symbols.canonical(str(leg.get("instrument") or order.get("instrument") or ""))
                units = amount(leg.get("remainingQuantity") or leg.get("quantity"))
                orders.append(
                    PendingOrder(
                        order_id=str(order["orderId"]),
                        symbol=symbol,
                        side=side(leg.get("side") or order.get("side")),
                        volume=self._symbols.to_lots(symbol, units),
                        order_type="stop" if kind == "STOP" else "limit",
                        placed_at=utc_time(
                            order.get("issueTime") or order.get("transactionTime"), "issueTime"
                        ),
                        price=price_or_none(leg.get("price")),
                    )
                )
        return sorted(orders, key=lambda order: (order.placed_at, order.order_id))

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        still_open = {str(p["positionCode"]) for p in self._raw_positions(account)}
        now = self._clock() + timedelta(minutes=1)
        trades = self._trade_deals(account, since - self._partial_lookback, now, still_open)
        balance = self._balance_deals(self._transfers(account, since, until))
        return oldest_first([*trades, *balance], since, until)

    # ---- reading ----
    def _user(self, request: NewAccount) -> str | None:
        path = f"/api/register/client/{self._domain}/{quote(request.email, safe='')}"
        if self._admin.call("GET", path, missing_ok=True) is not None:
            return None
        password = self._new_password()
        body = {
            "domain": self._domain,
            "login": request.email,
            "email": request.email,
            "fullName": f"{request.first_name} {request.last_name}".strip(),
            "password": password,
        }
        try:
            self._admin.call("POST", "/api/register/client", json_body=body, unsafe=True)
        except (AmbiguousOutcomeError, ConflictError) as error:
            if self._admin.call("GET", path, missing_ok=True) is None:
                raise PlatformUnavailableError(
                    "DXtrade: creating the user may not have happened; try again later"
                ) from error
            if isinstance(error, ConflictError):
                return None  # someone else created it: not with our password
        return password

    def _raw_positions(self, account: AccountRef) -> list[Mapping[str, Any]]:
        answer = self._trading.call("GET", self._trade(account, "positions"))
        return list((answer or {}).get("positions") or [])

    def _metrics(self, account: AccountRef, with_positions: bool) -> Mapping[str, Any]:
        answer = self._trading.call(
            "GET", self._trade(account, "metrics"), params={"include-positions": str(with_positions).lower()}
        )
        rows = (answer or {}).get("metrics") or []
        if not rows:
            raise PlatformRejectedError(f"DXtrade: no metrics for {account.platform_account_id}")
        metrics: Mapping[str, Any] = rows[0]
        return metrics

    def _transfers(self, account: AccountRef, since: datetime, until: datetime) -> list[Mapping[str, Any]]:
        answer = self._trading.call(
            "GET",
            self._trade(account, "transfers"),
            params={"time-from": rfc3339(since), "time-to": rfc3339(until)},
        )
        return list((answer or {}).get("cashTransfers") or [])

    def _trade_deals(
        self, account: AccountRef, since: datetime, until: datetime, still_open: set[str]
    ) -> list[Deal]:
        answer = self._trading.call(
            "GET",
            self._trade(account, "orders/history"),
            params={
                "completed-from": rfc3339(since),
                "completed-to": rfc3339(until),
                "in-status": "COMPLETED",
            },
        )
        realized = _realized(self._transfers(account, since, until))
        opens: dict[str, Deal] = {}
        closes: dict[str, list[tuple[datetime, Mapping[str, Any]]]] = {}
        for order in (answer or {}).get("orders") or []:
            at = utc_time(order.get("transactionTime") or order.get("issueTime"), "order time")
            for leg in order.get("legs") or []:
                if amount(leg.get("filledQuantity"), Decimal(0)) <= 0 or not leg.get("positionCode"):
                    continue
                code = str(leg["positionCode"])
                if str(leg.get("positionEffect")).upper() == "OPEN":
                    symbol = self._symbols.canonical(
                        str(leg.get("instrument") or order.get("instrument") or "")
                    )
                    opens[code] = Deal(
                        deal_id=opening_deal_id(code),
                        kind="open",
                        time=at,
                        position_id=code,
                        symbol=symbol,
                        side=side(leg.get("side") or order.get("side")),
                        volume=self._symbols.to_lots(symbol, amount(leg.get("filledQuantity"))),
                        price=amount(leg.get("averagePrice"), Decimal(0)),
                    )
                else:
                    closes.setdefault(code, []).append((at, leg))
        deals = list(opens.values())
        for code, parts in closes.items():
            if code in still_open:
                continue
            at, last = max(parts, key=lambda part: part[0])
            symbol = self._symbols.canonical(str(last.get("instrument") or ""))
            units = sum((amount(leg.get("filledQuantity")) for _, leg in parts), Decimal(0))
            deals.append(
                Deal(
                    deal_id=closing_deal_id(code),
                    kind="close",
                    time=at,
                    position_id=code,
                    symbol=symbol,
                    side=opposite(side(last.get("side"))),
                    volume=self._symbols.to_lots(symbol, units),
                    price=amount(last.get("averagePrice"), Decimal(0)),
                    profit=realized.get(code, Decimal(0)),
                    reason="manual",
                )
            )
        return deals

    @staticmethod
    def _balance_deals(transfers: Iterable[Mapping[str, Any]]) -> list[Deal]:
        deals = []
        for transfer in transfers:
            for cash in transfer.get("cashTransactions") or []:
                kind = str(cash.get("type") or "").upper()
                if kind in ("DEPOSIT", "WITHDRAWAL"):
                    deals.append(cash_deal(transfer, cash))
        return deals

    # ---- translating ----
    def _ref(self, account: Mapping[str, Any]) -> AccountRef:
        code = str(account["accountCode"])
        clearing = str(account.get("clearingCode") or self._clearing)
        if account.get("currency"):
            self._currencies[code] = str(account["currency"])
        group = next(
            (str(c.get("value")) for c in account.get("categories") or [] if c.get("category") == "Group"), ""
        )
        return AccountRef(PLATFORM, f"{clearing}:{code}", code, group)

    def _currency(self, account: AccountRef) -> str:
        if account.login not in self._currencies:
            self._ref(self._admin.call("GET", self._admin_account(account.login)))
        return self._currencies.get(account.login, "")

    def _admin_account(self, code: str) -> str:
        return f"/api/register/account/{self._clearing}/{quote(code, safe='')}"

    def _trade(self, account: AccountRef, what: str) -> str:
        return f"/accounts/{quote(account.platform_account_id, safe=':')}/{what}"

    def _position(self, raw: Mapping[str, Any], floating: Decimal) -> OpenPosition:
        symbol = self._symbols.canonical(str(raw.get("symbol") or ""))
        return OpenPosition(
            position_id=str(raw["positionCode"]),
            symbol=symbol,
            side=side(raw.get("side")),
            volume=self._symbols.to_lots(symbol, abs(amount(raw.get("quantity")))),
            open_price=amount(raw.get("openPrice")),
            opened_at=utc_time(raw.get("lastUpdateTime"), "lastUpdateTime"),
            floating_profit=floating,
            stop_loss=price_or_none(raw.get("stopLossPrice")),
            take_profit=price_or_none(raw.get("takeProfitPrice")),
        )


def _realized(transfers: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Realized P&L per position: its settlements, commissions and financing."""
    totals: dict[str, Decimal] = {}
    for transfer in transfers:
        for cash in transfer.get("cashTransactions") or []:
            code = cash.get("positionCode")
            if code and str(cash.get("type") or "").upper() in REALIZED:
                totals[str(code)] = totals.get(str(code), Decimal(0)) + amount(cash.get("value"), Decimal(0))
    return totals


_DURATION = re.compile(r"^P(?:T)?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", re.IGNORECASE)


def _timeout_seconds(value: Any, default: Seconds = 1800.0) -> Seconds:
    text = str(value or "").strip()
    if not text:
        return default
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)  # float ok: s, never money
    if re.fullmatch(r"\d+:\d{2}:\d{2}", text):
        hours, minutes, seconds = (int(part) for part in text.split(":"))
        return float(hours * 3600 + minutes * 60 + seconds)
    match = _DURATION.match(text)
    if match and any(match.groups()):
        hours_text, minutes_text, seconds_text = match.groups()
        return int(hours_text or 0) * 3600 + int(minutes_text or 0) * 60 + float(seconds_text or 0)
    return default
