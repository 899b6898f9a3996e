"""cTrader as the trading-platform port: accounts and balances through the broker's WebServices API (HTTP),
positions, deals, figures and liquidation through the Open API (JSON over WebSocket, one long-lived session).

- An account is a cTrader *trader* (its `login`, unique per server) created in the program's group with our
  reference as its `description`, its balance set at creation; the trader's cTID (one per e-mail) is linked
  to it, which gives the `ctidTraderAccountId` the Open API addresses. `AccountRef.platform_account_id` and
  `login` are the trader's login; the Open API id is looked up (`ProtoOAGetAccountListByAccessTokenReq`).
- Access: enabled → `FULL_ACCESS`, read-only → `CLOSE_ONLY`, disabled → `NO_TRADING` (the trader still
  logs in and sees the history; `NO_LOGIN` is not used). `NO_TRADING` forbids closing too, even over the
  Open API: liquidate before disabling.
- Creating calls are never retried blindly: an attempt that failed ambiguously is followed by a look-up by
  our reference (the trader's description; a balance operation's `externalId`). A trader found that way,
  or found before anything was sent (`create_account` is only called for an account provisioning has no
  record of), gets a new password, since the one generated before never reached the trader, and is linked.
- Volumes arrive in cents of units and leave as lots (`propdesk.platforms.symbols`); a close is reported
  once per position, when it is flat (see `ctrader_records`).
- Pending orders: `ProtoOAReconcileRes` lists the account's open positions and its pending orders
  (`ProtoOAOrder`: orderType LIMIT 2, STOP 3, STOP_LOSS_TAKE_PROFIT 4, STOP_LIMIT 6; `closingOrder`;
  orderStatus ACCEPTED 1; limitPrice, stopPrice; tradeData's openTimestamp), one request for both.

**Assumption**: one OAuth2 grant (access + refresh token, held in the `TokenStore`) covers every account
propdesk opens; how a prop firm obtains it (Spotware's broker SSO, or a service cTID the accounts are also
visible to) is settled at onboarding. The WebServices assumptions are listed in `ctrader_webservices`.

Lambda functions use only the WebServices methods (`find_account`, `create_account`, `set_access`,
`adjust_balance`); the Open API session is created on the first call that needs it, by the connector service.
"""

from __future__ import annotations

import hashlib
import queue
import random
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from propdesk.adapters.platforms import ctrader_records as records
from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.adapters.platforms.ctrader_session import (
    OpenApiRejectedError,
    OpenApiSession,
    OpenApiUnavailableError,
    SessionEvent,
)
from propdesk.adapters.platforms.ctrader_webservices import WebServicesClient
from propdesk.adapters.platforms.http import AmbiguousOutcomeError
from propdesk.money import json_number
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
from propdesk.platforms.symbols import SymbolMapping
from propdesk.ports import Clock
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from propdesk.resilience.retry import RetryPolicy, call_with_retry
from propdesk.resilience.timing import Monotonic, Sleeper
from propdesk.resilience.units import Seconds

PLATFORM: PlatformName = "ctrader"
ACCESS_RIGHTS: Mapping[TradingAccess, str] = {
    TradingAccess.ENABLED: "FULL_ACCESS",
    TradingAccess.READ_ONLY: "CLOSE_ONLY",  # the trader may still reduce risk
    TradingAccess.DISABLED: "NO_TRADING",  # logs in and sees the history, trades nothing; reversible
}
WEEK = timedelta(days=7)  # the widest window the history requests accept
DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)


@dataclass(frozen=True, slots=True)
class CTraderSettings:
    broker_name: str  # the broker (or white label) name the WebServices API knows the firm by
    server: str = "cTrader"  # what the trader picks at login
    environment: str = "live"  # "live" or "demo": where the cTID link is made
    leverage_in_cents: int = 10_000  # 1:100
    money_digits: int = 2  # the deposit currency's 10^moneyDigits scale for a new trader's balance
    lookback: timedelta = timedelta(days=30)  # how far back a look-up by reference searches
    fill_timeout: Seconds = 30.0  # how long a liquidation waits for its fills


class CTraderPlatform:
    name: PlatformName = PLATFORM

    def __init__(
        self,
        settings: CTraderSettings,
        webservices: WebServicesClient,
        open_api: Callable[[], OpenApiSession],
        symbols: SymbolMapping,
        clock: Clock,
        sleep: Sleeper,
        breaker: CircuitBreaker,
        retry: RetryPolicy = DEFAULT_RETRY,
        new_password: Callable[[], str] = lambda: secrets.token_urlsafe(12),
        rng: random.Random | None = None,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._settings = settings
        self.server = settings.server
        self._web = webservices
        self._open_api = open_api
        self._clock = clock
        self._sleep = sleep
        self._breaker = breaker
        self._retry = retry
        self._new_password = new_password
        self._rng = rng or random.Random()
        self._monotonic = monotonic  # real waiting (a liquidation's fills), apart from the platform's clock
        self._instruments = records.Instruments(symbols)
        self._account_ids: dict[int, int] = {}  # login -> ctidTraderAccountId
        self._logins: dict[int, int] = {}  # ctidTraderAccountId -> login
        self._assets: dict[int, str] = {}

    @cached_property
    def session(self) -> OpenApiSession:
        return self._open_api()

    # ================= accounts (WebServices) =================
    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        trader = self._trader_named(reference)
        return OpenedAccount(self._ref(trader), self.server) if trader is not None else None

    def create_account(self, request: NewAccount) -> OpenedAccount:
        settings = self._settings
        user_id = self._web.user_for(request.email, settings.broker_name)
        password = self._new_password()
        hashed = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        trader, created = self._create_once(request, hashed)
        login = int(trader["login"])
        if not created:  # an earlier attempt created it; its password never reached the trader
            self._web.update_trader(login, {"hashedPassword": hashed})
        account_id = self._web.link(login, hashed, user_id, settings.broker_name, settings.environment)
        self._remember(login, account_id)
        return OpenedAccount(self._ref(trader), self.server, password)

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        wanted = ACCESS_RIGHTS[access]
        login = int(account.login)
        if self._web.trader(login).get("accessRights") != wanted:
            self._web.update_trader(login, {"accessRights": wanted})

    def access(self, account: AccountRef) -> TradingAccess:
        rights = self._web.trader(int(account.login)).get("accessRights")
        return access_named(dict(ACCESS_RIGHTS), rights, "cTrader")

    def adjust_balance(self, account: AccountRef, amount: Decimal, reference: str, comment: str) -> str:
        if amount == 0:
            raise ValueError("a balance operation moves a non-zero amount")
        login = int(account.login)
        body = {
            "login": login,
            "type": "DEPOSIT" if amount > 0 else "WITHDRAW",
            "preciseAmount": json_number(abs(amount)),  # a JSON number, as the API takes it (checked exact)
            "externalId": reference,
            "comment": comment,
            # the Open API reports an operation's externalNote only (not its externalId): our tag there
            # marks it as ours when the history or a push brings it back (`own_bookings`)
            "externalNote": records.balance_note(comment, reference),
        }
        booked = self._balance_operation(login, reference)
        if booked is not None:
            return booked
        try:
            return str(self._web.change_balance(login, body))
        except AmbiguousOutcomeError as error:
            booked = self._balance_operation(login, reference)
            if booked is None:
                raise PlatformUnavailableError(
                    f"cTrader: balance operation {reference} may not have happened; try again later"
                ) from error
            return booked

    # ================= reading and liquidating (Open API) =================
    def figures(self, account: AccountRef) -> AccountFigures:
        account_id = self.account_id(account)
        trader = self._ask(wire.TRADER_REQ, {"ctidTraderAccountId": account_id}).payload["trader"]
        balance = wire.money(trader.get("balance"), trader.get("moneyDigits"))
        floating = sum(self._floating(account_id).values(), Decimal(0))
        currency = self._asset(account_id, int(trader["depositAssetId"]))
        return AccountFigures(balance, balance + floating, currency, self._clock.now())

    def positions(self, account: AccountRef) -> list[OpenPosition]:
        account_id = self.account_id(account)
        open_positions = self._open_positions(account_id)
        self._know_symbols(account_id, (p["tradeData"]["symbolId"] for p in open_positions))
        floating = self._floating(account_id)
        return [
            records.open_position(p, self._instruments, floating.get(int(p["positionId"]), Decimal(0)))
            for p in open_positions
        ]

    def pending_orders(self, account: AccountRef) -> list[PendingOrder]:
        account_id = self.account_id(account)
        working = self._reconcile(account_id).get("order") or ()
        trades = [o.get("tradeData") or {} for o in working]
        self._know_symbols(account_id, (t["symbolId"] for t in trades if t.get("symbolId") is not None))
        found = [order for order in (records.pending_order(o, self._instruments) for o in working) if order]
        return sorted(found, key=lambda order: (order.placed_at, order.order_id))

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        account_id = self.account_id(account)
        history = [d for d in self._deal_history(account_id, since, until) if records.is_fill(d)]
        self._know_symbols(account_id, (d["symbolId"] for d in history))
        still_open = {int(p["positionId"]) for p in self._open_positions(account_id)}
        found: list[Deal] = []
        for deal in history:
            if not since <= wire.instant(deal["executionTimestamp"]) < until:
                continue
            if not records.is_closing(deal):
                found.append(records.opening_deal(deal, self._instruments))
                continue
            if int(deal["positionId"]) in still_open:
                continue  # a partial close: the position's close comes when it is flat
            close = self._flat_close(account_id, int(deal["positionId"]))
            if close is not None and close.deal_id == str(deal["dealId"]):
                found.append(close)
        found.extend(self._balance_deals(account_id, since, until))
        return sorted(found, key=lambda deal: (deal.time, deal.deal_id))

    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        account_id = self.account_id(account)
        targets = {int(p["positionId"]): p for p in self._open_positions(account_id)}
        if not targets:
            return []
        self._know_symbols(account_id, (p["tradeData"]["symbolId"] for p in targets.values()))
        inbox: queue.Queue[SessionEvent] = queue.Queue()
        unsubscribe = self.session.subscribe(inbox.put)  # before the requests: no fill can slip by
        try:
            for position_id, position in targets.items():
                request = {
                    "ctidTraderAccountId": account_id,
                    "positionId": position_id,
                    "volume": int(position["tradeData"]["volume"]),
                }
                try:
                    self._ask(wire.CLOSE_POSITION_REQ, request)
                except OpenApiRejectedError as error:
                    if error.code not in wire.POSITION_GONE:
                        raise
            fills = self._await_flat(account_id, set(targets), inbox)
        finally:
            unsubscribe()
        unconfirmed = set(targets) - set(fills)
        if unconfirmed & {int(p["positionId"]) for p in self._open_positions(account_id)}:
            raise PlatformUnavailableError(
                "cTrader: positions still open after the close requests; try again"
            )
        closes = []
        for position_id in targets:  # closed by us (a fill seen) or meanwhile by someone else (history)
            fill_order, fill_position = fills.get(position_id, (None, None))
            close = self._flat_close(account_id, position_id, fill_order, fill_position)
            if close is None:
                raise PlatformUnavailableError(f"cTrader position {position_id} has no closing deal yet")
            closes.append(close)
        return closes

    # ================= for the stream =================
    def account_id(self, account: AccountRef) -> int:
        """The Open API's `ctidTraderAccountId` of an account (looked up once)."""
        login = int(account.login)
        if login not in self._account_ids:
            answer = self._ask(
                wire.ACCOUNTS_BY_ACCESS_TOKEN_REQ, {"accessToken": self.session.access_token()}
            )
            for linked in answer.payload.get("ctidTraderAccount") or ():
                self._remember(int(linked["traderLogin"]), int(linked["ctidTraderAccountId"]))
        if login not in self._account_ids:
            raise PlatformRejectedError(f"cTrader account {login} is not covered by the Open API grant")
        return self._account_ids[login]

    def login_of(self, account_id: int) -> int | None:
        return self._logins.get(account_id)

    def deals_of(self, event: wire.Frame) -> list[Deal]:
        """The deals an execution event books: an opening fill, a position's final close, a balance
        operation; nothing for acceptances, partial closes and the rest."""
        if event.payload_type != wire.EXECUTION_EVENT or event.account_id is None:
            return []
        account_id, payload = event.account_id, event.payload
        kind = wire.enum(payload.get("executionType"))
        if kind == wire.DEPOSIT_WITHDRAW and payload.get("depositWithdraw"):
            return [records.balance_deal(payload["depositWithdraw"])]
        deal = payload.get("deal")
        if kind not in (wire.ORDER_FILLED, wire.ORDER_PARTIAL_FILL) or not deal or not records.is_fill(deal):
            return []
        self._know_symbols(account_id, [deal["symbolId"]])
        position = payload.get("position") or {}
        if not records.is_closing(deal):
            return [records.opening_deal(deal, self._instruments, position)]
        if wire.enum(position.get("positionStatus")) != wire.POSITION_CLOSED:
            return []
        close = self._flat_close(account_id, int(deal["positionId"]), payload.get("order"), position)
        return [close] if close is not None else []

    # ================= internals =================
    def _create_once(self, request: NewAccount, hashed: str) -> tuple[dict[str, Any], bool]:
        body = {
            "accessRights": ACCESS_RIGHTS[TradingAccess.ENABLED],
            "accountType": "HEDGED",
            "balance": int(request.initial_balance.scaleb(self._settings.money_digits)),
            "brokerName": self._settings.broker_name,
            "depositCurrency": request.currency,
            "groupName": request.group,
            "hashedPassword": hashed,
            "leverageInCents": self._settings.leverage_in_cents,
            "totalMarginCalculationType": "MAX",
            "name": request.first_name,
            "lastName": request.last_name,
            "description": request.reference,
            "contactDetails": {"email": request.email},
        }
        found = self._trader_named(request.reference)
        if found is not None:
            return found, False
        try:
            return self._web.create_trader(body), True
        except AmbiguousOutcomeError as error:
            found = self._trader_named(request.reference)
            if found is None:
                raise PlatformUnavailableError(
                    f"cTrader: opening {request.reference} may not have happened; try again later"
                ) from error
            return found, False

    def _trader_named(self, reference: str) -> dict[str, Any] | None:
        now = self._clock.now()
        registered = self._web.traders_registered(now - self._settings.lookback, now + timedelta(days=1))
        return next((trader for trader in registered if trader.get("description") == reference), None)

    def _balance_operation(self, login: int, reference: str) -> str | None:
        now = self._clock.now()
        history = self._web.balance_history(login, now - self._settings.lookback, now + timedelta(days=1))
        found = next((entry for entry in history if entry.get("externalId") == reference), None)
        return str(found["balanceHistoryId"]) if found is not None else None

    def _ref(self, trader: Mapping[str, Any]) -> AccountRef:
        login = str(trader["login"])
        return AccountRef(PLATFORM, login, login, str(trader.get("groupName", "")))

    def _remember(self, login: int, account_id: int) -> None:
        self._account_ids[login] = account_id
        self._logins[account_id] = login

    def _ask(self, payload_type: int, payload: Mapping[str, Any]) -> wire.Frame:
        session = self.session

        def with_retries() -> wire.Frame:
            return call_with_retry(
                lambda: session.request(payload_type, payload),
                self._retry,
                retryable=lambda error: isinstance(error, PlatformUnavailableError),
                sleep=self._sleep,
                retry_after=lambda error: (
                    error.retry_after if isinstance(error, OpenApiUnavailableError) else None
                ),
            )

        try:
            return self._breaker.call(with_retries)
        except CircuitOpenError as error:
            raise PlatformUnavailableError(str(error)) from error

    def _reconcile(self, account_id: int) -> Mapping[str, Any]:
        answer = self._ask(wire.RECONCILE_REQ, {"ctidTraderAccountId": account_id})
        payload: Mapping[str, Any] = answer.payload
        return payload

    def _open_positions(self, account_id: int) -> list[dict[str, Any]]:
        return [
            p
            for p in self._reconcile(account_id).get("position") or ()
            if wire.enum(p.get("positionStatus"), wire.POSITION_OPEN) == wire.POSITION_OPEN
        ]

    def _floating(self, account_id: int) -> dict[int, Decimal]:
        answer = self._ask(wire.POSITION_UNREALIZED_PNL_REQ, {"ctidTraderAccountId": account_id}).payload
        digits = answer.get("moneyDigits")
        return {
            int(row["positionId"]): wire.money(row.get("netUnrealizedPnL"), digits)
            for row in answer.get("positionUnrealizedPnL") or ()
        }

    def _deal_history(self, account_id: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
        deals: dict[int, dict[str, Any]] = {}
        for start, end in _weeks(since, until):
            frm = start
            while True:
                answer = self._ask(
                    wire.DEAL_LIST_REQ,
                    {"ctidTraderAccountId": account_id, "fromTimestamp": frm, "toTimestamp": end},
                ).payload
                page = list(answer.get("deal") or ())
                for deal in page:
                    deals[int(deal["dealId"])] = deal
                if not answer.get("hasMore") or not page:
                    break
                latest = max(int(deal["executionTimestamp"]) for deal in page)
                frm = latest if latest > frm else frm + 1  # the same millisecond again: its deals dedupe
        return sorted(deals.values(), key=lambda d: (int(d["executionTimestamp"]), int(d["dealId"])))

    def _position_deals(self, account_id: int, position_id: int) -> list[dict[str, Any]]:
        answer = self._ask(
            wire.DEAL_LIST_BY_POSITION_ID_REQ,
            {
                "ctidTraderAccountId": account_id,
                "positionId": position_id,
                "fromTimestamp": 0,
                "toTimestamp": wire.milliseconds(self._clock.now()) + 60_000,
            },
        )
        return list(answer.payload.get("deal") or ())

    def _flat_close(
        self,
        account_id: int,
        position_id: int,
        order: Mapping[str, Any] | None = None,
        position: Mapping[str, Any] | None = None,
    ) -> Deal | None:
        closing = [
            d
            for d in self._position_deals(account_id, position_id)
            if records.is_closing(d) and records.is_fill(d)
        ]
        if not closing:
            return None
        self._know_symbols(account_id, (d["symbolId"] for d in closing))
        return records.position_close(closing, self._instruments, order, position)

    def _balance_deals(self, account_id: int, since: datetime, until: datetime) -> list[Deal]:
        deals = []
        for start, end in _weeks(since, until):
            answer = self._ask(
                wire.CASH_FLOW_HISTORY_LIST_REQ,
                {"ctidTraderAccountId": account_id, "fromTimestamp": start, "toTimestamp": end},
            ).payload
            for operation in answer.get("depositWithdraw") or ():
                deal = records.balance_deal(operation)
                if since <= deal.time < until:
                    deals.append(deal)
        return deals

    def _await_flat(
        self, account_id: int, positions: set[int], inbox: queue.Queue[SessionEvent]
    ) -> dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """The order and position of each fill that left one of `positions` flat, as they arrive."""
        fills: dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        deadline = self._monotonic() + self._settings.fill_timeout
        while set(fills) != positions:
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                break
            try:
                event = inbox.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if not isinstance(event, wire.Frame) or event.account_id != account_id:
                continue
            payload = event.payload
            position = payload.get("position") or {}
            deal = payload.get("deal") or {}
            if (
                event.payload_type == wire.EXECUTION_EVENT
                and records.is_closing(deal)
                and wire.enum(position.get("positionStatus")) == wire.POSITION_CLOSED
                and int(deal["positionId"]) in positions
            ):
                fills[int(deal["positionId"])] = (payload.get("order") or {}, position)
        return fills

    def _know_symbols(self, account_id: int, symbol_ids: Iterable[Any]) -> None:
        wanted = {int(symbol_id) for symbol_id in symbol_ids}
        if any(not self._instruments.knows(symbol_id) for symbol_id in wanted):
            answer = self._ask(wire.SYMBOLS_LIST_REQ, {"ctidTraderAccountId": account_id}).payload
            for row in answer.get("symbol") or ():
                self._instruments.add(
                    records.SymbolInfo(int(row["symbolId"]), str(row.get("symbolName", "")))
                )
        missing = sorted(symbol_id for symbol_id in wanted if self._instruments.needs_lot_size(symbol_id))
        if missing:
            answer = self._ask(
                wire.SYMBOL_BY_ID_REQ, {"ctidTraderAccountId": account_id, "symbolId": missing}
            ).payload
            for row in answer.get("symbol") or ():
                lot_size = row.get("lotSize")
                self._instruments.add(
                    records.SymbolInfo(
                        int(row["symbolId"]), "", int(lot_size) if lot_size is not None else None
                    )
                )

    def _asset(self, account_id: int, asset_id: int) -> str:
        if asset_id not in self._assets:
            answer = self._ask(wire.ASSET_LIST_REQ, {"ctidTraderAccountId": account_id}).payload
            for asset in answer.get("asset") or ():
                self._assets[int(asset["assetId"])] = str(asset["name"])
        return self._assets.get(asset_id, str(asset_id))


def _weeks(since: datetime, until: datetime) -> Iterable[tuple[int, int]]:
    """[since, until) in windows of at most a week, as inclusive Unix-millisecond bounds."""
    start, end = wire.milliseconds(since), wire.milliseconds(until) - 1
    week = int(WEEK.total_seconds() * 1000)
    while start <= end:
        yield start, min(start + week - 1, end)
        start += week
