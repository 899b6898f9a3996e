"""cTrader's WebServices API: the broker's (here the prop firm's) REST API for accounts and balances.

Documented (docs.spotware.com "WebServices API", help.ctrader.com "Broker OAuth"): HTTPS, JSON, the manager
token appended as `?token=` (from `POST /v2/webserv/managers/token`, long-lived); paths `/v2/webserv/...` and
`/cid/...` on one host; `POST /v2/webserv/traders` (accessRights FULL_ACCESS | CLOSE_ONLY | NO_TRADING |
NO_LOGIN, accountType, balance in 10^moneyDigits, brokerName, depositCurrency, groupName, hashedPassword =
MD5 of the password, leverageInCents, totalMarginCalculationType; the Trader schema also has name, lastName,
description); `POST /v2/webserv/traders/{login}/changebalance` (type DEPOSIT | WITHDRAW, preciseAmount > 0,
externalId, comment, externalNote → balanceHistoryId); `POST /cid/ctid/create` (one user per e-mail: a known
e-mail answers its userId); `POST /cid/ctid/link` (traderLogin, traderPasswordHash, userId, brokerName,
environmentName, returnAccountDetails → ctidTraderAccountId). Writes (POST/PUT/DELETE) are limited per hour
(the threshold is not published); GETs are not.

**Assumptions** (not found in the public documentation; a broker's onboarding confirms or corrects them):
`GET /v2/webserv/traders/{login}` answers the Trader entity; `PATCH /v2/webserv/traders/{login}` changes
`accessRights` and `hashedPassword`; `GET /v2/webserv/traders?from=&to=` lists traders registered in a window
(`{"trader": [...]}`, times `YYYY-MM-DDTHH:MM:SS.sss` UTC); `GET /v2/webserv/traders/{login}/balancehistory?
from=&to=` lists balance operations with their `externalId` (`{"balanceHistory": [...]}`); linking a trader
already linked to the same user answers the same `ctidTraderAccountId`.

Every call goes through the rate limiter, retries with jittered backoff on 429/5xx/network errors
(honouring Retry-After) and the circuit breaker; creating calls are sent once (`blind_retry=False`): the
caller looks the result up before sending again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import httpx

from propdesk.platforms.port import PlatformRejectedError, PlatformUnavailableError
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy, call_with_retry
from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)


class _RateLimitedError(PlatformUnavailableError):
    def __init__(self, message: str, retry_after: Seconds | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WebServicesClient:
    def __init__(
        self,
        base_url: str | Callable[[], str],
        token: Callable[[], str],
        limiter: TokenBucket,
        breaker: CircuitBreaker,
        sleep: Sleeper,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: Seconds = 10.0,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self._limiter = limiter
        self._breaker = breaker
        self._sleep = sleep
        self._retry = retry
        self._timeout = timeout

    @cached_property
    def _http(self) -> httpx.Client:
        base_url = self._base_url if isinstance(self._base_url, str) else self._base_url()
        return httpx.Client(
            base_url=base_url.rstrip("/"), timeout=self._timeout, headers={"Accept": "application/json"}
        )

    # ---- users (cTID) ----
    def user_for(self, email: str, broker_name: str) -> int:
        """The cTID user of an e-mail, created if new (the API answers an existing user's id)."""
        answer = self.call("POST", "/cid/ctid/create", json={"email": email, "brokerName": broker_name})
        return int(answer["userId"])

    def link(self, login: int, password_hash: str, user_id: int, broker_name: str, environment: str) -> int:
        answer = self.call(
            "POST",
            "/cid/ctid/link",
            json={
                "traderLogin": login,
                "traderPasswordHash": password_hash,
                "userId": user_id,
                "brokerName": broker_name,
                "environmentName": environment,
                "returnAccountDetails": True,
            },
        )
        return int(answer["ctidTraderAccountId"])

    # ---- traders ----
    def create_trader(self, body: Mapping[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("POST", "/v2/webserv/traders", json=dict(body), blind_retry=False)
        return answer

    def trader(self, login: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/v2/webserv/traders/{login}")
        return answer

    def update_trader(self, login: int, changes: Mapping[str, Any]) -> None:
        self.call("PATCH", f"/v2/webserv/traders/{login}", json=dict(changes))

    def traders_registered(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        answer = self.call("GET", "/v2/webserv/traders", params={"from": _time(since), "to": _time(until)})
        return list((answer or {}).get("trader") or [])

    # ---- balances ----
    def change_balance(self, login: int, body: Mapping[str, Any]) -> int:
        answer = self.call(
            "POST", f"/v2/webserv/traders/{login}/changebalance", json=dict(body), blind_retry=False
        )
        return int(answer["balanceHistoryId"])

    def balance_history(self, login: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
        path = f"/v2/webserv/traders/{login}/balancehistory"
        answer = self.call("GET", path, params={"from": _time(since), "to": _time(until)})
        return list((answer or {}).get("balanceHistory") or [])

    # ---- plumbing ----
    def call(self, method: str, path: str, blind_retry: bool = True, **kwargs: Any) -> Any:
        def attempt() -> Any:
            self._limiter.acquire()
            return self._send(method, path, **kwargs)

        def with_retries() -> Any:
            return call_with_retry(
                attempt,
                self._retry if blind_retry else RetryPolicy(max_attempts=1),
                retryable=lambda error: isinstance(error, PlatformUnavailableError),
                sleep=self._sleep,
                retry_after=lambda error: error.retry_after if isinstance(error, _RateLimitedError) else None,
            )

        try:
            return self._breaker.call(with_retries)
        except CircuitOpenError as error:
            raise PlatformUnavailableError(str(error)) from error

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        params = {**dict(kwargs.pop("params", None) or {}), "token": self._token()}
        try:
            response = self._http.request(method, path, params=params, **kwargs)
        except httpx.HTTPError as error:
            raise PlatformUnavailableError(
                f"cTrader WebServices unreachable: {type(error).__name__}"
            ) from error
        status = response.status_code
        if status == 429:
            raise _RateLimitedError(
                "cTrader WebServices rate limit reached", _seconds(response.headers.get("Retry-After"))
            )
        if status >= 500:
            raise PlatformUnavailableError(f"cTrader WebServices answered {status} to {method} {path}")
        if status >= 400:
            raise PlatformRejectedError(
                f"cTrader WebServices refused {method} {path} ({status}): {response.text[:300]}"
            )
        return response.json() if response.content else None


def _time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _seconds(value: str | None) -> Seconds | None:
    try:
        return Seconds(value) if value else None
    except ValueError:
        return None
