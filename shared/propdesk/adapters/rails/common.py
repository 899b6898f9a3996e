"""What both rail adapters share: JSON over HTTPS with errors mapped to the port's (a network error, 429 or
5xx is `RailUnavailableError`; another 4xx `RailRejectedError`), safe reads retried with backoff and jitter,
writes sent once (their ambiguous failures are resolved by a look-up, never by sending again), RSA-SHA256
signature checks, and reading the headers of a delivery whatever their case."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import httpx

from propdesk.rails.port import RailRejectedError, RailUnavailableError, RailWebhookRejectedError
from propdesk.resilience.retry import RetryPolicy, call_with_retry
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

DEFAULT_READ_RETRY = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=2.0)


def utc_now() -> datetime:
    return datetime.now(UTC)


class RailHttp:
    def __init__(
        self,
        rail: str,
        base_url: str,
        headers: Callable[[], dict[str, str]],
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_READ_RETRY,
        timeout: Seconds = 10.0,
    ) -> None:
        self._rail = rail
        self._base_url = base_url.rstrip("/")
        self._headers = headers
        self._sleep = sleep
        self._retry = retry
        self._timeout = timeout

    @cached_property
    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self._base_url, timeout=self._timeout, headers=self._headers())

    def read(self, path: str, params: Mapping[str, Any] | None = None, missing_ok: bool = False) -> Any:
        """GET, retried on `RailUnavailableError` (reads are safe to repeat); 404 is None if `missing_ok`."""
        return call_with_retry(
            lambda: self._send("GET", path, missing_ok, params=params),
            self._retry,
            retryable=lambda error: isinstance(error, RailUnavailableError),
            sleep=self._sleep,
        )

    def write(self, path: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Any:
        """POST once: the caller resolves an ambiguous failure by looking the result up."""
        return self._send("POST", path, False, json=dict(body), headers=dict(headers or {}))

    def _send(self, method: str, path: str, missing_ok: bool, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise RailUnavailableError(f"{self._rail} unreachable ({type(error).__name__})") from error
        status = response.status_code
        if status == 429 or status >= 500:
            raise RailUnavailableError(f"{self._rail} answered {status} to {method} {path}")
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            raise RailRejectedError(f"{self._rail} refused {method} {path} ({status}): {response.text[:300]}")
        return response.json() if response.content else None


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def strict_base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise RailWebhookRejectedError(f"the {what} is not base64") from None


class RsaVerifier:
    """Verifies RSASSA-PKCS1-v1_5 with SHA-256 signatures with the rail's public key (PEM), loaded on first
    use (`cryptography` is imported only by functions that receive this rail's webhooks)."""

    def __init__(self, public_key_pem: Callable[[], str]) -> None:
        self._pem = public_key_pem

    @cached_property
    def _key(self) -> Any:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        return load_pem_public_key(self._pem().encode())

    def verifies(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self._key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 instant (`Z` or offset; Wise's `2018-08-28 07:43:55` is UTC) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
