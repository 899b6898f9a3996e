"""In-memory doubles of the ports (`propdesk.ports`), for tests only (never shipped: the Lambda assets hold
`shared/propdesk` alone); they keep what they were asked to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from propdesk.domain_events import DomainEvent
from propdesk.errors import InvalidInputError, UnauthorizedError
from propdesk.ports import (
    CallerContext,
    IdentityProviderUnavailableError,
    SessionTokens,
    StaffUser,
    UserNotConfirmedError,
)


@dataclass
class ManualClock:
    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class InMemoryEventPublisher:
    published: list[DomainEvent] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("event bus unavailable (fake)")
        self.published.extend(events)

    def of_type(self, detail_type: str) -> list[DomainEvent]:
        return [event for event in self.published if event.detail_type == detail_type]


@dataclass
class InMemoryAccountControl:
    disabled: list[tuple[str, str]] = field(default_factory=list)
    enabled: list[tuple[str, str]] = field(default_factory=list)
    paused: list[tuple[str, str, datetime]] = field(default_factory=list)
    resumed: list[tuple[str, datetime]] = field(default_factory=list)

    def disable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        self.disabled.append((account_id, reason))

    def enable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        self.enabled.append((account_id, reason))

    def pause(self, account_id: str, trader_id: str, reason: str, until: datetime) -> None:
        self.paused.append((account_id, reason, until))

    def resume(self, account_id: str, trader_id: str, paused_until: datetime) -> None:
        self.resumed.append((account_id, paused_until))


@dataclass
class InMemoryPusher:
    gone: set[str] = field(default_factory=set)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def push(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        if connection_id in self.gone:
            return False
        self.sent.append((connection_id, dict(message)))
        return True


@dataclass
class InMemoryWorkflowCallback:
    valid_tokens: set[str] = field(default_factory=set)
    succeeded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> bool:
        if task_token not in self.valid_tokens:
            return False
        self.valid_tokens.discard(task_token)
        self.succeeded.append((task_token, dict(output)))
        return True

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        if task_token not in self.valid_tokens:
            return False
        self.valid_tokens.discard(task_token)
        self.failed.append((task_token, error))
        return True


@dataclass
class StaticSecrets:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, secret_id: str) -> str:
        return self.values[secret_id]


@dataclass
class _PoolUser:
    password: str
    attributes: dict[str, str]
    confirmed: bool = False
    code: str = "123456"


@dataclass
class InMemoryIdentityProvider:
    """`IdentityProvider` as a Cognito pool with PreventUserExistenceErrors answers; `fail_next` injects an
    error (Cognito throttling, an outage) into the next call; `calls` names the calls made."""

    users: dict[str, _PoolUser] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    contexts: list[CallerContext | None] = field(default_factory=list)  # each call's caller, as told
    fail_next: Exception | None = None
    issued: int = 0

    def add_user(self, email: str, password: str, confirmed: bool = True) -> None:
        self.users[email] = _PoolUser(password, {"email": email}, confirmed)

    def sign_in(self, email: str, password: str, context: CallerContext | None = None) -> SessionTokens:
        from propdesk.adapters.cognito_auth import WRONG_CREDENTIALS

        self._called("sign_in", context)
        user = self.users.get(email)
        if user is None or user.password != password:
            raise UnauthorizedError(WRONG_CREDENTIALS)
        if not user.confirmed:
            raise UserNotConfirmedError("confirm your e-mail address first")
        self.issued += 1
        refresh_token = f"refresh-{self.issued}"
        self.refresh_tokens[refresh_token] = email
        return SessionTokens(f"id-{self.issued}", f"access-{self.issued}", refresh_token, 3600)

    def refresh(self, refresh_token: str) -> SessionTokens:
        from propdesk.adapters.cognito_auth import STALE_REFRESH_TOKEN

        self._called("refresh")
        if refresh_token not in self.refresh_tokens:
            raise UnauthorizedError(STALE_REFRESH_TOKEN)
        self.issued += 1
        return SessionTokens(f"id-{self.issued}", f"access-{self.issued}", None, 3600)

    def sign_up(
        self, email: str, password: str, attributes: Mapping[str, str], context: CallerContext | None = None
    ) -> None:
        self._called("sign_up", context)
        if email in self.users:
            return
        if len(password) < 12 or password.isalnum() or password.lower() == password:
            raise InvalidInputError("the password does not meet the policy", "password")
        self.users[email] = _PoolUser(password, {**attributes, "email": email})

    def confirm_sign_up(self, email: str, code: str, context: CallerContext | None = None) -> None:
        from propdesk.adapters.cognito_auth import CODE_REFUSED

        self._called("confirm_sign_up", context)
        user = self.users.get(email)
        if user is None or user.confirmed or user.code != code:
            raise InvalidInputError(CODE_REFUSED, "code")
        user.confirmed = True

    def _called(self, name: str, context: CallerContext | None = None) -> None:
        self.calls.append(name)
        self.contexts.append(context)
        failure, self.fail_next = self.fail_next, None
        if failure is not None:
            raise failure


# An in-memory `propdesk.ports.StaffDirectory` (the user pool's staff groups).
class InMemoryStaffMfa:
    """`StaffMfa` for tests: every staff member signs in with MFA except those in `without`."""

    def __init__(self, *without: str) -> None:
        self.without = set(without)
        self.asked: list[str] = []

    def mfa_enabled(self, user_id: str) -> bool:
        self.asked.append(user_id)
        return user_id not in self.without


class InMemoryStaffDirectory:
    def __init__(self, *users: StaffUser) -> None:
        self.users: dict[str, StaffUser] = {user.user_id: user for user in users}
        self.calls: list[tuple[str, str, str]] = []  # (operation, user_id, role) of every change
        self.unavailable = False

    def add(self, user_id: str, *roles: str, email: str | None = None) -> StaffUser:
        user = StaffUser(user_id, email or f"{user_id}@firm.example", frozenset(roles), True, "CONFIRMED")
        self.users[user_id] = user
        return user

    def members(self, role: str) -> list[StaffUser]:
        self._check()
        return [replace(user, roles=frozenset({role})) for user in self.users.values() if role in user.roles]

    def find(self, user_id: str) -> StaffUser | None:
        self._check()
        return self.users.get(user_id)

    def add_role(self, user_id: str, role: str) -> None:
        self._change("add", user_id, role)

    def remove_role(self, user_id: str, role: str) -> None:
        self._change("remove", user_id, role)

    def _change(self, operation: str, user_id: str, role: str) -> None:
        self._check()
        user = self.users.get(user_id)
        if user is None:
            raise LookupError(f"no user {user_id!r}")
        roles = user.roles | {role} if operation == "add" else user.roles - {role}
        self.users[user_id] = replace(user, roles=roles)
        self.calls.append((operation, user_id, role))

    def _check(self) -> None:
        if self.unavailable:
            raise IdentityProviderUnavailableError("the user pool is unavailable (test)")
