"""Outbound calls to a KYC provider: a lazily created httpx client, retries with backoff and full jitter on
transient failures (honouring Retry-After), and a circuit breaker around the whole retried call so that a
provider that is down is not called for a while (`KycProviderUnavailableError` at once).

What is retried: a connection that never reached the provider, 429, 502, 503 and 504 always; a timeout
after sending and a 500 only for calls the caller marks `idempotent` (the provider may have acted on them).
Headers are built per attempt (`sign`), so a timestamped signature is fresh on every retry. Nothing about the
request or the response body is logged; errors carry the status and the provider's own error message.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx

from propdesk.kyc.port import KycProviderRejectedError, KycProviderUnavailableError
from propdesk.resilience.breaker_state import BreakerStore
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from propdesk.resilience.retry import RetryPolicy, call_with_retry
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)
ALWAYS_RETRIED = frozenset({429, 502, 503, 504})

Signer = Callable[[str, str, bytes], Mapping[str, str]]  # (METHOD, path with query, body) -> headers


class _TransientError(KycProviderUnavailableError):
    def __init__(self, message: str, retry_safe: bool, retry_after: Seconds | None = None) -> None:
        super().__init__(message)
        self.retry_safe = retry_safe
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any  # the decoded JSON (None for an empty body)


class ProviderCalls:
    def __init__(
        self,
        provider: str,
        base_url: str | Callable[[], str],
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self._base_url = base_url
        self._breaker = breaker
        self._sleep = sleep
        self._retry = retry
        self._timeout = timeout
        self._transport = transport
        self._rng = rng

    @cached_property
    def _http(self) -> httpx.Client:
        base_url = self._base_url if isinstance(self._base_url, str) else self._base_url()
        return httpx.Client(base_url=base_url.rstrip("/"), timeout=self._timeout, transport=self._transport)

    def send(
        self,
        method: str,
        path: str,
        sign: Signer,
        body: bytes = b"",
        idempotent: bool = True,
        accept: Collection[int] = (),
    ) -> Answer:
        """Send `body` to `path` (with its query) and return a 2xx answer or one whose status is in `accept`;
        raise `KycProviderUnavailableError` (retries spent, circuit open) or `KycProviderRejectedError`."""

        def attempt() -> Answer:
            return self._attempt(method, path, sign, body, idempotent, accept)

        def with_retries() -> Answer:
            return call_with_retry(
                attempt,
                self._retry,
                retryable=lambda error: isinstance(error, _TransientError) and error.retry_safe,
                sleep=self._sleep,
                rng=self._rng,
                retry_after=lambda error: error.retry_after if isinstance(error, _TransientError) else None,
            )

        try:
            return self._breaker.call(with_retries)
        except CircuitOpenError as error:
            raise KycProviderUnavailableError(str(error)) from error

    def _attempt(
        self, method: str, path: str, sign: Signer, body: bytes, idempotent: bool, accept: Collection[int]
    ) -> Answer:
        headers = {"Accept": "application/json", **sign(method, path, body)}
        if body:
            headers.setdefault("Content-Type", "application/json")
        where = f"{method} {path.split('?', 1)[0]}"
        try:
            response = self._http.request(method, path, content=body or None, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            message = f"{self.provider} unreachable ({where}): {type(error).__name__}"
            raise _TransientError(message, retry_safe=True) from error
        except httpx.HTTPError as error:  # sent, maybe acted on: a retry is safe only when idempotent
            message = f"{self.provider} failed ({where}): {type(error).__name__}"
            raise _TransientError(message, retry_safe=idempotent) from error
        status = response.status_code
        if 200 <= status < 300 or status in accept:
            return Answer(status, _json(response))
        message = f"{self.provider} answered {status} to {where}: {_provider_message(response)}"
        if status in ALWAYS_RETRIED or status >= 500:
            retry_safe = status in ALWAYS_RETRIED or idempotent
            raise _TransientError(message, retry_safe, _seconds(response.headers.get("Retry-After")))
        raise KycProviderRejectedError(message)


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        message = f"the provider's answer is not JSON ({response.status_code})"
        raise KycProviderRejectedError(message) from error


def _provider_message(response: httpx.Response) -> str:
    """The provider's own error text (Sumsub `description`, Veriff `message`), short; never the whole body."""
    try:
        document = response.json()
    except ValueError:
        return "(no JSON error)"
    if isinstance(document, dict):
        for key in ("description", "message", "error"):
            value = document.get(key)
            if isinstance(value, str):
                return value[:200]
    return "(no error message)"


def _seconds(value: str | None) -> Seconds | None:
    try:
        return Seconds(value) if value else None
    except ValueError:
        return None


def provider_breaker(
    provider: str,
    clock: Callable[[], float],
    failure_threshold: int = 5,
    reset_timeout: Seconds = 30.0,
    store: BreakerStore | None = None,
) -> CircuitBreaker:
    """A circuit per provider that counts only outages (a refused request says the provider is up). Pass a
    shared `BreakerStore` (and wall-clock seconds) so every worker shares the circuit."""
    return CircuitBreaker(
        f"kyc:{provider}",
        clock,
        failure_threshold=failure_threshold,
        reset_timeout=reset_timeout,
        counts_as_failure=lambda error: isinstance(error, KycProviderUnavailableError),
        store=store,
    )
