"""MetaTrader 5 through a Windows bridge, as the trading-platform port. The bridge's HTTP contract is
`docs/mt5-bridge.md`; this adapter is its client.

- Every request is signed: `X-Bridge-Key` names the bridge's key, `X-Propdesk-Signature` is
  `propdesk.platforms.signing` over `METHOD\\npath\\ncanonical query\\nraw body` (so the method, path and
  query are covered, not only the body), with the bridge's request secret and our clock.
- The bridge is idempotent by our reference (opening an account, a balance operation) and by
  `Idempotency-Key` (a balance operation, closing every position), so those calls are retried like reads:
  a repeat answers what the first did. An account found already open (an earlier answer was lost, or
  provisioning lost its record) gets a new master password from the bridge: the one issued before never
  reached the trader.
- Access: enabled, read-only (MT5 has no close-only right per account: trading is disabled, the trader
  logs in and sees), disabled (the user cannot connect; reversible).
- Volumes are lots; symbols go through the firm's mapping; a close is reported once, when the position is
  flat, with the position's net result (`mt5_records`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from propdesk.adapters.platforms import mt5_records as records
from propdesk.adapters.platforms.http import PlatformHttp, dumps
from propdesk.adapters.platforms.wire import rfc3339
from propdesk.platforms import signing
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
from propdesk.platforms.symbols import SymbolMapping
from propdesk.ports import Clock

PLATFORM: PlatformName = "mt5"
KEY_HEADER = "X-Bridge-Key"
RIGHTS: Mapping[TradingAccess, str] = {
    TradingAccess.ENABLED: "enabled",
    TradingAccess.READ_ONLY: "read_only",
    TradingAccess.DISABLED: "disabled",
}


@dataclass(frozen=True, slots=True)
class BridgeCredentials:
    key_id: str
    secret: str  # signs our requests (the bridge's pushes use another secret)


@dataclass(frozen=True, slots=True)
class Mt5BridgeSettings:
    server: str  # what the trader picks in the terminal
    leverage: int = 100  # 1:100
    page_limit: int = 100  # deal pages followed at most per call


def canonical_query(params: Mapping[str, Any] | None) -> str:
    """`name=value` pairs sorted by name, percent-encoded (RFC 3986 unreserved characters kept)."""
    pairs = sorted((str(key), str(value)) for key, value in (params or {}).items())
    return "&".join(f"{quote(key, safe='-_.~')}={quote(value, safe='-_.~')}" for key, value in pairs)


def canonical_request(method: str, path: str, query: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{query}\n".encode() + body


class RequestSigner:
    def __init__(self, credentials: Callable[[], BridgeCredentials], clock: Clock) -> None:
        self._credentials = credentials
        self._clock = clock

    def headers(self, method: str, path: str, query: str, body: bytes) -> dict[str, str]:
        credentials = self._credentials()
        moment = int(self._clock.now().timestamp())
        signature = signing.sign(credentials.secret, canonical_request(method, path, query, body), moment)
        return {KEY_HEADER: credentials.key_id, signing.SIGNATURE_HEADER: signature}


class Mt5BridgePlatform:
    name: PlatformName = PLATFORM

    def __init__(
        self,
        settings: Mt5BridgeSettings,
        http: PlatformHttp,
        signer: RequestSigner,
        symbols: SymbolMapping,
        clock: Clock,
        new_key: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        self._settings = settings
        self.server = settings.server
        self._http = http
        self._signer = signer
        self._symbols = symbols
        self._clock = clock
        self._new_key = new_key

    # ---- accounts ----
    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        found = self._call("GET", "/v1/accounts", params={"reference": reference})
        accounts = [a for a in (found or {}).get("accounts") or () if a.get("reference") == reference]
        return OpenedAccount(self._ref(accounts[0]), self.server) if accounts else None

    def create_account(self, request: NewAccount) -> OpenedAccount:
        body = {
            "reference": request.reference,
            "group": request.group,
            "leverage": self._settings.leverage,
            "initial_deposit": request.initial_balance,
            "currency": request.currency,
            "name": f"{request.first_name} {request.last_name}".strip(),
            "email": request.email,
        }
        answer = self._call("POST", "/v1/accounts", body=body)  # idempotent by reference (no kept answer:
        # it would hold a password)
        password = answer.get("password") if answer.get("created") else None
        if not password:  # opened before: its first password never reached the trader
            login = quote(str(answer["login"]), safe="")
            password = self._call("POST", f"/v1/accounts/{login}/password", body={})["password"]
        return OpenedAccount(self._ref(answer), self.server, str(password))

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        wanted = RIGHTS[access]
        if self._account(account).get("rights") != wanted:
            self._call("PUT", f"{self._path(account)}/rights", body={"rights": wanted})

    def access(self, account: AccountRef) -> TradingAccess:
        return access_named(dict(RIGHTS), self._account(account).get("rights"), "MT5 bridge")

    def adjust_balance(self, account: AccountRef, amount: Decimal, reference: str, comment: str) -> str:
        if amount == 0:
            raise ValueError("a balance operation moves a non-zero amount")
        body = {"amount": amount, "reference": reference, "comment": comment}
        path = f"{self._path(account)}/balance-operations"
        return str(self._call("POST", path, body=body, idempotency_key=reference)["operation_id"])

    # ---- trading ----
    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        key = f"close-all:{account.login}:{self._new_key()}"  # one liquidation, whatever the retries
        answer = self._call("POST", f"{self._path(account)}/close-positions", body={}, idempotency_key=key)
        return self._deals(answer.get("deals") or ())

    def figures(self, account: AccountRef) -> AccountFigures:
        return records.figures(self._account(account), self._clock.now())

    def positions(self, account: AccountRef) -> list[OpenPosition]:
        answer = self._call("GET", f"{self._path(account)}/positions")
        return [records.position(raw, self._symbols) for raw in answer.get("positions") or ()]

    def pending_orders(self, account: AccountRef) -> list[PendingOrder]:
        answer = self._call("GET", f"{self._path(account)}/orders")
        converted = (records.pending_order(raw, self._symbols) for raw in answer.get("orders") or ())
        found = [order for order in converted if order is not None]
        return sorted(found, key=lambda order: (order.placed_at, order.order_id))

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        params: dict[str, Any] = {"from": rfc3339(since), "to": rfc3339(until)}
        found: list[Deal] = []
        for _ in range(self._settings.page_limit):
            answer = self._call("GET", f"{self._path(account)}/deals", params=params)
            found.extend(d for d in self._deals(answer.get("deals") or ()) if since <= d.time < until)
            if not answer.get("next"):
                return sorted(found, key=lambda d: (d.time, d.deal_id))
            params["cursor"] = answer["next"]
        raise PlatformRejectedError(f"MT5 bridge: more than {self._settings.page_limit} pages of deals")

    # ---- plumbing ----
    def _deals(self, rows: Any) -> list[Deal]:
        converted = (records.deal(raw, self._symbols) for raw in rows)
        return [deal for deal in converted if deal is not None]

    def _account(self, account: AccountRef) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", self._path(account))
        return found

    def _ref(self, raw: Mapping[str, Any]) -> AccountRef:
        login = str(raw["login"])
        return AccountRef(PLATFORM, login, login, str(raw.get("group", "")))

    @staticmethod
    def _path(account: AccountRef) -> str:
        return f"/v1/accounts/{quote(account.login, safe='')}"

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        query = canonical_query(params)
        raw = dumps(body) if body is not None else b""
        headers = self._signer.headers(method, path, query, raw)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        target = f"{path}?{query}" if query else path
        return self._http.call(method, target, json_body=body, headers=headers) or {}
