"""Match-Trader's Broker API (prop section) as the trading-platform port.

REST with `Authorization: <token>`, 500 requests a minute per broker token, times in GMT. Opening a challenge
account takes the platform user (found by e-mail, or created with a generated password) and a prop account
(`POST /v1/prop/accounts`, named with our reference so that a retry finds it instead of creating another).
Disabling sets the prop account INACTIVE.

Every call goes through the rate limiter, retries with backoff and jitter on 429/5xx/network errors (honouring
Retry-After), and a circuit breaker that fails fast while the platform is down.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cached_property
from typing import Any

import httpx

from propdesk.purchases.ports import (
    AccountRequest,
    PlatformAccount,
    PlatformRejectedError,
    PlatformUnavailableError,
)
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy, call_with_retry
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

PLATFORM = "match-trader"
PAGE_SIZE = 100
DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)


class _RateLimitedError(PlatformUnavailableError):
    def __init__(self, message: str, retry_after: Seconds | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MatchTraderPlatform:
    name = PLATFORM

    def __init__(
        self,
        base_url: str | Callable[[], str],
        token: Callable[[], str],
        server: str,
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
        new_password: Callable[[], str] = lambda: secrets.token_urlsafe(12),
    ) -> None:
        self._base_url = base_url
        self._token = token
        self.server = server
        self._limiter = limiter
        self._breaker = breaker
        self._sleep = sleep
        self._retry = retry
        self._timeout = timeout
        self._new_password = new_password

    @cached_property
    def _http(self) -> httpx.Client:
        base_url = self._base_url if isinstance(self._base_url, str) else self._base_url()
        return httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=self._timeout,
            headers={"Authorization": self._token(), "Content-Type": "application/json"},
        )

    def find_account(self, email: str, reference: str) -> PlatformAccount | None:
        page = 0
        while True:
            answer = self._call(
                "GET", "/v1/prop/accounts", params={"query": email, "page": page, "size": PAGE_SIZE}
            )
            content = (answer or {}).get("content") or []
            for account in content:
                if account.get("name") == reference:
                    return self._account(account)
            if len(content) < PAGE_SIZE:
                return None
            page += 1

    def create_account(self, request: AccountRequest) -> PlatformAccount:
        user = self._call("GET", f"/v1/accounts/by-email/{request.email}", missing_ok=True)
        password: str | None = None
        if user is None:
            password = self._new_password()
            user = self._call(
                "POST",
                "/v1/accounts",
                json={
                    "email": request.email,
                    "password": password,
                    "personalDetails": {"firstname": request.first_name, "lastname": request.last_name},
                },
            )
        created = self._call(
            "POST",
            "/v1/prop/accounts",
            params={"instantlyActive": "true", "phaseStep": request.phase_step},
            json={
                "challengeId": request.challenge_id,
                "accountUuid": user["uuid"],
                "name": request.reference,
            },
        )
        account = self._account(created)
        return PlatformAccount(account.platform_account_id, account.login, account.server, password)

    def set_trading_enabled(self, platform_account_id: str, challenge_id: str, enabled: bool) -> None:
        account = self._call("GET", f"/v1/prop/accounts/{platform_account_id}")
        phase = ((account or {}).get("challengeDetails") or {}).get("phaseStep", 1)
        self._call(
            "PUT",
            "/v1/prop/accounts",
            json={
                "accountId": platform_account_id,
                "challengeId": challenge_id,
                "phaseStep": phase,
                "status": "ACTIVE" if enabled else "INACTIVE",
            },
        )

    def _account(self, answer: dict[str, Any]) -> PlatformAccount:
        return PlatformAccount(
            platform_account_id=str(answer["id"]), login=str(answer["login"]), server=self.server
        )

    def _call(self, method: str, path: str, missing_ok: bool = False, **kwargs: Any) -> Any:
        def attempt() -> Any:
            self._limiter.acquire()
            return self._send(method, path, missing_ok, **kwargs)

        def with_retries() -> Any:
            return call_with_retry(
                attempt,
                self._retry,
                retryable=lambda error: isinstance(error, PlatformUnavailableError),
                sleep=self._sleep,
                retry_after=lambda error: error.retry_after if isinstance(error, _RateLimitedError) else None,
            )

        try:
            return self._breaker.call(with_retries)
        except CircuitOpenError as error:
            raise PlatformUnavailableError(str(error)) from error

    def _send(self, method: str, path: str, missing_ok: bool, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise PlatformUnavailableError(f"Match-Trader unreachable: {error}") from error
        status = response.status_code
        if status == 429:
            raise _RateLimitedError(
                "Match-Trader rate limit reached", _seconds(response.headers.get("Retry-After"))
            )
        if status >= 500:
            raise PlatformUnavailableError(f"Match-Trader answered {status} to {method} {path}")
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            raise PlatformRejectedError(
                f"Match-Trader refused {method} {path} ({status}): {response.text[:300]}"
            )
        return response.json() if response.content else None


def _seconds(value: str | None) -> Seconds | None:
    try:
        return Seconds(value) if value else None
    except ValueError:
        return None
