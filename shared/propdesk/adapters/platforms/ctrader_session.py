"""One connection to cTrader's Open API (JSON over WebSocket): authorized, kept alive, re-established.

What it guarantees:
- **Order of the handshake**: `ProtoOAApplicationAuthReq` first, then `ProtoOAAccountAuthReq` for every
  account asked for so far (with the OAuth2 access token); nothing else is sent before the application is
  authorized. An account's first request authorizes it on the way.
- **Correlation**: every request carries a fresh `clientMsgId`; its response (or `ProtoOAErrorRes`) is the
  frame that echoes it. Frames without a waiting request are events, handed to subscribers in arrival order.
- **Heartbeats**: a `ProtoHeartbeatEvent` goes out whenever we have sent nothing for `heartbeat_interval`
  (the proxy wants one at least every 30 s); when nothing at all has come in for `heartbeat_timeout` (the
  proxy sends heartbeats itself), the connection is taken for dead.
- **Reconnection**: a dropped socket or a missed heartbeat closes the connection, fails the requests in
  flight (`PlatformUnavailableError`: retry), and reconnects with jittered exponential backoff, then redoes
  the whole handshake. Subscribers see `Disconnected` and `Reconnected` markers (to backfill what they
  missed).
- **Tokens**: an expired or invalidated access token is refreshed with `ProtoOARefreshTokenReq` (the refresh
  token does not expire; the access token lasts about 30 days) and stored through the `TokenStore`; then
  every account is authorized again.
- **Rate limits**: 50 requests a second per connection, 5 a second for historical data (two token buckets;
  heartbeats are not counted). `REQUEST_FREQUENCY_EXCEEDED`/`BLOCKED_PAYLOAD_TYPE` become a retryable
  error carrying the server's `retryAfter`.

Threads: one reader thread owns the socket's receiving side, the handshake and the heartbeats; any thread
may call `request`. Subscribers are called on the reader thread and must not block (queue the frame).
The `websockets` package is imported only when the first connection is opened: the Open API belongs to the
long-running connector service, not to Lambda functions.
"""

from __future__ import annotations

import itertools
import queue
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.observability import logger
from propdesk.platforms.port import PlatformRejectedError, PlatformUnavailableError
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy
from propdesk.resilience.timing import Monotonic
from propdesk.resilience.units import Seconds


# ---- errors ----
class OpenApiUnavailableError(PlatformUnavailableError):
    """Not connected, connection lost, timed out, rate limited or a transient server error: retry."""

    def __init__(self, message: str, code: str = "", retry_after: Seconds | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class OpenApiRejectedError(PlatformRejectedError):
    """The Open API refused the request (`errorCode` says why); retrying will not help."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"cTrader refused: {code} {description}".strip())
        self.code = code


def error_of(frame: wire.Frame) -> Exception:
    """The exception an error response stands for."""
    code = str(frame.payload.get("errorCode", "UNKNOWN_ERROR"))
    description = str(frame.payload.get("description", ""))[:300]
    if code in wire.RATE_LIMITED:
        retry_after = frame.payload.get("retryAfter")
        wait = Seconds(retry_after) if retry_after is not None else 1.0
        return OpenApiUnavailableError(f"cTrader rate limit: {code}", code, wait)
    if code in wire.TOKEN_ERRORS | wire.NOT_AUTHORIZED | wire.TRANSIENT:
        return OpenApiUnavailableError(f"cTrader: {code} {description}".strip(), code)
    return OpenApiRejectedError(code, description)


# ---- credentials ----
@dataclass(frozen=True, slots=True)
class ApplicationCredentials:
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    access_token: str
    refresh_token: str


class TokenStore(Protocol):
    """Where the OAuth2 tokens live (Secrets Manager in production): a refresh replaces both."""

    def current(self) -> OAuthTokens: ...

    def replace(self, tokens: OAuthTokens) -> None: ...


class InMemoryTokenStore:
    def __init__(self, tokens: OAuthTokens) -> None:
        self._tokens = tokens
        self.refreshed = 0

    def current(self) -> OAuthTokens:
        return self._tokens

    def replace(self, tokens: OAuthTokens) -> None:
        self._tokens = tokens
        self.refreshed += 1


# ---- the socket, as the session needs it ----
class Connection(Protocol):
    def send(self, message: str) -> None: ...

    def recv(self, timeout: float | None = None) -> str | bytes: ...

    def close(self) -> None: ...


Connector = Callable[[str, Seconds], Connection]


def websocket_connector(url: str, open_timeout: Seconds) -> Connection:
    """A WebSocket connection (no protocol-level pings: the Open API has its own heartbeats)."""
    from websockets.sync.client import connect

    connection: Connection = connect(
        url,
        open_timeout=open_timeout,
        ping_interval=None,
        close_timeout=2,
        proxy=None,
        max_size=2**24,
        legacy=True,
    )
    return connection


# ---- what subscribers receive ----
@dataclass(frozen=True, slots=True)
class Disconnected:
    reason: str


@dataclass(frozen=True, slots=True)
class Reconnected:
    pass


@dataclass(frozen=True, slots=True)
class Idle:
    """Nothing happened for a poll (`events(idle=True)`): a reader's chance to do its own work."""


SessionEvent = wire.Frame | Disconnected | Reconnected
Listener = Callable[[SessionEvent], None]


@dataclass(frozen=True, slots=True)
class SessionSettings:
    heartbeat_interval: Seconds = 10.0
    heartbeat_timeout: Seconds = 60.0  # the proxy heartbeats every 10-25 s when idle: two missed, and some
    request_timeout: Seconds = 15.0
    open_timeout: Seconds = 10.0
    poll: Seconds = 1.0  # how long the reader waits for a frame before checking the heartbeats
    reconnect: RetryPolicy = field(default_factory=lambda: RetryPolicy(1, base_delay=0.5, max_delay=30.0))


class _ConnectionLostError(Exception):
    pass


_REAUTHORIZE = wire.TOKEN_ERRORS | wire.NOT_AUTHORIZED


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.frame: wire.Frame | None = None
        self.error: Exception | None = None

    def resolve(self, frame: wire.Frame | None = None, error: Exception | None = None) -> None:
        self.frame, self.error = frame, error
        self.done.set()


class OpenApiSession:
    def __init__(
        self,
        url: str,
        application: Callable[[], ApplicationCredentials],
        tokens: TokenStore,
        limiter: TokenBucket,
        history_limiter: TokenBucket,
        settings: SessionSettings | None = None,
        clock: Monotonic = time.monotonic,
        connect: Connector = websocket_connector,
        rng: random.Random | None = None,
    ) -> None:
        self._url = url
        self._application = application
        self._tokens = tokens
        self._limiter = limiter
        self._history_limiter = history_limiter
        self._settings = settings or SessionSettings()
        self._clock = clock
        self._connect = connect
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(3)
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._limit_lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._accounts: set[int] = set()  # to authorize after every (re)connection
        self._authorized: set[int] = set()
        self._listeners: list[Listener] = []
        self._connection: Connection | None = None
        self._ready = threading.Event()
        self._closing = threading.Event()
        self._reauthorize = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sent = 0.0
        self._last_received = 0.0
        self.handshakes = 0  # completed handshakes (the first connection and every reconnection)

    # ---- life cycle ----
    def start(self) -> OpenApiSession:
        with self._state_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ctrader-open-api", daemon=True)
                self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._drop_connection()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def access_token(self) -> str:
        """The access token in use (requests such as the accounts of a token name it in their payload)."""
        return self._tokens.current().access_token

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def wait_connected(self, timeout: Seconds) -> bool:
        return self._ready.wait(timeout)

    # ---- requests ----
    def authorize(self, account_id: int) -> None:
        """Authorize an account's session (again after every reconnection)."""
        with self._state_lock:
            self._accounts.add(account_id)
        self.start()
        self._ready.wait(self._settings.request_timeout)  # a handshake under way authorizes it too
        with self._state_lock:
            if account_id in self._authorized:
                return
        try:
            self._call(wire.ACCOUNT_AUTH_REQ, self._account_auth(account_id))
        except OpenApiRejectedError as error:
            if error.code not in wire.ALREADY_AUTHORIZED:  # the reader authorized it meanwhile: fine
                raise
            with self._state_lock:
                self._authorized.add(account_id)

    def logout(self, account_id: int) -> None:
        """End an account's session (`ProtoOAAccountLogoutReq`): its events stop and it is not authorized
        again after a reconnection. An account not authorized now (the connection down, say) is only
        forgotten: the same outcome."""
        with self._state_lock:
            self._accounts.discard(account_id)
            authorized = account_id in self._authorized
            self._authorized.discard(account_id)
        if not authorized:
            return
        try:
            self._call(wire.ACCOUNT_LOGOUT_REQ, {"ctidTraderAccountId": account_id})
        except (OpenApiRejectedError, OpenApiUnavailableError) as error:
            logger.info("cTrader Open API: logout not confirmed", extra={"error": str(error)[:200]})

    def request(self, payload_type: int, payload: Mapping[str, Any]) -> wire.Frame:
        """Send a request and wait for its response; authorizes the account it names first."""
        account = payload.get("ctidTraderAccountId")
        if account is not None:
            self.authorize(int(account))
        return self._call(payload_type, payload)

    def _call(self, payload_type: int, payload: Mapping[str, Any]) -> wire.Frame:
        self.start()
        timeout = self._settings.request_timeout
        if not self._ready.wait(timeout):
            raise OpenApiUnavailableError("cTrader Open API: not connected")
        with self._limit_lock:  # one bucket is not thread-safe on its own
            (self._history_limiter if payload_type in wire.HISTORICAL else self._limiter).acquire()
        message_id = self._next_id()
        pending = _Pending()
        with self._state_lock:
            self._pending[message_id] = pending
        try:
            self._send(wire.Frame(payload_type, payload, message_id))
        except Exception as error:
            with self._state_lock:
                self._pending.pop(message_id, None)
            raise OpenApiUnavailableError(f"cTrader Open API: could not send ({error})") from error
        if not pending.done.wait(timeout):
            with self._state_lock:
                self._pending.pop(message_id, None)
            raise OpenApiUnavailableError(f"cTrader Open API: no answer to {payload_type} in {timeout:.0f} s")
        if pending.error is not None:
            raise pending.error
        assert pending.frame is not None
        return pending.frame

    # ---- events ----
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event (on the reader thread); returns the unsubscribe function."""
        with self._state_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._state_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def events(
        self, stop: threading.Event | None = None, poll: Seconds = 0.5, idle: bool = False
    ) -> Iterator[SessionEvent | Idle]:
        """Every event from this call on (subscribed at once, not at the first `next`), until `stop` is set or
        the session closes; with `idle`, an `Idle` after every `poll` seconds without one."""
        inbox: queue.Queue[SessionEvent] = queue.Queue()
        unsubscribe = self.subscribe(inbox.put)
        self.start()
        return self._drain(inbox, unsubscribe, stop, poll, idle)

    def _drain(
        self,
        inbox: queue.Queue[SessionEvent],
        unsubscribe: Callable[[], None],
        stop: threading.Event | None,
        poll: Seconds,
        idle: bool,
    ) -> Iterator[SessionEvent | Idle]:
        try:
            while not self._closing.is_set() and not (stop is not None and stop.is_set()):
                try:
                    yield inbox.get(timeout=poll)
                except queue.Empty:
                    if idle:
                        yield Idle()
        finally:
            unsubscribe()

    # ---- the reader thread ----
    def _run(self) -> None:
        failures = 0
        while not self._closing.is_set():
            try:
                self._open()
            except Exception as error:
                failures += 1
                self._drop_connection()
                delay = self._settings.reconnect.delay(min(failures, 30), self._rng)
                logger.warning("cTrader Open API connection failed", extra={"error": str(error)[:200]})
                self._closing.wait(delay)
                continue
            failures = 0
            first = self.handshakes == 0
            self.handshakes += 1
            self._ready.set()
            if not first:
                self._publish(Reconnected())
            reason = "closed"
            try:
                self._read()
            except Exception as error:
                reason = str(error)[:200] or type(error).__name__
            self._lost(reason)
            if not self._closing.is_set():
                self._closing.wait(self._settings.reconnect.delay(1, self._rng))

    def _open(self) -> None:
        with self._state_lock:
            self._authorized.clear()
            accounts = sorted(self._accounts)
        self._connection = self._connect(self._url, self._settings.open_timeout)
        self._last_sent = self._last_received = self._clock()
        application = self._application()
        self._exchange(
            wire.APPLICATION_AUTH_REQ,
            {"clientId": application.client_id, "clientSecret": application.client_secret},
        )
        for account in accounts:
            self._authorize_here(account)

    def _read(self) -> None:
        settings = self._settings
        while not self._closing.is_set():
            if self._reauthorize.is_set():
                self._reauthorize.clear()
                with self._state_lock:
                    accounts = sorted(self._accounts - self._authorized)
                for account in accounts:
                    self._authorize_here(account)
            frame = self._receive(settings.poll)
            if frame is not None:
                self._dispatch(frame)
            self._keep_alive()

    def _keep_alive(self) -> None:
        now = self._clock()
        if now - self._last_received > self._settings.heartbeat_timeout:
            silent, limit = now - self._last_received, self._settings.heartbeat_timeout
            raise _ConnectionLostError(f"no heartbeat for {silent:.1f} s (limit {limit} s)")
        if now - self._last_sent >= self._settings.heartbeat_interval:
            self._send(wire.Frame(wire.HEARTBEAT_EVENT))

    def _receive(self, timeout: Seconds) -> wire.Frame | None:
        connection = self._connection
        if connection is None:
            raise _ConnectionLostError("no connection")
        try:
            raw = connection.recv(timeout=timeout)
        except TimeoutError:
            return None
        except Exception as error:
            raise _ConnectionLostError(f"socket closed: {type(error).__name__}") from error
        self._last_received = self._clock()
        try:
            return wire.decode(raw)
        except wire.MalformedFrameError as error:
            logger.warning("cTrader Open API: malformed frame skipped", extra={"error": str(error)})
            return None

    def _exchange(self, payload_type: int, payload: Mapping[str, Any]) -> wire.Frame:
        """Request and response on the reader thread itself (the handshake), dispatching what else arrives."""
        message_id = self._next_id()
        self._send(wire.Frame(payload_type, payload, message_id))
        deadline = self._clock() + self._settings.request_timeout
        while not self._closing.is_set():
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise OpenApiUnavailableError(f"cTrader Open API: no answer to {payload_type}")
            frame = self._receive(min(remaining, self._settings.poll))
            if frame is None:
                self._keep_alive()
                continue
            if frame.client_msg_id == message_id:
                if frame.is_error:
                    raise error_of(frame)
                return frame
            self._dispatch(frame)
        raise _ConnectionLostError("closing")

    def _authorize_here(self, account: int) -> None:
        try:
            self._exchange(wire.ACCOUNT_AUTH_REQ, self._account_auth(account))
        except OpenApiUnavailableError as error:
            if error.code not in wire.TOKEN_ERRORS:
                raise
            self._refresh_tokens()
            self._exchange(wire.ACCOUNT_AUTH_REQ, self._account_auth(account))
        except OpenApiRejectedError as error:
            if error.code not in wire.ALREADY_AUTHORIZED:
                raise
        with self._state_lock:
            self._authorized.add(account)

    def _refresh_tokens(self) -> None:
        answer = self._exchange(
            wire.REFRESH_TOKEN_REQ, {"refreshToken": self._tokens.current().refresh_token}
        )
        self._tokens.replace(
            OAuthTokens(str(answer.payload["accessToken"]), str(answer.payload["refreshToken"]))
        )
        logger.info("cTrader Open API access token refreshed")

    def _dispatch(self, frame: wire.Frame) -> None:
        if frame.payload_type == wire.HEARTBEAT_EVENT:
            return
        pending = None
        if frame.client_msg_id is not None:
            with self._state_lock:
                pending = self._pending.pop(frame.client_msg_id, None)
        if pending is not None:
            if frame.is_error:
                error = error_of(frame)
                if isinstance(error, OpenApiUnavailableError) and error.code in _REAUTHORIZE:
                    self._forget_authorizations(None)  # the reader authorizes again (refreshing the token)
                pending.resolve(error=error)
            else:
                if frame.payload_type == wire.ACCOUNT_AUTH_RES and frame.account_id is not None:
                    with self._state_lock:
                        self._authorized.add(frame.account_id)
                pending.resolve(frame)
            if frame.payload_type != wire.EXECUTION_EVENT:
                return  # an execution event answering a request is an event as well
        if frame.payload_type == wire.ACCOUNTS_TOKEN_INVALIDATED_EVENT:
            ids = {int(account) for account in frame.payload.get("ctidTraderAccountIds") or ()}
            self._forget_authorizations(ids or None)
        elif frame.payload_type == wire.ACCOUNT_DISCONNECT_EVENT and frame.account_id is not None:
            self._forget_authorizations({frame.account_id})
        elif frame.payload_type == wire.CLIENT_DISCONNECT_EVENT:
            raise _ConnectionLostError(f"disconnected by cTrader: {frame.payload.get('reason', '')}")
        self._publish(frame)

    def _forget_authorizations(self, accounts: set[int] | None) -> None:
        with self._state_lock:
            if accounts is None:
                self._authorized.clear()
            else:
                self._authorized -= accounts
        self._reauthorize.set()

    def _lost(self, reason: str) -> None:
        was_ready = self._ready.is_set()
        self._ready.clear()
        self._drop_connection()
        with self._state_lock:
            pending, self._pending = self._pending, {}
        for waiting in pending.values():
            waiting.resolve(error=OpenApiUnavailableError(f"cTrader Open API connection lost: {reason}"))
        if was_ready and not self._closing.is_set():
            logger.warning("cTrader Open API connection lost", extra={"reason": reason})
            self._publish(Disconnected(reason))

    # ---- plumbing ----
    def _send(self, frame: wire.Frame) -> None:
        connection = self._connection
        if connection is None:
            raise _ConnectionLostError("no connection")
        with self._send_lock:
            connection.send(wire.encode(frame))
            self._last_sent = self._clock()

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception as error:  # closing a dead socket may fail in many ways; it is gone either way
                logger.debug("cTrader Open API: close failed", extra={"error": type(error).__name__})

    def _publish(self, event: SessionEvent) -> None:
        with self._state_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)

    def _account_auth(self, account_id: int) -> dict[str, Any]:
        return {"ctidTraderAccountId": account_id, "accessToken": self._tokens.current().access_token}

    def _next_id(self) -> str:
        return f"pd-{self._prefix}-{next(self._ids)}"
