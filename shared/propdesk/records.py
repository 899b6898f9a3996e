"""The records every layer shares (the data layer hands them out and takes them in): plain, immutable
values, no pynamodb, no boto3.

Money is `Decimal`; times are timezone-aware `datetime`s; documents that follow another format (a program
document, an engine state, an event payload) stay JSON-safe dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

# suspended: a payment dispute is open; disabled: the purchase was refunded (see propdesk.purchases)
AccountStatus = Literal["active", "passed", "failed", "suspended", "disabled"]
KycStatus = Literal["pending", "approved", "declined", "resubmission"]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a query; `next_cursor` is opaque and is None on the last page."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ProgramSummary:
    """A catalogue entry: a program on sale and its current version."""

    program_id: str
    name: str
    current_version: int
    currency: str
    initial_balance: Decimal
    prices: dict[str, Decimal]
    kind: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ProgramVersion:
    """An immutable version of a program document (the engine's PROGRAM.json format plus catalogue keys)."""

    program_id: str
    version: int
    document: dict[str, Any]
    published_at: datetime


@dataclass(frozen=True, slots=True)
class TraderProfile:
    trader_id: str
    email: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Account:
    """A trading account, pinned to the program version it was bought under."""

    account_id: str
    trader_id: str
    program_id: str
    program_version: int
    status: AccountStatus
    currency: str
    initial_balance: Decimal
    timezone: str
    day_starts_at: str
    opened_at: datetime
    status_reason: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A normalized trading event as stored; `payload` is the engine's event format (amounts as strings)."""

    account_id: str
    event_id: str
    time: datetime
    type: str
    payload: dict[str, Any]
    sk: str


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """The account's engine state between invocations, written with an optimistic `version`.

    `last_event_sk` is the watermark of applied events; `applied_events` counts them, so that a late event
    (sorting before the watermark) can be told apart from a duplicate delivery.
    """

    account_id: str
    version: int
    state: dict[str, Any]
    evaluation: dict[str, Any]
    last_event_sk: str | None
    applied_events: int
    evaluated_until: datetime | None
    warnings_sent: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BreachEvidence:
    """Immutable evidence of a breach: the triggering event, the figures and the program version."""

    account_id: str
    rule: str
    time: datetime
    effect: str
    limit: Decimal
    value: Decimal
    explanation: str
    event_id: str | None
    event_type: str | None
    figures: dict[str, Any]
    program_id: str
    program_version: int
    identity: str = ""  # rule index and trigger: tells breaches of one rule at one instant apart


@dataclass(frozen=True, slots=True)
class KycCase:
    trader_id: str
    account_id: str
    status: KycStatus
    task_token: str
    requested_at: datetime
    decided_at: datetime | None = None
    verification_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    trader_id: str
    event_id: str
    time: datetime
    detail_type: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Connection:
    connection_id: str
    trader_id: str | None
    connected_at: datetime
    expires_at: datetime
    subscriptions: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()  # staff roles, from the token at $connect


@dataclass(frozen=True, slots=True)
class ResetWatermark:
    """Up to when the daily reset has processed day boundaries."""

    checked_until: datetime
    version: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which subject, when, why, with the state before and after (JSON-safe)."""

    entry_id: str
    at: datetime
    actor: str
    action: str
    subject: str
    actor_roles: tuple[str, ...] = ()
    reason: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BreachOverride:
    override_id: str
    account_id: str
    breach_sk: str
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LeaderboardStanding:
    program_id: str
    period_key: str
    account_id: str
    display_name: str
    initial_balance: Decimal
    start_balance: Decimal
    balance: Decimal

    @property
    def profit(self) -> Decimal:
        return self.balance - self.start_balance


@dataclass(frozen=True, slots=True)
class AccountLogin:
    """Where and as whom a trader logs in to an account on its trading platform: never a password (the
    one-time password exists only in the credentials e-mail)."""

    account_id: str
    platform: str
    server: str
    login: str


@dataclass(frozen=True, slots=True)
class StaffAlert:
    """A `firm.alert` as staff read it: what needs a person, how urgent, and what it is about (ids only)."""

    event_id: str
    occurred_at: datetime
    severity: str
    subject: str
    message: str
    order_id: str | None = None
    trader_id: str | None = None
