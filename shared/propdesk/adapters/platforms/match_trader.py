"""Match-Trader's Broker API as the trading-platform port.

API facts relied on (Match-Trade's Broker API documentation on app.theneo.io/match-trade/broker-api, and the
routes as published clients call them): REST with `Authorization: <token>`, 500 requests a minute per token,
times in GMT as RFC 3339 (`2024-01-13T09:20:04.651Z`).
- user accounts: `GET /v1/accounts/by-email/{email}` (the e-mail percent-encoded), `POST /v1/accounts`;
- prop section: `POST /v1/prop/accounts?instantlyActive=&phaseStep=` {challengeId, accountUuid, name},
  `GET /v1/prop/accounts?query=&page=&size=` (paged `content`), `GET /v1/prop/accounts/{id}`,
  `PUT /v1/prop/accounts` {accountId, challengeId, phaseStep, status: ACTIVE|INACTIVE};
- trading accounts: `GET /v1/trading-account?systemUuid=&login=` (`access`, `financeInfo` with balance,
  equity, currency), `PATCH` the same to change `access`: FULL | CLOSE_ONLY | TRADING_DISABLED |
  TRADING_AND_LOGIN_DISABLED;
- trading data: `GET /v1/trading-accounts/trading-data/open-positions?systemUuid=&login=` (`positions`),
  `.../closed-positions?...&from=&to=` (`closedPositions`, filtered on the close time, with `netProfit`
  = profit + swap + commission), `.../ledgers?...&types=&from=&to=` (DEPOSIT, WITHDRAWAL, ... with comment);
- `POST /v1/trading-accounts/positions/close-all` {systemUuid, logins}; `POST /v1/deposits/manual` and
  `POST /v1/withdrawals/manual` {systemUuid, login, paymentGatewayUuid, amount, comment}.
Live updates (positions, ledgers, trading events) are gRPC streams: that is the connector service's job;
this adapter is the REST side (provisioning, control, polling, backfill).

Our choices: an account is found by the prop account's `name` (our reference) among the trader's prop
accounts; a balance operation carries `[propdesk:<reference>]` in its comment (`own_bookings`), is found in
the ledger by it (or by the older `[reference]`, booked before that tag) and read back as ours.
Access: enabled = FULL (and the prop account ACTIVE), read-only = CLOSE_ONLY (no new positions), disabled =
TRADING_DISABLED and the prop account INACTIVE (reversible: a won dispute reinstates it).

Assumptions where the documentation is silent: a ledger entry's id is the deposit's or withdrawal's `uuid`;
partial closes appear as several closed positions with the position's id (they are summed into one close once
the position is flat); `reason` values containing TAKE_PROFIT / STOP_LOSS / STOP_OUT name the close reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from propdesk.adapters.platforms.http import (
    DEFAULT_RETRY,
    PlatformHttp,
    Setting,
    StaticToken,
    created_once,
    setting,
)
from propdesk.adapters.platforms.wire import amount, oldest_first, price_or_none, rfc3339, side, utc_time
from propdesk.platforms import own_bookings
from propdesk.platforms.normalize import closing_deal_id, opening_deal_id
from propdesk.platforms.port import (
    AccountFigures,
    AccountRef,
    Deal,
    NewAccount,
    OpenedAccount,
    OpenPosition,
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

PLATFORM: PlatformName = "match-trader"
REQUESTS_PER_MINUTE = 500  # per broker token, from the Broker API's introduction
PAGE_SIZE = 100
ACCESS = {
    TradingAccess.ENABLED: "FULL",
    TradingAccess.READ_ONLY: "CLOSE_ONLY",
    TradingAccess.DISABLED: "TRADING_DISABLED",
}
LOCKED_OUT = "TRADING_AND_LOGIN_DISABLED"  # never set by us; read as disabled
PROP_STATUS = {TradingAccess.ENABLED: "ACTIVE", TradingAccess.DISABLED: "INACTIVE"}
_ACTIVE_PREFIX = "ACTIVE"  # prop statuses like ACTIVE_PARTICIPATING_IN_CHALLENGE
BALANCE_TYPES = "DEPOSIT,WITHDRAWAL"


class MatchTraderPlatform:
    name: PlatformName = PLATFORM

    def __init__(
        self,
        base_url: Setting,
        token: Callable[[], str],
        server: str,
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
        new_password: Callable[[], str] = lambda: secrets.token_urlsafe(12),
        system_uuid: Setting = "",
        payment_gateway_uuid: Setting = "",
        symbols: SymbolMapping | None = None,
        forget_token: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        balance_lookback: timedelta = timedelta(days=400),
        partial_close_lookback: timedelta = timedelta(days=7),
    ) -> None:
        self.server = server
        self._http = PlatformHttp(
            "Match-Trader",
            base_url,
            limiter,
            breaker,
            sleep,
            retry,
            timeout,
            StaticToken(token, forget=forget_token),
        )
        self._new_password = new_password
        self._system_uuid = system_uuid
        self._gateway = payment_gateway_uuid
        self._symbols = symbols or default_mapping(PLATFORM)
        self._clock = clock
        self._balance_lookback = balance_lookback
        self._partial_lookback = partial_close_lookback

    # ---- accounts ----
    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        page = 0
        while True:
            answer = self._http.call(
                "GET", "/v1/prop/accounts", params={"query": email, "page": page, "size": PAGE_SIZE}
            )
            content = (answer or {}).get("content") or []
            for account in content:
                if account.get("name") == reference and _same_email(account.get("email"), email):
                    return OpenedAccount(self._ref(account), self.server)
            if len(content) < PAGE_SIZE:
                return None
            page += 1

    def create_account(self, request: NewAccount) -> OpenedAccount:
        user, password = self._user(request)

        def create() -> OpenedAccount:
            created = self._http.call(
                "POST",
                "/v1/prop/accounts",
                params={"instantlyActive": "true", "phaseStep": request.phase_step},
                json_body={
                    "challengeId": request.group,
                    "accountUuid": user["uuid"],
                    "name": request.reference,
                },
                unsafe=True,
            )
            return OpenedAccount(self._ref(created), self.server, password)

        def look_up() -> OpenedAccount | None:
            found = self.find_account(request.reference, request.email)
            return None if found is None else OpenedAccount(found.ref, self.server, password)

        return created_once(create, look_up, f"Match-Trader: opening {request.reference}")

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        wanted = ACCESS[access]
        current = self._trading_account(account)
        if current.get("access") != wanted:
            self._http.call(
                "PATCH", "/v1/trading-account", params=self._login(account), json_body={"access": wanted}
            )
        status = PROP_STATUS.get(access)
        if status is None or not account.platform_account_id:
            return
        prop = self._http.call("GET", f"/v1/prop/accounts/{quote(account.platform_account_id, safe='')}")
        active = str(prop.get("status", "")).startswith(_ACTIVE_PREFIX)
        if active == (status == "ACTIVE"):
            return
        details = prop.get("challengeDetails") or {}
        self._http.call(
            "PUT",
            "/v1/prop/accounts",
            json_body={
                "accountId": account.platform_account_id,
                "challengeId": details.get("challengeId") or account.group,
                "phaseStep": details.get("phaseStep", 1),
                "status": status,
            },
        )

    def access(self, account: AccountRef) -> TradingAccess:
        current = self._trading_account(account).get("access")
        if current == LOCKED_OUT:
            return TradingAccess.DISABLED
        return access_named(ACCESS, current, "Match-Trader")

    # ---- trading ----
    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        open_now = self._open_positions(account)
        if not open_now:
            return []
        login = self._login(account)
        self._http.call(
            "POST",
            "/v1/trading-accounts/positions/close-all",
            json_body={"systemUuid": login["systemUuid"], "logins": [login["login"]]},
        )
        ids = {str(p["id"]) for p in open_now}
        since = min(utc_time(p.get("openTime"), "openTime") for p in open_now)
        closes = self._closes(
            self._closed_positions(account, since, self._clock() + timedelta(minutes=1)), set()
        )
        return [deal for deal in closes if deal.position_id in ids]

    def figures(self, account: AccountRef) -> AccountFigures:
        finance = self._trading_account(account).get("financeInfo") or {}
        return AccountFigures(
            balance=amount(finance.get("balance")),
            equity=amount(finance.get("equity")),
            currency=str(finance.get("currency") or ""),
            as_of=self._clock(),
        )

    def positions(self, account: AccountRef) -> list[OpenPosition]:
        return [self._position(raw) for raw in self._open_positions(account)]

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        open_now = [self._position(raw) for raw in self._open_positions(account)]
        closed = self._closed_positions(
            account, since - self._partial_lookback, self._clock() + timedelta(minutes=1)
        )
        still_open = {p.position_id for p in open_now}
        found: list[Deal] = [
            Deal(
                deal_id=opening_deal_id(p.position_id),
                kind="open",
                time=p.opened_at,
                position_id=p.position_id,
                symbol=p.symbol,
                side=p.side,
                volume=p.volume,
                price=p.open_price,
                stop_loss=p.stop_loss,
                take_profit=p.take_profit,
            )
            for p in open_now
        ]
        found += self._opens_of_closed(closed, still_open)
        found += self._closes(closed, still_open)
        found += self._balance_deals(self._ledgers(account, since, until))
        return oldest_first(found, since, until)

    def adjust_balance(self, account: AccountRef, amount_: Decimal, reference: str, comment: str) -> str:
        if amount_ == 0:
            raise PlatformRejectedError("Match-Trader: a balance operation of zero")
        booked = self._ledger_entry(account, reference)
        if booked is not None:
            return booked
        route = "/v1/deposits/manual" if amount_ > 0 else "/v1/withdrawals/manual"
        body = {
            **self._login(account),
            "paymentGatewayUuid": setting(self._gateway),
            "amount": abs(amount_),
            "comment": own_bookings.tagged(comment, reference),
        }
        return created_once(
            lambda: str(self._http.call("POST", route, json_body=body, unsafe=True)["uuid"]),
            lambda: self._ledger_entry(account, reference),
            f"Match-Trader: balance operation {reference}",
        )

    # ---- reading ----
    def _user(self, request: NewAccount) -> tuple[dict[str, Any], str | None]:
        path = f"/v1/accounts/by-email/{quote(request.email, safe='')}"
        user = self._http.call("GET", path, missing_ok=True)
        if user is not None:
            return user, None
        password = self._new_password()
        body = {
            "email": request.email,
            "password": password,
            "personalDetails": {"firstname": request.first_name, "lastname": request.last_name},
        }
        # a user created by a lost call is found by its e-mail, with the password that call carried
        created = created_once(
            lambda: self._http.call("POST", "/v1/accounts", json_body=body, unsafe=True),
            lambda: self._http.call("GET", path, missing_ok=True),
            "Match-Trader: creating the platform user",
        )
        return created, password

    def _trading_account(self, account: AccountRef) -> dict[str, Any]:
        answer = self._http.call("GET", "/v1/trading-account", params=self._login(account))
        if not isinstance(answer, dict):
            raise PlatformRejectedError(f"Match-Trader: no trading account {account.login}")
        return answer

    def _open_positions(self, account: AccountRef) -> list[dict[str, Any]]:
        answer = self._http.call(
            "GET", "/v1/trading-accounts/trading-data/open-positions", params=self._login(account)
        )
        return list((answer or {}).get("positions") or [])

    def _closed_positions(
        self, account: AccountRef, since: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        answer = self._http.call(
            "GET",
            "/v1/trading-accounts/trading-data/closed-positions",
            params={**self._login(account), "from": rfc3339(since), "to": rfc3339(until)},
        )
        return list((answer or {}).get("closedPositions") or [])

    def _ledgers(self, account: AccountRef, since: datetime, until: datetime) -> list[dict[str, Any]]:
        answer = self._http.call(
            "GET",
            "/v1/trading-accounts/trading-data/ledgers",
            params={
                **self._login(account),
                "types": BALANCE_TYPES,
                "from": rfc3339(since),
                "to": rfc3339(until),
            },
        )
        rows = answer.get("ledgers") if isinstance(answer, dict) else answer
        return list(rows or [])

    def _ledger_entry(self, account: AccountRef, reference: str) -> str | None:
        now = self._clock()
        tags = (own_bookings.tag(reference), f"[{reference}]")
        for row in self._ledgers(account, now - self._balance_lookback, now + timedelta(days=1)):
            comment = str(row.get("comment") or "")
            if any(tag in comment for tag in tags):
                return str(row["id"])
        return None

    # ---- translating ----
    def _ref(self, prop_account: Mapping[str, Any]) -> AccountRef:
        details = prop_account.get("challengeDetails") or {}
        return AccountRef(
            platform=PLATFORM,
            platform_account_id=str(prop_account["id"]),
            login=str(prop_account["login"]),
            group=str(details.get("challengeId") or ""),
        )

    def _login(self, account: AccountRef) -> dict[str, str]:
        return {"systemUuid": setting(self._system_uuid), "login": account.login}

    def _position(self, raw: Mapping[str, Any]) -> OpenPosition:
        symbol = self._symbols.canonical(str(raw.get("symbol") or raw.get("alias") or ""))
        profit = raw.get("netProfit") if raw.get("netProfit") is not None else raw.get("profit")
        return OpenPosition(
            position_id=str(raw["id"]),
            symbol=symbol,
            side=side(raw.get("side")),
            volume=self._symbols.to_lots(symbol, amount(raw.get("volume"))),
            open_price=amount(raw.get("openPrice")),
            opened_at=utc_time(raw.get("openTime"), "openTime"),
            floating_profit=amount(profit, Decimal(0)),
            stop_loss=price_or_none(raw.get("stopLoss")),
            take_profit=price_or_none(raw.get("takeProfit")),
        )

    def _opens_of_closed(self, closed: Iterable[Mapping[str, Any]], still_open: set[str]) -> list[Deal]:
        opens: dict[str, Deal] = {}
        for raw in closed:
            position_id = str(raw["id"])
            if position_id in still_open or position_id in opens:
                continue  # a partial close of an open position: its open comes from the open position
            symbol = self._symbols.canonical(str(raw.get("symbol") or raw.get("alias") or ""))
            volume = sum((amount(r.get("volume")) for r in closed if str(r["id"]) == position_id), Decimal(0))
            opens[position_id] = Deal(
                deal_id=opening_deal_id(position_id),
                kind="open",
                time=utc_time(raw.get("openTime"), "openTime"),
                position_id=position_id,
                symbol=symbol,
                side=side(raw.get("side")),
                volume=self._symbols.to_lots(symbol, volume),
                price=amount(raw.get("openPrice")),
                stop_loss=price_or_none(raw.get("stopLoss")),
                take_profit=price_or_none(raw.get("takeProfit")),
            )
        return list(opens.values())

    def _closes(self, closed: Iterable[Mapping[str, Any]], still_open: set[str]) -> list[Deal]:
        """One close per flat position, partial closes summed (net of swap and commission)."""
        parts: dict[str, list[Mapping[str, Any]]] = {}
        for raw in closed:
            parts.setdefault(str(raw["id"]), []).append(raw)
        deals = []
        for position_id, rows in parts.items():
            if position_id in still_open:
                continue
            last = max(rows, key=lambda r: utc_time(r.get("time"), "close time"))
            symbol = self._symbols.canonical(str(last.get("symbol") or last.get("alias") or ""))
            volume = sum((amount(r.get("volume")) for r in rows), Decimal(0))
            profit = sum((_net(r) for r in rows), Decimal(0))
            deals.append(
                Deal(
                    deal_id=closing_deal_id(position_id),
                    kind="close",
                    time=utc_time(last.get("time"), "close time"),
                    position_id=position_id,
                    symbol=symbol,
                    side=side(last.get("side")),
                    volume=self._symbols.to_lots(symbol, volume),
                    price=amount(last.get("closePrice"), Decimal(0)),
                    profit=profit,
                    reason=_reason(last.get("reason")),
                )
            )
        return deals

    @staticmethod
    def _balance_deals(rows: Iterable[Mapping[str, Any]]) -> list[Deal]:
        deals = []
        for row in rows:
            kind = str(row.get("type") or "").upper()
            if kind not in ("DEPOSIT", "WITHDRAWAL"):
                continue
            size = abs(amount(row.get("profit"), Decimal(0)))
            deals.append(
                Deal(
                    deal_id=str(row["id"]),
                    kind="balance",
                    time=utc_time(row.get("time"), "ledger time"),
                    profit=size if kind == "DEPOSIT" else -size,
                    reason=str(row.get("comment") or "") or None,
                    our_reference=own_bookings.reference_in(row.get("comment")),
                )
            )
        return deals


def _net(raw: Mapping[str, Any]) -> Decimal:
    if raw.get("netProfit") is not None:
        return amount(raw.get("netProfit"))
    zero = Decimal(0)
    return (
        amount(raw.get("profit"), zero) + amount(raw.get("swap"), zero) + amount(raw.get("commission"), zero)
    )


def _reason(value: Any) -> str | None:
    text = str(value or "").upper()
    for marker, reason in (
        ("TAKE_PROFIT", "take_profit"),
        ("STOP_LOSS", "stop_loss"),
        ("STOP_OUT", "stop_out"),
    ):
        if marker in text:
            return reason
    return "manual" if text else None


def _same_email(found: Any, wanted: str) -> bool:
    return found is None or str(found).strip().lower() == wanted.strip().lower()
