"""A fake MetaTrader 5 bridge (`docs/mt5-bridge.md`): the HTTP commands over a `fakes.market.Market`, signed
requests checked (`X-Bridge-Key`, `X-Propdesk-Signature` over method, path, sorted query and body, 300 s),
`Idempotency-Key` answers replayed, and signed pushes (deals and equity) to `webhook_url` with redelivery.

Every deal the market books for one of the bridge's accounts (a test or a market simulator trading, a close
request, a balance operation) is pushed, followed by an equity reading; `push_equity(login)` pushes one more.
A push not answered 2xx is sent again (same id and body, signed anew) after `redelivery_delay`, doubling, up
to `max_attempts`. Levers: `down` (503), `requests_per_minute` (429 with Retry-After), `fail_next` /
`fail_after_next` (from `FakeService`), `pause_pushes`, `page_size`. Standard library only.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from propdesk.platforms import signing

from fakes.market import FakeAccount, FakeDeal, Market
from fakes.server import FakeService, HttpError, Reply, Request

KEY_ID = "bridge-key-1"
REQUEST_SECRET = "mt5-bridge-request-secret"  # noqa: S105 - the fake's own secrets
PUSH_SECRET = "mt5-bridge-push-secret"  # noqa: S105
SUFFIX = ".r"  # the fake server names symbols the way many brokers do: EURUSD.r
REASONS = {"manual": "client", "stop_loss": "sl", "take_profit": "tp", "stop_out": "so"}
INITIAL = "#initial"


@dataclass
class Delivery:
    push_id: str
    body: bytes
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)  # 0: no answer
    delivered: bool = False


class FakeMt5Bridge(FakeService):
    def __init__(
        self,
        market: Market | None = None,
        bridge_id: str = "mt5-demo-1",
        server: str = "PropDesk-MT5-Demo",
        key_id: str = KEY_ID,
        request_secret: str = REQUEST_SECRET,
        push_secret: str = PUSH_SECRET,
        clock: Callable[[], float] = time.monotonic,
        redelivery_delay: float = 0.05,
        max_attempts: int = 8,
    ) -> None:
        super().__init__()
        self.market = market or Market()
        self._lock = self.market.lock  # one lock: the market calls back into the fake (pushes)
        self.bridge_id, self.server = bridge_id, server
        self.key_id, self.request_secrets, self.push_secret = key_id, [request_secret], push_secret
        self.clock = clock
        self.down = False
        self.requests_per_minute: int | None = None
        self.rate_limited = 0
        self.refused: list[str] = []  # why requests were refused (401)
        self.page_size = 1000
        self.webhook_url: str | None = None
        self.pause_pushes = False
        self.redelivery_delay, self.max_attempts = redelivery_delay, max_attempts
        self.deliveries: list[Delivery] = []
        self.groups = {
            "challenge-100k": "USD",
            "demo\\prop\\100k": "USD",
            "2step-50k": "USD",
            "eur-50k": "EUR",
        }
        self.passwords: dict[str, str] = {}  # login -> MD5 of the master password
        self.leverage: dict[str, int] = {}
        self._idempotent: dict[tuple[str, str], Reply] = {}
        self._operations: dict[tuple[str, str], str] = {}  # (login, reference) -> ticket
        self._minute: list[float] = []
        self._push_ids = itertools.count(1)
        self._outbox: list[Delivery] = []
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._pusher: threading.Thread | None = None
        self.market.listeners.append(self._booked)
        self.route("POST", "/v1/accounts", self._create)
        self.route("GET", "/v1/accounts", self._find)
        self.route("GET", r"/v1/accounts/(\d+)", self._read)
        self.route("POST", r"/v1/accounts/(\d+)/password", self._new_password)
        self.route("PUT", r"/v1/accounts/(\d+)/rights", self._rights)
        self.route("POST", r"/v1/accounts/(\d+)/close-positions", self._close_all)
        self.route("POST", r"/v1/accounts/(\d+)/balance-operations", self._balance)
        self.route("GET", r"/v1/accounts/(\d+)/balance-operations", self._balance_operations)
        self.route("GET", r"/v1/accounts/(\d+)/positions", self._positions)
        self.route("GET", r"/v1/accounts/(\d+)/deals", self._deals)
        self.route("GET", r"/v1/accounts/(\d+)/orders", self._orders)

    # ================= serving =================
    def start(self, port: int = 0) -> str:
        url = super().start(port)
        self._stopped.clear()
        self._pusher = threading.Thread(target=self._push_loop, daemon=True)
        self._pusher.start()
        return url

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        super().stop()

    def dispatch(self, request: Request) -> Reply:
        if self.down:
            return Reply(
                503, {"error": {"code": "MT5_SERVER_UNREACHABLE", "message": "no manager connection"}}
            )
        refusal = self._authenticate(request)
        if refusal is not None:
            self.refused.append(refusal)
            return Reply(401, {"error": {"code": "BAD_SIGNATURE", "message": refusal}})
        with self._lock:
            wait = self._over_limit()
        if wait is not None:
            return Reply(429, {"error": {"code": "TOO_MANY_REQUESTS"}}, {"Retry-After": str(wait)})
        return super().dispatch(request)

    def _route(self, request: Request) -> Reply:
        """The work and its answer, kept by `Idempotency-Key` even when the answer is then lost."""
        key = request.header("idempotency-key")
        if (
            request.method != "POST"
            or not key
            or request.path == "/v1/accounts"
            or request.path.endswith("/password")
        ):
            return super()._route(request)  # answers holding a password are never kept
        with self._lock:
            kept = self._idempotent.get((request.path, key))
            if kept is not None:
                return kept
            reply = super()._route(request)
            if reply.status < 300:
                self._idempotent[(request.path, key)] = reply
            return reply

    def _authenticate(self, request: Request) -> str | None:
        if request.header("x-bridge-key") != self.key_id:
            return "unknown_key"
        pairs = sorted((name, value) for name, value in request.query.items())
        query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
        canonical = f"{request.method}\n{request.path}\n{query}\n".encode() + request.body
        try:
            signing.verify(
                request.header("x-propdesk-signature"), canonical, self.request_secrets, self.market.now()
            )
        except signing.SignatureRejectedError as error:
            return error.reason
        return None

    def _over_limit(self) -> int | None:
        if self.requests_per_minute is None:
            return None
        now = self.clock()
        self._minute = [moment for moment in self._minute if now - moment < 60]
        if len(self._minute) >= self.requests_per_minute:
            self.rate_limited += 1
            return max(1, int(60 - (now - self._minute[0])) + 1)
        self._minute.append(now)
        return None

    # ================= test controls =================
    def password_matches(self, login: str, password: str) -> bool:
        return self.passwords.get(login) == _md5(password)

    def push_equity(self, login: str) -> None:
        with self._lock:
            self._enqueue(self._equity_event(self._account(login)))

    def wait_for_pushes(self, timeout: float = 5.0) -> bool:
        """True once every push so far was delivered or gave up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._outbox:
                    return True
            time.sleep(0.01)
        return False

    # ================= commands =================
    def _create(self, request: Request) -> Reply:
        body = request.json()
        reference = str(body.get("reference", ""))
        group = str(body.get("group", ""))
        if not reference or group not in self.groups:
            raise HttpError(
                400 if not reference else 404, _error("GROUP_NOT_FOUND", "unknown group or no reference")
            )
        if str(body.get("currency", "")) != self.groups[group]:
            raise HttpError(409, _error("CURRENCY_MISMATCH", f"{group} is in {self.groups[group]}"))
        existing = self.market.by_reference(reference)
        if existing:
            return Reply(200, {**self._entity(existing[0]), "server": self.server, "created": False})
        deposit = Decimal(str(body.get("initial_deposit", "0")))
        account = self.market.open_account(
            str(body.get("email", "")), self.groups[group], Decimal(0), group, reference
        )
        password = secrets.token_urlsafe(9)
        self.passwords[account.login] = _md5(password)
        self.leverage[account.login] = int(body.get("leverage", 100))
        if deposit:
            self.market.balance_operation(account.account_id, deposit, "initial deposit", reference + INITIAL)
        return Reply(
            201, {**self._entity(account), "server": self.server, "created": True, "password": password}
        )

    def _find(self, request: Request) -> Reply:
        reference = request.query.get("reference", "")
        return Reply(
            200, {"accounts": [self._entity(a) for a in self.market.by_reference(reference) if reference]}
        )

    def _read(self, request: Request, login: str) -> Reply:
        return Reply(200, self._entity(self._account(login)))

    def _new_password(self, request: Request, login: str) -> Reply:
        self._account(login)
        password = secrets.token_urlsafe(9)
        self.passwords[login] = _md5(password)
        return Reply(200, {"password": password})

    def _rights(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        rights = request.json().get("rights")
        if rights not in ("enabled", "read_only", "disabled"):
            raise HttpError(400, _error("BAD_RIGHTS", "enabled, read_only or disabled"))
        account.access = str(rights)
        return Reply(200, self._entity(account))

    def _close_all(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        closed = self.market.close_all(account.account_id, reason="manual")
        return Reply(200, {"deals": [self._deal(account, deal) for deal in closed]})

    def _balance(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        body = request.json()
        reference = str(body.get("reference", ""))
        amount = Decimal(str(body.get("amount", "0")))
        if not reference or amount == 0:
            raise HttpError(400, _error("BAD_REQUEST", "a reference and a non-zero amount"))
        known = self._operations.get((login, reference))
        if known is not None:
            return Reply(200, {"operation_id": known, "created": False})
        if amount < 0 and -amount > account.balance:
            raise HttpError(422, _error("NOT_ENOUGH_MONEY", "the balance is lower"))
        deal = self.market.balance_operation(
            account.account_id, amount, str(body.get("comment", ""))[:31], reference
        )
        self._operations[(login, reference)] = deal.deal_id
        return Reply(201, {"operation_id": deal.deal_id, "created": True})

    def _balance_operations(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        reference = request.query.get("reference")
        rows = [
            {
                "operation_id": d.deal_id,
                "reference": d.reference,
                "amount": _text(d.profit),
                "time": _time(d.time),
            }
            for d in account.deals
            if d.kind == "balance" and (reference is None or d.reference == reference)
        ]
        return Reply(200, {"operations": rows})

    def _positions(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        rows = [
            {
                "position_id": int(p.position_id),
                "symbol": p.symbol + SUFFIX,
                "side": p.side,
                "volume": _text(p.lots),
                "open_price": _text(p.open_price),
                "opened_at": _time(p.opened_at),
                "floating_profit": _text(self.market.floating(p)),
                "sl": _text(p.stop_loss) if p.stop_loss is not None else None,
                "tp": _text(p.take_profit) if p.take_profit is not None else None,
            }
            for p in account.positions.values()
        ]
        return Reply(200, {"positions": rows})

    def _orders(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        rows = [
            {
                "ticket": int(o.order_id),
                "symbol": o.symbol + SUFFIX,
                "type": f"{o.side}_{o.order_type}",
                "volume": _text(o.lots),
                "price": _text(o.price),
                "placed_at": _time(o.placed_at),
            }
            for o in account.orders.values()
        ]
        return Reply(200, {"orders": rows})

    def _deals(self, request: Request, login: str) -> Reply:
        account = self._account(login)
        since, until = _parse(request.query.get("from")), _parse(request.query.get("to"))
        rows = [self._deal(account, d) for d in account.deals if since <= d.time < until]
        start = int(request.query.get("cursor") or 0)
        page = rows[start : start + self.page_size]
        more = start + self.page_size < len(rows)
        return Reply(200, {"deals": page, "next": str(start + self.page_size) if more else None})

    # ================= pushes =================
    def _booked(self, account: FakeAccount, deal: FakeDeal) -> None:
        if account.login not in self.passwords:
            return  # not one of this bridge's accounts
        self._enqueue(self._event("deal", account, {"deal": self._deal(account, deal)}))
        self._enqueue(self._equity_event(account))

    def _equity_event(self, account: FakeAccount) -> dict[str, Any]:
        equity = {
            "balance": _text(account.balance),
            "equity": _text(self.market.equity(account.account_id)),
            "currency": account.currency,
        }
        return self._event("equity", account, {"equity": equity})

    def _event(self, kind: str, account: FakeAccount, content: dict[str, Any]) -> dict[str, Any]:
        head = {"id": f"evt_{next(self._push_ids):06d}", "type": kind, "bridge": self.bridge_id}
        return {**head, "login": int(account.login), "occurred_at": _time(self.market.now()), **content}

    def _enqueue(self, event: dict[str, Any]) -> None:
        delivery = Delivery(event["id"], json.dumps(event, separators=(",", ":")).encode())
        self.deliveries.append(delivery)
        if self.webhook_url is not None:
            self._outbox.append(delivery)
            self._wake.set()

    def _push_loop(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(0.02)
            self._wake.clear()
            if self.pause_pushes:
                continue
            with self._lock:
                due = list(self._outbox)
            for delivery in due:  # in order; a failed one is retried before the ones behind it
                if not self._deliver(delivery):
                    break

    def _deliver(self, delivery: Delivery) -> bool:
        wait = self.redelivery_delay * 2 ** max(0, delivery.attempts - 1) if delivery.attempts else 0.0
        if wait and self._stopped.wait(wait):
            return False
        delivery.attempts += 1
        status = _post(str(self.webhook_url), delivery.body, self._push_headers(delivery.body))
        delivery.statuses.append(status)
        done = 200 <= status < 300 or delivery.attempts >= self.max_attempts
        if done:
            delivery.delivered = 200 <= status < 300
            with self._lock:
                if delivery in self._outbox:
                    self._outbox.remove(delivery)
        return done

    def _push_headers(self, body: bytes) -> dict[str, str]:
        moment = int(self.market.now().timestamp())
        return {
            "Content-Type": "application/json",
            signing.SIGNATURE_HEADER: signing.sign(self.push_secret, body, moment),
            "X-Bridge-Id": self.bridge_id,
        }

    # ================= translation =================
    def _entity(self, account: FakeAccount) -> dict[str, Any]:
        return {
            "login": int(account.login),
            "reference": account.reference,
            "group": account.group,
            "rights": account.access,
            "currency": account.currency,
            "leverage": self.leverage.get(account.login, 100),
            "balance": _text(account.balance),
            "equity": _text(self.market.equity(account.account_id)),
            "as_of": _time(self.market.now()),
        }

    def _deal(self, account: FakeAccount, deal: FakeDeal) -> dict[str, Any]:
        row: dict[str, Any] = {
            "ticket": int(deal.deal_id),
            "login": int(account.login),
            "time": _time(deal.time),
            "profit": _text(deal.profit),
            "commission": "0.00",
            "swap": "0.00",
            "fee": "0.00",
            "comment": deal.comment,
        }
        if deal.kind == "balance":
            initial = deal.reference.endswith(INITIAL)
            return {
                **row,
                "action": "balance",
                "entry": "in",
                "reference": deal.reference,
                "initial_deposit": initial,
            }
        closing = deal.kind == "close"
        row |= {
            "action": ("sell" if deal.side == "buy" else "buy") if closing else deal.side,
            "entry": "out" if closing else "in",
            "symbol": deal.symbol + SUFFIX,
            "volume": _text(deal.lots),
            "price": _text(deal.price),
            "position_id": int(deal.position_id),
            "reason": REASONS.get(deal.reason, "client") if closing else "client",
            "position": {
                "side": deal.side,
                "volume": _text(deal.lots),
                "closed": closing,
                "net_profit": _text(deal.profit) if closing else None,
            },
        }
        if not closing:
            position = account.positions.get(deal.position_id)
            row["sl"] = _text(position.stop_loss) if position and position.stop_loss is not None else None
            row["tp"] = _text(position.take_profit) if position and position.take_profit is not None else None
        return row

    def _account(self, login: str) -> FakeAccount:
        account = self.market.account(login)
        if account is None or login not in self.passwords:
            raise HttpError(404, _error("ACCOUNT_NOT_FOUND", f"no account {login}"))
        return account


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - a test URL
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _text(value: Decimal) -> str:
    return format(value, "f")


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(value: str | None) -> datetime:
    if not value:
        raise HttpError(400, _error("BAD_REQUEST", "from and to are required"))
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise HttpError(400, _error("BAD_REQUEST", f"bad time {value}")) from None
