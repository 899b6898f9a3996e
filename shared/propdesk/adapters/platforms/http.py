"""One way for every platform adapter to call its REST API politely and classify what comes back.

Each call: the platform's rate limiter, then the request (an httpx client created on first use), retried with
backoff and full jitter (honouring Retry-After) inside the platform's circuit breaker (`BreakerStore`-backed,
shared by every worker). Answers are read with `Decimal` for every JSON number.

Classification (the port's two refusals):
- nothing reached the platform (connection refused, connect timeout) or it said 429:
  `PlatformUnavailableError`, retried for every call;
- 5xx, a read timeout, a dropped connection: retried for calls that are `safe` (reads, idempotent writes);
  for an `unsafe` call (one that creates something) the outcome is unknown, so it is not repeated:
  `AmbiguousOutcomeError` tells the adapter to look the result up by our reference instead;
- 401: the authenticator is told (`invalidate`: refresh or sign in again) and the call is made once more;
- 404 with `missing_ok`: None; 409: `ConflictError`; any other 4xx: `PlatformRejectedError` at once (never
  retried).

Also shared by the REST adapters: `SessionLogin` (a session token from the platform's own login route, renewed
before it lapses and after a 401; TradeLocker's JWTs and DXtrade's `DXAPI` session are two of them),
`created_once` (a create that, after an ambiguous failure, is looked up by our reference instead of repeated)
and `Setting` (a value fixed at construction or read from the connection's secret on each use).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import httpx

from propdesk.platforms.port import PlatformRejectedError, PlatformUnavailableError
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy, call_with_retry
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)

Setting = str | Callable[[], str]  # fixed, or read (from the connection's secret) on each use
Credentials = Callable[[], Mapping[str, Any]]
T = TypeVar("T")


def setting(value: Setting) -> str:
    return value if isinstance(value, str) else value()


class RateLimitedError(PlatformUnavailableError):
    def __init__(self, message: str, retry_after: Seconds | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AmbiguousOutcomeError(PlatformUnavailableError):
    """A call that creates something failed after it may have reached the platform: look it up."""


class ConflictError(PlatformRejectedError):
    """409: what the call would create exists already (for an idempotent write: it was done before)."""


class _NotSentError(PlatformUnavailableError):
    """The request certainly did not reach the platform (safe to repeat, whatever it was)."""


class _TransientError(PlatformUnavailableError):
    """A safe call failed in a way that may pass (5xx, read timeout, dropped connection)."""


class Authenticator(Protocol):
    def headers(self) -> Mapping[str, str]:
        """Headers that authenticate the next call (signing in or refreshing first if needed)."""
        ...

    def invalidate(self) -> None:
        """The platform answered 401: the next `headers()` refreshes or signs in again."""
        ...


class StaticToken:
    """A token read from the connection's secret on each call (`Authorization: <token>`, or a named header);
    a 401 asks the secret to be read again (`forget`), in case it was rotated."""

    def __init__(
        self,
        token: Callable[[], str],
        header: str = "Authorization",
        scheme: str = "",
        forget: Callable[[], None] = lambda: None,
    ) -> None:
        self._token = token
        self._header = header
        self._scheme = scheme
        self._forget = forget

    def headers(self) -> Mapping[str, str]:
        value = self._token()
        return {self._header: f"{self._scheme} {value}" if self._scheme else value}

    def invalidate(self) -> None:
        self._forget()


class SessionLogin:
    """A session token from the platform's own login route, for `Authorization: <scheme> <token>`: signed in
    on first use, renewed within `margin` of its expiry (`_renew`) and after a 401 (`invalidate`). One lock,
    so concurrent calls sign in once. The login itself goes through `send_once` of the transport it
    authenticates (bound after construction), inside the surrounding call's retries and breaker."""

    scheme = ""
    what = "platform"  # for messages

    def __init__(self, credentials: Credentials, epoch: Callable[[], float], margin: Seconds) -> None:
        self._credentials = credentials
        self._epoch = epoch
        self._margin = margin
        self._token = ""
        self._lock = threading.Lock()
        self._send: Callable[[str, str, Any], Any] | None = None

    def bind(self, send_once: Callable[[str, str, Any], Any]) -> None:
        self._send = send_once

    def headers(self) -> Mapping[str, str]:
        with self._lock:
            now = self._epoch()
            if not self._token or self._expires() - now < self._margin:
                self._renew(now)
            return {"Authorization": f"{self.scheme} {self._token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = ""  # the next call renews

    def _expires(self) -> float:  # float ok: epoch s, never money
        """When the current token lapses (seconds since the epoch)."""
        raise NotImplementedError

    def _renew(self, now: float) -> None:  # float ok: epoch s, never money
        """Sign in (or refresh) and keep the new token."""
        raise NotImplementedError

    def _post(self, path: str, body: Mapping[str, str]) -> Any:
        if self._send is None:
            raise RuntimeError(f"{type(self).__name__} used before bind()")
        return self._send("POST", path, dict(body))


def created_once(
    create: Callable[[], T],
    look_up: Callable[[], T | None],
    what: str,
    also: tuple[type[Exception], ...] = (),
) -> T:
    """`create()`; when it fails ambiguously (or with one of `also`, e.g. a 409 left by an earlier attempt),
    what `look_up()` finds by our reference instead of a second create; `PlatformUnavailableError` (`what`
    may not have happened) when nothing is found yet."""
    caught: tuple[type[Exception], ...] = (AmbiguousOutcomeError, *also)
    try:
        return create()
    except caught as error:
        found = look_up()
        if found is None:
            raise PlatformUnavailableError(f"{what} may not have happened; try again later") from error
        return found


class PlatformHttp:
    def __init__(
        self,
        platform: str,  # as people write it, for messages: "Match-Trader"
        base_url: Setting,
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
        auth: Authenticator | None = None,
    ) -> None:
        self.platform = platform
        self._base_url = base_url
        self._limiter = limiter
        self._breaker = breaker
        self._sleep = sleep
        self._retry = retry
        self._timeout = timeout
        self.auth = auth
        self._client: httpx.Client | None = None

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        missing_ok: bool = False,
        unsafe: bool = False,
        authenticated: bool = True,
    ) -> Any:
        """The answer's JSON (None for an empty answer, or a 404 with `missing_ok`)."""

        def attempt() -> Any:
            return self._send(method, path, params, json_body, headers, missing_ok, unsafe, authenticated)

        def with_retries() -> Any:
            return call_with_retry(
                attempt,
                self._retry,
                retryable=lambda error: isinstance(error, _NotSentError | _TransientError | RateLimitedError),
                sleep=self._sleep,
                retry_after=lambda error: error.retry_after if isinstance(error, RateLimitedError) else None,
            )

        try:
            return self._breaker.call(with_retries)
        except CircuitOpenError as error:
            raise PlatformUnavailableError(str(error)) from error

    def beside(self, platform: str, base_url: Setting, auth: Authenticator | None) -> PlatformHttp:
        """A second API of the same platform (an admin or brand API): its own client and credentials, the
        same rate limit, breaker and retries."""
        return PlatformHttp(
            platform, base_url, self._limiter, self._breaker, self._sleep, self._retry, self._timeout, auth
        )

    def send_once(self, method: str, path: str, json_body: Any = None) -> Any:
        """One unauthenticated attempt, no retry nor breaker of its own: for an authenticator signing in
        from inside a call (the surrounding call's retries and breaker cover it)."""
        return self._send(method, path, None, json_body, None, False, False, False)

    # ---- one attempt ----
    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        missing_ok: bool,
        unsafe: bool,
        authenticated: bool,
    ) -> Any:
        for first_try in (True, False):
            self._limiter.acquire()
            sent = dict(headers or {})
            if authenticated and self.auth is not None:
                sent.update(self.auth.headers())
            response = self._request(method, path, params, json_body, sent, unsafe)
            if response.status_code == 401 and authenticated and self.auth is not None and first_try:
                self.auth.invalidate()  # refresh or sign in again, then one more try
                continue
            return self._answer(method, path, response, missing_ok, unsafe)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        headers: Mapping[str, str],
        unsafe: bool,
    ) -> httpx.Response:
        what = f"{self.platform} {method} {_safe(path)}"
        try:
            return self._http().request(
                method,
                path,
                params=dict(params) if params else None,
                content=None if json_body is None else dumps(json_body),
                headers=headers,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise _NotSentError(f"{what}: unreachable ({type(error).__name__})") from error
        except httpx.TransportError as error:
            if unsafe:
                raise AmbiguousOutcomeError(f"{what}: no answer ({type(error).__name__})") from error
            raise _TransientError(f"{what}: no answer ({type(error).__name__})") from error

    def _answer(
        self, method: str, path: str, response: httpx.Response, missing_ok: bool, unsafe: bool
    ) -> Any:
        status = response.status_code
        what = f"{self.platform} answered {status} to {method} {_safe(path)}"
        if status == 429:
            raise RateLimitedError(what, _seconds(response.headers.get("Retry-After")))
        if status >= 500:
            raise AmbiguousOutcomeError(what) if unsafe else _TransientError(what)
        if status == 404 and missing_ok:
            return None
        if status == 409:
            raise ConflictError(f"{what}: {_safe(response.text[:300])}")
        if status >= 400:
            raise PlatformRejectedError(f"{what}: {_safe(response.text[:300])}")
        if not response.content:
            return None
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as error:
            raise PlatformRejectedError(
                f"{self.platform} answered {method} {_safe(path)} with no JSON"
            ) from error

    def _http(self) -> httpx.Client:
        if self._client is None:
            base_url = setting(self._base_url)
            self._client = httpx.Client(
                base_url=base_url.rstrip("/"),
                timeout=self._timeout,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
        return self._client


_EMAIL = re.compile(r"[^/?&=]+(@|%40)[^/?&=]+", re.IGNORECASE)


def _safe(path: str) -> str:
    """The path as messages may show it: e-mail addresses (personal data) left out."""
    return _EMAIL.sub("<e-mail>", path)


_DECIMAL = re.compile(r'"\\u0000dec:([-0-9.E+]+)"')


def dumps(body: Any) -> bytes:
    """JSON with every `Decimal` written as the exact number it is (never through float)."""
    text = json.dumps(body, default=_decimal_marker, separators=(",", ":"))
    return _DECIMAL.sub(r"\1", text).encode()


def _decimal_marker(value: object) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return f"\u0000dec:{value}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _seconds(value: str | None) -> Seconds | None:
    try:
        return Seconds(value) if value else None
    except ValueError:
        return None
