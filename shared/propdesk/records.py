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
KycStatus = Literal["pending", "approved", "declined", "expired"]  # pending: the case is open
# Where a breach id leads: `unknown_id` (not an id the API handed out), `absent` (the account has no such
# breach), `standing` (not overridden) or `overridden`.
BreachStanding = Literal["unknown_id", "absent", "standing", "overridden"]


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
class PlatformReference:
    """Where an account lives on its trading platform: what the platform port needs to address it
    (`propdesk.platforms.port.AccountRef`) and the server the trader picks at login. Never a password."""

    platform: str  # a `propdesk.platforms.port.PlatformName`
    platform_account_id: str
    login: str
    group: str = ""  # the platform's product for the program (Match-Trader challenge id, MT5 group, ...)
    server: str = ""


@dataclass(frozen=True, slots=True)
class Account:
    """A trading account, pinned to the program version it was bought under; `platform` says where it lives
    (None for an account opened before platform references were kept, or without a platform)."""

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
    platform: PlatformReference | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A normalized trading event as stored; `payload` is the engine's event format (amounts as strings).

    `sk` is the event's position in the account's log, given by the store (its time, then its id): opaque
    above the data layer, compared and handed back only; empty for an event not stored yet.
    """

    account_id: str
    event_id: str
    time: datetime
    type: str
    payload: dict[str, Any]
    sk: str = ""


@dataclass(frozen=True, slots=True)
class PendingEffect:
    """A side effect a recalculation committed to with its snapshot (the risk service's outbox): recording
    breach evidence, a status change, a platform command, an event to publish. `effect_id` is stable (the
    same effect of the same step always has the same id); `data` is JSON-safe (`propdesk.services.
    risk_outbox` writes and reads it)."""

    effect_id: str
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """The account's engine state between invocations, written with an optimistic `version`.

    `last_event_sk` is the watermark of applied events; `applied_events` counts them, so that a late event
    (sorting before the watermark) can be told apart from a duplicate delivery.

    `state` is the engine's `AccountState.to_dict()` and `evaluation` its verdict (`Evaluation.to_dict()` plus
    `usage` and `rejected_events`); read them through the typed accessors below, which name what callers
    need and keep the documents' layout in one place.

    `pending` is the outbox: the side effects the recalculation that wrote this snapshot still has to perform
    (empty once they are done).
    """

    account_id: str
    version: int
    state: dict[str, Any]
    evaluation: dict[str, Any]
    last_event_sk: str | None
    applied_events: int
    evaluated_until: datetime | None
    warnings_sent: dict[str, str] = field(default_factory=dict)
    pending: tuple[PendingEffect, ...] = ()

    # ---- the verdict

    @property
    def status(self) -> str | None:
        """The engine's verdict: `active`, `passed` or `failed` (None for a snapshot without a verdict)."""
        status = self.evaluation.get("status")
        return None if status is None else str(status)

    @property
    def metrics(self) -> dict[str, Any]:
        """The verdict's metrics (`Metrics.to_dict()`: money as strings, times in the program's zone)."""
        metrics: dict[str, Any] = self.evaluation.get("metrics", {})
        return metrics

    @property
    def usage(self) -> list[dict[str, Any]]:
        """Every loss limit's `rule`, `rule_index`, `floor` and `used_share` at the last evaluation."""
        usage: list[dict[str, Any]] = self.evaluation.get("usage", [])
        return usage

    @property
    def breaches(self) -> list[dict[str, Any]]:
        """The breaches the verdict lists, in time order, as the engine writes them (`Breach.to_dict()`)."""
        breaches: list[dict[str, Any]] = self.evaluation.get("breaches", [])
        return breaches

    @property
    def rejected_events(self) -> list[dict[str, Any]]:
        """The latest events the engine refused (`event_id`, `field`, `reason`), oldest first."""
        rejected: list[dict[str, Any]] = self.evaluation.get("rejected_events", [])
        return rejected

    # ---- the engine's state

    @property
    def balance(self) -> Decimal:
        """The closed balance."""
        return Decimal(str(self.state["balance"]))

    @property
    def funding(self) -> Decimal:
        """The money in the account that trading did not make: its size (grown by scaling) less withdrawals,
        plus deposits (the engine's `initial - withdrawn`)."""
        return Decimal(str(self.state["initial"])) - Decimal(str(self.state.get("withdrawn", "0")))

    @property
    def excluded_profit(self) -> Decimal:
        """Profit that news rules excluded from targets (0 when none)."""
        return Decimal(str(self.state.get("excluded_profit", "0")))

    @property
    def open_positions(self) -> list[dict[str, Any]]:
        """The open positions (`position_id`, `symbol`, `side`, `volume`, `opened_at`, `in_news_window`)."""
        positions: list[dict[str, Any]] = self.state.get("positions", [])
        return positions

    @property
    def paused_until(self) -> datetime | None:
        """Until when a `pause` breach locks trading (None: not paused)."""
        text = self.state.get("paused_until")
        return None if text is None else datetime.fromisoformat(text)

    @property
    def next_deadline(self) -> datetime | None:
        """The earliest scheduled-rule deadline still ahead of an active account (day boundaries excluded)."""
        if self.state.get("status") != "active":
            return None
        dues = [datetime.fromisoformat(due) for due in self.state.get("dues", []) if due is not None]
        return min(dues, default=None)

    @property
    def waived(self) -> frozenset[tuple[datetime, str, str]]:
        """The breaches staff overrode that the state was evaluated with, each as (instant, rule, identity):
        the engine's `BreachRef(*waived)`."""
        return frozenset(
            (datetime.fromisoformat(ref["time"]), str(ref["rule"]), str(ref["identity"]))
            for ref in self.state.get("waived", ())
        )


@dataclass(frozen=True, slots=True)
class DueAccount:
    """An account whose next scheduled deadline (time limit, inactivity, flat-by) falls at `due_at`."""

    account_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class PendingOutbox:
    """An account whose risk snapshot still lists effects to perform, written (committed to) at `since`."""

    account_id: str
    since: datetime


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
    # Opaque and URL-safe, set by the store that read the evidence ("" until it is stored); derived from the
    # fields above, so it takes no part in equality.
    breach_id: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class KycCase:
    """A trader's KYC case as other features read it (e.g. payout eligibility); the case itself, with its
    attempts, is `propdesk.kyc.case.VerificationCase`."""

    trader_id: str
    status: KycStatus
    opened_at: datetime
    decided_at: datetime | None = None


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
class ResetRetry:
    """An account the daily reset could not advance to `boundary` (its latest missed day boundary): the next
    run advances it there (which crosses every earlier one too)."""

    account_id: str
    boundary: datetime
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ResetWatermark:
    """Up to when the daily reset has processed day boundaries, and the accounts it still has to retry."""

    checked_until: datetime
    version: int
    retry: tuple[ResetRetry, ...] = ()


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
    breach_id: str  # the breach's opaque id (as `BreachEvidence.breach_id`)
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
    # The account's funding (`RiskSnapshot.funding`) at the period's start and now: what the balance gained
    # or lost by money moving in or out (scaling growth, withdrawals, deposits) is not a trading gain.
    # None: a standing written before funding was kept (no money moved, as then assumed).
    start_funding: Decimal | None = None
    funding: Decimal | None = None

    @property
    def profit(self) -> Decimal:
        """The trading gain over the period: the balance's change less the money that moved in or out."""
        moved = Decimal(0)
        if self.start_funding is not None and self.funding is not None:
            moved = self.funding - self.start_funding
        return self.balance - self.start_balance - moved


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
