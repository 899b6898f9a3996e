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

Calls go through `PlatformHttp` (the platforms' shared transport: rate limiter, retries with jitter, the
circuit breaker, `Decimal` JSON both ways); creating calls are `unsafe`: after an ambiguous failure
(`AmbiguousOutcomeError`) the caller looks the result up by our reference before sending again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from propdesk.adapters.platforms.http import PlatformHttp


class WebServicesClient:
    def __init__(self, http: PlatformHttp, token: Callable[[], str]) -> None:
        self._http = http
        self._token = token

    # ---- users (cTID) ----
    def user_for(self, email: str, broker_name: str) -> int:
        """The cTID user of an e-mail, created if new (the API answers an existing user's id)."""
        answer = self._call("POST", "/cid/ctid/create", json_body={"email": email, "brokerName": broker_name})
        return int(answer["userId"])

    def link(self, login: int, password_hash: str, user_id: int, broker_name: str, environment: str) -> int:
        body = {
            "traderLogin": login,
            "traderPasswordHash": password_hash,
            "userId": user_id,
            "brokerName": broker_name,
            "environmentName": environment,
            "returnAccountDetails": True,
        }
        return int(self._call("POST", "/cid/ctid/link", json_body=body)["ctidTraderAccountId"])

    # ---- traders ----
    def create_trader(self, body: Mapping[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self._call("POST", "/v2/webserv/traders", json_body=dict(body), unsafe=True)
        return created

    def trader(self, login: int) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/v2/webserv/traders/{login}")
        return found

    def update_trader(self, login: int, changes: Mapping[str, Any]) -> None:
        self._call("PATCH", f"/v2/webserv/traders/{login}", json_body=dict(changes))

    def traders_registered(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        answer = self._call("GET", "/v2/webserv/traders", params={"from": _time(since), "to": _time(until)})
        return list((answer or {}).get("trader") or [])

    # ---- balances ----
    def change_balance(self, login: int, body: Mapping[str, Any]) -> int:
        path = f"/v2/webserv/traders/{login}/changebalance"
        return int(self._call("POST", path, json_body=dict(body), unsafe=True)["balanceHistoryId"])

    def balance_history(self, login: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
        path = f"/v2/webserv/traders/{login}/balancehistory"
        answer = self._call("GET", path, params={"from": _time(since), "to": _time(until)})
        return list((answer or {}).get("balanceHistory") or [])

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        unsafe: bool = False,
    ) -> Any:
        query = {**dict(params or {}), "token": self._token()}  # the manager token travels in the query
        return self._http.call(method, path, params=query, json_body=json_body, unsafe=unsafe)


def _time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
