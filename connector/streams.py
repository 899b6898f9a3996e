"""A platform's push channel held open for the connector: DXtrade's WebSocket push and Match-Trader's event
stream (cTrader's Open API socket has its own session, `ctrader_stream`).

The push says *which account changed*; the adapter's history read (`TradingPlatform.deals`) says *what was
booked*. Each notice about a watched account reads its deals since its cursor (less a margin for deals
reported late) and yields the ones not yet yielded: the deals are exactly the ones a poll or a backfill
reads (the platform's deal ids, named after the position where the platform books positions), so a deal seen
twice is one event downstream. Per platform (`StreamProtocol`): how to subscribe, how to read a message
(the accounts it names, a heartbeat to answer, a refusal), how long silence may last.

Resilience:
- **Heartbeats.** Any message counts as a sign of life; nothing heard for `heartbeat_timeout` takes the
  connection for dead. A platform that asks for an answer (DXtrade's `PingRequest`) gets it.
- **Reconnect with jitter.** A dropped or silent connection, a subscription refused or not acknowledged
  within the heartbeat timeout, or the platform failing a read closes the connection and connects again after
  an exponential backoff with full jitter (capped at `max_backoff`), reset once a subscription is
  acknowledged.
- **Gap backfill.** After a reconnect every watched account is read from its cursor (the end of its last
  successful read) less the margin: what was booked while the connection was down is yielded, in the order
  the platform reports it. A platform refusing one account (it does not know it) skips that account only.
- **Accounts come and go.** Given a function of the accounts to watch (`connector.watchlist.Watchlist`),
  the stream compares it with what it watches every `follow_every` seconds and changes the subscription on
  the live connection (`StreamProtocol.change`): an account that appeared is subscribed, then read from the
  stream's start (what it booked before it was watched); one that went is unsubscribed, then read one last
  time. The connection stays up; after a reconnect the subscription names the current set.

Clock, sleeps and randomness are injected (the contract tests drive them); the transport is a function that
opens a `StreamConnection` (`websocket_connect` for WebSockets; Match-Trader's production streams are gRPC,
whose client would be one more `connect`, the rest unchanged).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from propdesk.adapters.platforms.ctrader_stream import PushedDeal
from propdesk.platforms.port import (
    AccountRef,
    PlatformName,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingPlatform,
)
from propdesk.ports import Clock

log = logging.getLogger("propdesk.connector")


class StreamLostError(ConnectionError):
    """The connection is gone or no longer trusted (silent, refused): reconnect."""


class StreamConnection(Protocol):
    def send(self, message: str) -> None: ...

    def recv(self, timeout: float | None = None) -> str | bytes:
        """The next message; `TimeoutError` when none came within `timeout`; `ConnectionError` when closed."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Notice:
    accounts: tuple[str, ...] = ()  # the stream's keys of the accounts the message says changed
    reply: str | None = None  # what to send back (a heartbeat's answer)
    refused: str | None = None  # the platform refused us (a subscription with an expired session)
    acknowledged: bool = False  # the platform accepted the subscription


class StreamProtocol(Protocol):
    platform: PlatformName
    heartbeat_timeout: float  # seconds of silence after which the connection is taken for dead

    def key(self, account: AccountRef) -> str: ...

    def connect(self) -> StreamConnection: ...

    def subscribe(self, connection: StreamConnection, accounts: Sequence[AccountRef]) -> None: ...

    def change(
        self,
        connection: StreamConnection,
        watched: Sequence[AccountRef],
        added: Sequence[AccountRef],
        removed: Sequence[AccountRef],
    ) -> None:
        """Change the live subscription: `watched` is the whole set after the change."""
        ...

    def read(self, raw: str | bytes) -> Notice: ...

    def refused(self) -> None:
        """Told after a refusal (forget a session token, say)."""
        ...


@dataclass
class StreamReport:
    connects: int = 0
    reconnects: int = 0
    heartbeats_missed: int = 0
    notices: int = 0
    reads: int = 0
    backfills: int = 0
    subscribed: int = 0  # accounts added while connected
    unsubscribed: int = 0  # accounts let go while connected


Watched = Sequence[AccountRef] | Callable[[], Sequence[AccountRef]]  # fixed, or asked again as it runs


@dataclass
class NotifiedStream:
    """The deals of watched accounts as a platform's push channel announces them."""

    platform: TradingPlatform
    protocol: StreamProtocol
    clock: Clock
    sleep: Callable[[float], None]
    monotonic: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    margin: timedelta = timedelta(minutes=2)
    base_backoff: float = 0.5
    max_backoff: float = 30.0
    follow_every: float = 5.0  # seconds between comparisons of the watched accounts with the wanted ones
    report: StreamReport = field(default_factory=StreamReport)

    def deals(
        self,
        accounts: Watched,
        since: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[PushedDeal]:
        """Deals of `accounts` from now on (and from `since`, when given: the connector's checkpoint), until
        `stop` is set. `accounts` may be a function: asked again as the stream runs (accounts come and go)."""
        halt = stop or threading.Event()
        wanted = accounts if callable(accounts) else (lambda: accounts)
        watch = _Watch(self, since or self.clock.now())
        watch.admit(wanted())
        if since is not None:
            yield from watch.backfill()
        failures = 0
        lost = False
        while not halt.is_set():
            connection: StreamConnection | None = None
            try:
                connection = self.protocol.connect()
                self.report.connects += 1
                added, removed = watch.differences(wanted())
                yield from watch.retire(removed)
                watch.admit(added)
                self.protocol.subscribe(connection, watch.refs())
                self._acknowledged(connection)
                failures = 0
                if lost:
                    self.report.reconnects += 1
                    yield from watch.backfill()
                    lost = False
                else:
                    yield from watch.read_each(added)
                yield from self._listen(connection, watch, halt, wanted)
            except (OSError, PlatformUnavailableError) as error:  # ConnectionError, TimeoutError included
                lost = True
                failures += 1
                reason = f"{type(error).__name__}: {error}"
                log.warning("%s stream lost (%s); reconnecting", self.protocol.platform, reason)
            finally:
                if connection is not None:
                    _quietly_close(connection)
            if halt.is_set():
                break
            self.sleep(self.rng.uniform(0, self._backoff(failures)))  # full jitter

    def _backoff(self, failures: int) -> float:
        return float(min(self.max_backoff, self.base_backoff * 2 ** max(failures - 1, 0)))

    def _listen(
        self,
        connection: StreamConnection,
        watch: _Watch,
        halt: threading.Event,
        wanted: Callable[[], Sequence[AccountRef]],
    ) -> Iterator[PushedDeal]:
        timeout = self.protocol.heartbeat_timeout
        wait = max(min(1.0, timeout / 4), 0.01)
        last_heard = followed = self.monotonic()
        while not halt.is_set():
            if self.monotonic() - followed >= self.follow_every:
                followed = self.monotonic()
                yield from self._follow(connection, watch, wanted())
            try:
                raw = connection.recv(wait)
            except TimeoutError:
                if self.monotonic() - last_heard > timeout:
                    self.report.heartbeats_missed += 1
                    raise StreamLostError(f"nothing heard for {timeout:.0f} s") from None
                continue
            last_heard = self.monotonic()
            touched = self._heard(connection, raw)
            for raw in _drain(connection):  # notices already waiting: one read per account for all of them
                touched |= self._heard(connection, raw)
            for key in sorted(touched):
                yield from watch.read(key)

    def _follow(
        self, connection: StreamConnection, watch: _Watch, wanted: Sequence[AccountRef]
    ) -> Iterator[PushedDeal]:
        """Subscribe the accounts that appeared and unsubscribe those that went, on the live connection;
        read the new ones from the stream's start and the gone ones one last time."""
        added, removed = watch.differences(wanted)
        if not added and not removed:
            return
        gone = {self.protocol.key(a) for a in removed}
        after = [a for a in watch.refs() if self.protocol.key(a) not in gone] + added
        self.protocol.change(connection, after, added, removed)
        self.report.subscribed += len(added)
        yield from watch.retire(removed)
        self.report.unsubscribed += len(removed)  # once read one last time: nothing of them comes after
        watch.admit(added)
        yield from watch.read_each(added)

    def _acknowledged(self, connection: StreamConnection) -> None:
        """Wait for the platform to accept the subscription (what comes meanwhile is read after it)."""
        deadline = self.monotonic() + self.protocol.heartbeat_timeout
        while True:
            wait = deadline - self.monotonic()
            if wait <= 0:
                raise StreamLostError("the subscription was not acknowledged")
            notice = self.protocol.read(connection.recv(wait))
            if notice.reply is not None:
                connection.send(notice.reply)
            if notice.refused is not None:
                self.protocol.refused()
                raise StreamLostError(f"refused: {notice.refused}")
            if notice.acknowledged:
                return

    def _heard(self, connection: StreamConnection, raw: str | bytes) -> set[str]:
        notice = self.protocol.read(raw)
        if notice.reply is not None:
            connection.send(notice.reply)
        if notice.refused is not None:
            self.protocol.refused()
            raise StreamLostError(f"refused: {notice.refused}")
        if notice.accounts:
            self.report.notices += 1
        return set(notice.accounts)


class _Watch:
    """The watched accounts, each with its cursor and the deal ids already yielded after it."""

    def __init__(self, stream: NotifiedStream, start: datetime) -> None:
        self.stream = stream
        self.start = start  # where an account watched later is read from
        self.accounts: dict[str, AccountRef] = {}
        self.cursor: dict[str, datetime] = {}
        self.seen: dict[str, dict[str, datetime]] = {}
        self.retired: dict[str, datetime] = {}  # the cursors of accounts let go (one may come back)

    def refs(self) -> list[AccountRef]:
        return list(self.accounts.values())

    def differences(self, wanted: Sequence[AccountRef]) -> tuple[list[AccountRef], list[AccountRef]]:
        """(to add, to let go) for the `wanted` set."""
        keyed = {self.stream.protocol.key(a): a for a in wanted}
        added = [account for key, account in keyed.items() if key not in self.accounts]
        removed = [account for key, account in self.accounts.items() if key not in keyed]
        return added, removed

    def admit(self, accounts: Sequence[AccountRef]) -> None:
        for account in accounts:
            key = self.stream.protocol.key(account)
            self.accounts[key] = account
            self.cursor[key] = self.retired.pop(key, self.start)
            self.seen[key] = {}

    def retire(self, accounts: Sequence[AccountRef]) -> Iterator[PushedDeal]:
        """Read each account one last time, then stop watching it."""
        for account in accounts:
            key = self.stream.protocol.key(account)
            yield from self.read(key)
            self.retired[key] = self.cursor.pop(key)
            del self.accounts[key], self.seen[key]

    def read_each(self, accounts: Sequence[AccountRef]) -> Iterator[PushedDeal]:
        for account in accounts:
            yield from self.read(self.stream.protocol.key(account))

    def backfill(self) -> Iterator[PushedDeal]:
        self.stream.report.backfills += 1
        for key in sorted(self.accounts):
            yield from self.read(key)

    def read(self, key: str) -> Iterator[PushedDeal]:
        account = self.accounts.get(key)
        if account is None:
            return
        now = self.stream.clock.now()
        since = self.cursor[key] - self.stream.margin
        try:
            deals = self.stream.platform.deals(account, since, now + timedelta(seconds=1))
        except PlatformRejectedError as error:
            log.warning("the platform refused an account's read", extra={"account": key, "error": str(error)})
            self.cursor[key] = now
            return
        self.stream.report.reads += 1
        seen = self.seen[key]
        for moment_id in [d for d, at in seen.items() if at < since]:
            del seen[moment_id]
        self.cursor[key] = now
        for deal in deals:
            if deal.deal_id in seen:
                continue
            seen[deal.deal_id] = deal.time
            yield PushedDeal(account, deal)


def _drain(connection: StreamConnection) -> Iterator[str | bytes]:
    while True:
        try:
            yield connection.recv(0)
        except TimeoutError:
            return


def _quietly_close(connection: StreamConnection) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone either way
        connection.close()


# ---- the transport: a WebSocket ----
class WebSocketConnection:
    """`websockets`' synchronous client as a `StreamConnection` (its closing errors as `ConnectionError`)."""

    def __init__(self, url: str, open_timeout: float = 10.0) -> None:
        from websockets.sync.client import connect

        try:
            self._socket: Any = connect(
                url, open_timeout=open_timeout, ping_interval=None, close_timeout=2, proxy=None, legacy=True
            )
        except Exception as error:  # refused, handshake failed, timed out: not connected
            raise ConnectionError(f"cannot connect to {url}: {error}") from error

    def send(self, message: str) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self._socket.send(message)
        except ConnectionClosed as error:
            raise ConnectionError("closed") from error

    def recv(self, timeout: float | None = None) -> str | bytes:
        from websockets.exceptions import ConnectionClosed

        try:
            message: str | bytes = self._socket.recv(timeout)
        except ConnectionClosed as error:
            raise ConnectionError("closed") from error
        return message

    def close(self) -> None:
        self._socket.close()


# ---- the platforms ----
@dataclass
class DXtradePush:
    """DXtrade's push API: subscribe to the accounts' portfolios with the REST session's token; every
    `AccountPortfolios` or `CashTransfers` names changed accounts; `PingRequest` is answered with `Ping`;
    `Reject` (an expired session) forgets the token and reconnects."""

    url: str
    session_token: Callable[[], str]
    forget_session: Callable[[], None] = lambda: None
    heartbeat_timeout: float = 45.0
    platform: PlatformName = "dxtrade"
    connector: Callable[[str], StreamConnection] = WebSocketConnection

    def key(self, account: AccountRef) -> str:
        return account.platform_account_id  # clearing:code

    def connect(self) -> StreamConnection:
        return self.connector(self.url)

    def subscribe(self, connection: StreamConnection, accounts: Sequence[AccountRef]) -> None:
        request = {
            "type": "AccountPortfoliosSubscriptionRequest",
            "requestId": "propdesk-portfolios",
            "session": self.session_token(),
            "payload": {"requestType": "LIST", "accounts": [self.key(a) for a in accounts]},
        }
        connection.send(json.dumps(request, separators=(",", ":")))

    def change(
        self,
        connection: StreamConnection,
        watched: Sequence[AccountRef],
        added: Sequence[AccountRef],
        removed: Sequence[AccountRef],
    ) -> None:
        """The subscription again under the same request id, naming the whole set: it replaces the one before
        (an assumption: the push API's documentation is not public)."""
        self.subscribe(connection, watched)

    def read(self, raw: str | bytes) -> Notice:
        from propdesk.adapters.platforms.dxtrade_push import PushMessageError, parse_push, ping

        try:
            update = parse_push(raw)
        except PushMessageError:
            return Notice()
        if update.ping_requested:
            return Notice(reply=ping("", update.in_reply_to))
        if update.rejected is not None:
            return Notice(refused=update.rejected)
        if update.in_reply_to is not None:
            return Notice(acknowledged=True)  # the subscription's snapshot: the cursor's read covers it
        return Notice(tuple(sorted({*update.positions, *update.balance_deals, *update.realized})))

    def refused(self) -> None:
        self.forget_session()


@dataclass
class MatchTraderStream:
    """Match-Trader's trading-event stream: subscribe with the broker token and the logins (more logins later
    with another `subscribe`, fewer with `unsubscribe`); position and ledger updates name a login; heartbeats
    are the stream's keep-alive (nothing to answer)."""

    url: str
    token: Callable[[], str]
    system_uuid: Callable[[], str] = lambda: ""
    heartbeat_timeout: float = 45.0
    platform: PlatformName = "match-trader"
    connector: Callable[[str], StreamConnection] = WebSocketConnection

    def key(self, account: AccountRef) -> str:
        return account.login

    def connect(self) -> StreamConnection:
        return self.connector(self.url)

    def subscribe(self, connection: StreamConnection, accounts: Sequence[AccountRef]) -> None:
        request = {
            "type": "subscribe",
            "token": self.token(),
            "systemUuid": self.system_uuid(),
            "logins": [self.key(a) for a in accounts],
        }
        connection.send(json.dumps(request, separators=(",", ":")))

    def change(
        self,
        connection: StreamConnection,
        watched: Sequence[AccountRef],
        added: Sequence[AccountRef],
        removed: Sequence[AccountRef],
    ) -> None:
        """`subscribe` for the logins added, `unsubscribe` for those let go (the others stay subscribed)."""
        if added:
            self.subscribe(connection, added)
        if removed:
            request = {"type": "unsubscribe", "logins": [self.key(a) for a in removed]}
            connection.send(json.dumps(request, separators=(",", ":")))

    def read(self, raw: str | bytes) -> Notice:
        try:
            message = json.loads(raw)
        except ValueError:
            return Notice()
        if not isinstance(message, dict):
            return Notice()
        kind = message.get("type")
        if kind == "error":
            return Notice(refused=str(message.get("message") or "error"))
        if kind == "subscribed":
            return Notice(acknowledged=True)
        if kind in ("positionUpdate", "ledgerUpdate") and message.get("login") is not None:
            return Notice((str(message["login"]),))
        return Notice()

    def refused(self) -> None:
        return None
