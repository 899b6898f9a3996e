"""Ports: what the domain needs from the outside world. Production adapters live in `propdesk.adapters`
(boto3, created lazily); in-memory doubles for tests in `tests/doubles/ports.py` (never shipped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from propdesk.domain_events import DomainEvent
from propdesk.errors import DomainError, ForbiddenError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Publish every event or raise (nothing is silently dropped)."""
        ...


class AccountControl(Protocol):
    def disable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        """Stop trading on the account at the trading platform (`cause`: what failed it, e.g. the breach)."""
        ...

    def enable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        """Let the account trade again after a disable (staff overrode the breach that failed it)."""
        ...

    def pause(self, account_id: str, trader_id: str, reason: str, until: datetime) -> None:
        """Lock trading on the account until `until` (the next day boundary); the account is not failed."""
        ...

    def resume(self, account_id: str, trader_id: str, paused_until: datetime) -> None:
        """Unlock trading after the pause that ended at `paused_until`."""
        ...


class ConnectionPusher(Protocol):
    def push(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """Send a JSON message to a WebSocket connection; False when the connection is gone."""
        ...


class WorkflowCallback(Protocol):
    def succeed(self, task_token: str, output: Mapping[str, Any]) -> bool:
        """Resume a waiting workflow task; False when the token is no longer valid (used, timed out)."""
        ...

    def fail(self, task_token: str, error: str, cause: str) -> bool: ...


class SecretSource(Protocol):
    def get(self, secret_id: str) -> str:
        """The secret's current string value."""
        ...


@dataclass(frozen=True, slots=True)
class SessionTokens:
    """What a successful sign-in hands the client (a refresh keeps the refresh token it used: None here)."""

    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int  # seconds the ID and access tokens are valid


class IdentityProviderUnavailableError(DomainError):
    """The identity provider could not answer (an outage, not a refusal): the same request may be repeated."""

    code = "identity_provider_unavailable"


class UserNotConfirmedError(ForbiddenError):
    """Right password, but the e-mail address was never confirmed with its code."""

    code = "user_not_confirmed"


@dataclass(frozen=True, slots=True)
class CallerContext:
    """The person behind a sign-in or sign-up as our server saw the request, for the identity provider's
    risk checks (Cognito threat protection scores the caller's address, not our function's)."""

    source_ip: str | None
    server_name: str = ""  # the host the client called
    server_path: str = ""  # the path the client called
    headers: tuple[tuple[str, str], ...] = ()  # the few request headers worth scoring (e.g. User-Agent)


class IdentityProvider(Protocol):
    """Sign-up and sign-in at the user pool. Refusals are domain errors: wrong credentials
    `UnauthorizedError`, an unconfirmed user `UserNotConfirmedError`, a bad password or code
    `InvalidInputError` (field `password` or `code`; a sign-up the pool's rules refuse names its field), the
    provider's own throttling `RateLimitedError`, an outage `IdentityProviderUnavailableError`."""

    def sign_in(self, email: str, password: str, context: CallerContext | None = None) -> SessionTokens: ...

    def refresh(self, refresh_token: str) -> SessionTokens: ...

    def sign_up(
        self, email: str, password: str, attributes: Mapping[str, str], context: CallerContext | None = None
    ) -> None:
        """Register an unconfirmed user and send the confirmation code; an existing e-mail is a no-op
        (the caller cannot tell, so that sign-up does not reveal who has an account)."""
        ...

    def confirm_sign_up(self, email: str, code: str, context: CallerContext | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A user of the pool as the staff routes see it: `user_id` is the `sub` (how the audit log names actors);
    `roles` are the staff groups the user is in (the trader group is not a staff role)."""

    user_id: str
    email: str | None
    roles: frozenset[str]
    enabled: bool
    status: str


class StaffDirectory(Protocol):
    """Staff roles as groups of the user pool. An outage is `IdentityProviderUnavailableError`."""

    def members(self, role: str) -> list[StaffUser]:
        """Every user in the role's group."""
        ...

    def find(self, user_id: str) -> StaffUser | None:
        """The user with this `sub`, with all their staff roles; None if the pool has no such user."""
        ...

    def add_role(self, user_id: str, role: str) -> None: ...

    def remove_role(self, user_id: str, role: str) -> None: ...


class StaffMfa(Protocol):
    """Whether a staff member signs in with MFA. The pool offers TOTP and challenges every sign-in of a user
    who enabled it, so a user with MFA enabled signed in with it. An outage is
    `IdentityProviderUnavailableError` (the action is refused, never let through)."""

    def mfa_enabled(self, user_id: str) -> bool: ...


# ---- e-mail: rendered in our code (propdesk.mail), sent by the mail service (SES), once per event


@dataclass(frozen=True, slots=True)
class EmailContent:
    """One rendered message: its subject, plain text and HTML; `template` and `version` name what rendered it
    (sent along as message tags, so a bounce or a complaint can be traced to a template version)."""

    template: str
    version: int
    subject: str
    text: str
    html: str


class MailUnavailableError(Exception):
    """The mail service did not take the message (throttled, paused, an outage, our identity not usable):
    nothing was sent; the same message may be sent again later."""


class MailRejectedError(Exception):
    """The mail service refused this message for good (e.g. a malformed address): sending it again fails
    again. Never carries the address."""


class EmailSender(Protocol):
    def send(self, to: str, content: EmailContent) -> str:
        """Send one message to one address; answers the provider's message id. Raises MailUnavailableError
        (retry later) or MailRejectedError (do not)."""
        ...


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach a trader, and nothing more: the address, and the IANA zone to show times in (None: UTC).
    Personal data: never logged, never stored by the mail path."""

    email: str
    zoneinfo: str | None = None


class ContactDirectory(Protocol):
    def contact(self, trader_id: str) -> Contact | None:
        """The trader's address (None: no such user, or no address). An outage raises
        `IdentityProviderUnavailableError` (the caller retries)."""
        ...


class MailMarks(Protocol):
    """One marker per message key (an event id and a template): a message is sent at most once per key,
    except that a send that failed (or whose sender died) may be tried again."""

    def claim(self, key: str, now: datetime, lease: timedelta) -> bool:
        """Take the key for sending: True if it was never claimed, or its last claim failed or ran past its
        lease; False if it was sent (or refused for good) or another sender holds it now."""
        ...

    def finish(self, key: str, outcome: str, now: datetime) -> None:
        """Record how the claimed send ended for good: `sent` or `rejected` (never tried again)."""
        ...

    def release(self, key: str) -> None:
        """Give a claimed key back after a send that failed, so a retry may claim it at once."""
        ...
