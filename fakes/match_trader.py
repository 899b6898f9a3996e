"""A fake of Match-Trader's Broker API (prop section): user accounts by e-mail, prop trading accounts
(create, list with `query`, get, update status), `Authorization: <token>`, and its limit of 500 requests a
minute per token (429 with Retry-After beyond it). `down = True` answers 503 to everything."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fakes.server import FakeService, HttpError, Reply, Request

API_TOKEN = "mt-propdesk-fake-token"  # noqa: S105 - the fake's own token


class FakeMatchTrader(FakeService):
    def __init__(
        self,
        token: str = API_TOKEN,
        requests_per_minute: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.token = token
        self.requests_per_minute = requests_per_minute
        self.clock = clock
        self.down = False
        self.users: dict[str, dict[str, Any]] = {}  # by e-mail
        self.prop_accounts: dict[str, dict[str, Any]] = {}  # by id
        self.rate_limited = 0
        self._recent: list[float] = []
        self._logins = itertools.count(700001)
        self.route("GET", "/v1/accounts/by-email/([^/]+)", self._user_by_email)
        self.route("POST", "/v1/accounts", self._create_user)
        self.route("POST", "/v1/prop/accounts", self._create_prop_account)
        self.route("GET", "/v1/prop/accounts", self._list_prop_accounts)
        self.route("GET", "/v1/prop/accounts/([^/]+)", self._get_prop_account)
        self.route("PUT", "/v1/prop/accounts", self._update_prop_account)

    def dispatch(self, request: Request) -> Reply:
        if self.down:
            return Reply(503, {"message": "service unavailable"})
        if request.header("authorization") not in (self.token, f"Bearer {self.token}"):
            return Reply(401, {"message": "unauthorized"})
        now = self.clock()
        self._recent = [moment for moment in self._recent if now - moment < 60]
        if len(self._recent) >= self.requests_per_minute:
            self.rate_limited += 1
            wait = 60 - (now - self._recent[0])
            return Reply(429, {"message": "too many requests"}, {"Retry-After": str(max(1, int(wait)))})
        self._recent.append(now)
        return super().dispatch(request)

    def _user_by_email(self, request: Request, email: str) -> Reply:
        user = self.users.get(email.lower())
        if user is None:
            raise HttpError(404, {"message": f"account {email} not found"})
        return Reply(200, user)

    def _create_user(self, request: Request) -> Reply:
        body = request.json()
        email = str(body.get("email", "")).lower()
        if not email or not body.get("password"):
            raise HttpError(400, {"message": "email and password are required"})
        if email in self.users:
            raise HttpError(409, {"message": f"account {email} already exists"})
        details = body.get("personalDetails") or {}
        user = {
            "uuid": str(uuid.uuid4()),
            "email": email,
            "created": _now(),
            "personalDetails": {"firstname": details.get("firstname"), "lastname": details.get("lastname")},
            "role": "User",
        }
        self.users[email] = user
        return Reply(200, user)

    def _create_prop_account(self, request: Request) -> Reply:
        body = request.json()
        user = next((u for u in self.users.values() if u["uuid"] == body.get("accountUuid")), None)
        if user is None or not body.get("challengeId"):
            raise HttpError(400, {"message": "challengeId and an existing accountUuid are required"})
        phase = int(request.query.get("phaseStep") or 1)
        active = request.query.get("instantlyActive", "false") == "true"
        account = {
            "id": str(uuid.uuid4()),
            "brokerId": 0,
            "login": next(self._logins),
            "email": user["email"],
            "name": body.get("name", ""),
            "created": _now(),
            "challengeDetails": {"challengeId": body["challengeId"], "phaseStep": phase},
            "status": "ACTIVE_PARTICIPATING_IN_CHALLENGE" if active else "CREATED_NOT_YET_PAID_CHALLENGE_FEE",
        }
        self.prop_accounts[account["id"]] = account
        return Reply(200, account)

    def _list_prop_accounts(self, request: Request) -> Reply:
        query = (request.query.get("query") or "").lower()
        rows = [
            a for a in self.prop_accounts.values() if not query or query in (a["email"], a["name"].lower())
        ]
        page, size = int(request.query.get("page") or 0), int(request.query.get("size") or 50)
        content = rows[page * size : (page + 1) * size]
        return Reply(200, {"content": content, "totalElements": len(rows), "number": page, "size": size})

    def _get_prop_account(self, request: Request, account_id: str) -> Reply:
        return Reply(200, self._account(account_id))

    def _update_prop_account(self, request: Request) -> Reply:
        body = request.json()
        account = self._account(str(body.get("accountId")))
        if body.get("challengeId") != account["challengeDetails"]["challengeId"] or "phaseStep" not in body:
            raise HttpError(400, {"message": "challengeId and phaseStep must match the account"})
        status = body.get("status")
        if status == "INACTIVE":
            account["status"] = "LOCKED_FAILED_CHALLENGE"
        elif status == "ACTIVE":
            account["status"] = "ACTIVE_PARTICIPATING_IN_CHALLENGE"
        return Reply(200, account)

    def _account(self, account_id: str) -> dict[str, Any]:
        account = self.prop_accounts.get(account_id)
        if account is None:
            raise HttpError(404, {"message": f"prop account {account_id} not found"})
        return account

    def accounts_named(self, name: str) -> list[dict[str, Any]]:
        return [a for a in self.prop_accounts.values() if a["name"] == name]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
