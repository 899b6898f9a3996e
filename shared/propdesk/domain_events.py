"""The EventBridge event catalogue: source `propdesk`, one pydantic schema per detail type.

Every event carries `event_id` (deterministic where a retry could publish it twice, so consumers dedupe by it)
and `occurred_at`. Money is a decimal string on the wire. `CATALOGUE` maps detail types to schemas;
`entry()` builds a PutEvents entry and `parse()` validates an incoming detail.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SOURCE = "propdesk"


def stable_id(*parts: object) -> str:
    """A deterministic event id from what identifies the fact (so a retried publish dedupes downstream)."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
    return digest[:32]


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    detail_type: ClassVar[str]

    event_id: str = Field(min_length=1)
    occurred_at: AwareDatetime


class AccountEvent(DomainEvent):
    account_id: str = Field(min_length=1)
    trader_id: str = Field(min_length=1)


class AccountBreached(AccountEvent):
    """A rule was breached; `effect` is `fail` (account failed, disabled), `pause` (locked until the next day
    boundary), `flag` (recorded only) or `exclude_profit` (a news trade's profit does not count)."""

    detail_type: ClassVar[str] = "account.breached"
    program_id: str
    program_version: int
    rule: str
    effect: Literal["fail", "pause", "flag", "exclude_profit"]
    limit: Decimal
    value: Decimal
    explanation: str
    breached_at: AwareDatetime


class AccountPassed(AccountEvent):
    detail_type: ClassVar[str] = "account.passed"
    program_id: str
    program_version: int
    metrics: dict[str, Any]


class AccountWarning(AccountEvent):
    """A limit's used share reached the configured warning share (sent once per limit per trading day)."""

    detail_type: ClassVar[str] = "account.warning"
    rule: str
    used_share: Decimal
    limit: Decimal
    value: Decimal
    trading_day: str


class AccountDisableRequested(AccountEvent):
    """Asks the trading-platform bridge to disable the account (the platform port's production adapter)."""

    detail_type: ClassVar[str] = "platform.disable_requested"
    reason: str


class AccountEnableRequested(AccountEvent):
    """Asks the platform bridge to let a disabled account trade again (staff overrode the failing breach)."""

    detail_type: ClassVar[str] = "platform.enable_requested"
    reason: str


class AccountPauseRequested(AccountEvent):
    """Asks the platform bridge to lock trading until `paused_until` (a `pause` breach; not a failure)."""

    detail_type: ClassVar[str] = "platform.pause_requested"
    reason: str
    paused_until: AwareDatetime


class AccountResumeRequested(AccountEvent):
    """Asks the platform bridge to unlock trading: the pause that ran until `paused_until` is over."""

    detail_type: ClassVar[str] = "platform.resume_requested"
    paused_until: AwareDatetime


class KycRequested(DomainEvent):
    """A verification attempt's provider session is open: the trader is asked to verify (or to resubmit) at
    `url`, the provider's page. The URL is a bearer link meant for the trader's e-mail only: consumers never
    log it. `deadline` is when the firm's window ends; `link_expires_at` when the provider stops honouring
    the link (if it says)."""

    detail_type: ClassVar[str] = "kyc.requested"
    trader_id: str = Field(min_length=1)
    attempt: int = Field(ge=1)
    attempts_allowed: int = Field(ge=1)
    resubmission: bool
    provider: str
    url: str = Field(min_length=1)
    deadline: AwareDatetime
    link_expires_at: AwareDatetime | None = None


class KycInReview(DomainEvent):
    """The provider asked for a person: the case waits for a staff decision (the trader did their part)."""

    detail_type: ClassVar[str] = "kyc.in_review"
    trader_id: str = Field(min_length=1)
    attempt: int = Field(ge=1)
    provider: str


class KycDecided(DomainEvent):
    """The trader's KYC case concluded. `account_id` names the account whose funded stage needed KYC (None
    when no account did); `verification_id` is the provider's session of the deciding attempt; `decided_by`
    the provider or staff; `reason` staff's reason or the case's (`attempts_exhausted`,
    `decision_window_elapsed`, `session_expired`); `reason_codes` the provider's own."""

    trader_id: str = Field(min_length=1)
    account_id: str | None = None
    verification_id: str | None = None
    attempt: int | None = None
    decided_by: Literal["provider", "staff"] | None = None
    reason: str | None = None
    reason_codes: list[str] = Field(default_factory=list)


class KycApproved(KycDecided):
    detail_type: ClassVar[str] = "kyc.approved"


class KycDeclined(KycDecided):
    detail_type: ClassVar[str] = "kyc.declined"


class KycExpired(KycDecided):
    """No decision within the firm's window (or the last provider session expired): the trader's next need
    starts a new case window."""

    detail_type: ClassVar[str] = "kyc.expired"


class KycResubmissionRequested(KycDecided):
    """Retired: no longer published. A resubmission is announced as `kyc.requested` with `resubmission:
    true` and the new attempt's link (the case loops by itself)."""

    detail_type: ClassVar[str] = "kyc.resubmission_requested"


class PurchaseEvent(DomainEvent):
    order_id: str = Field(min_length=1)
    trader_id: str = Field(min_length=1)


class PurchaseCompleted(PurchaseEvent):
    """The order is paid: provisioning creates the trading account (once)."""

    detail_type: ClassVar[str] = "purchase.completed"
    program_id: str
    program_version: int
    amount: Decimal
    currency: str
    provider: str


class PurchaseFailed(PurchaseEvent):
    detail_type: ClassVar[str] = "purchase.failed"
    reason: str


class PurchaseRefunded(PurchaseEvent):
    """Money went back (a refund or a lost chargeback): an account provisioned for the order is disabled."""

    detail_type: ClassVar[str] = "purchase.refunded"
    account_id: str | None = None
    reason: str


class PurchaseDisputed(PurchaseEvent):
    """A chargeback was opened: suspend the account, flag the trader for review, alert the firm."""

    detail_type: ClassVar[str] = "purchase.disputed"
    account_id: str | None = None
    dispute_id: str
    reason: str


class PurchaseDisputeClosed(PurchaseEvent):
    """A dispute was won (the order is back to where it was: the account is reinstated)."""

    detail_type: ClassVar[str] = "purchase.dispute_closed"
    account_id: str | None = None
    dispute_id: str
    outcome: Literal["won", "lost"]


class PurchaseFlagged(PurchaseEvent):
    """Something about the purchase needs a person: fraud findings, a partial payment or refund. For staff
    only: never put in the trader's notifications (`STAFF_ONLY`)."""

    detail_type: ClassVar[str] = "purchase.flagged"
    reasons: list[str]


class AccountProvisioned(AccountEvent):
    """The trading account exists on the platform; the trader is told how to log in (no password here)."""

    detail_type: ClassVar[str] = "account.provisioned"
    order_id: str
    program_id: str
    program_version: int
    platform: str
    login: str
    server: str


class AccountContinued(AccountEvent):
    """A passed account continues in the next account of its chain (`account_id`): a fresh balance, a new
    login on the platform (the password reaches the trader once, by e-mail, never an event)."""

    previous_account_id: str
    program_id: str
    program_version: int
    phase: int  # the account's place in its chain: 1 for the first phase
    platform: str
    login: str
    server: str


class AccountPhaseStarted(AccountContinued):
    """The next evaluation phase's account is open (e.g. phase 2 after phase 1 passed)."""

    detail_type: ClassVar[str] = "account.phase_started"


class AccountFunded(AccountContinued):
    """The funded account is open: the trader passed the last phase of the chain."""

    detail_type: ClassVar[str] = "account.funded"


class AccountScaled(AccountEvent):
    """The scaling plan's review found every criterion met: the account's size, its loss limits (amounts)
    and its profit split grew (audited); the trader is told. `event_id` is the decision's id: `scaling_growth`
    tops the platform balance up under `<event_id>:scaling` and gives the risk engine its `scale` event."""

    detail_type: ClassVar[str] = "account.scaled"
    balance_before: Decimal
    balance_after: Decimal
    daily_loss: Decimal = Field(description="The daily loss limit on the new size.")
    max_loss: Decimal = Field(description="The maximum loss limit on the new size.")
    split_percent: Decimal = Field(description="The trader's share of profit from now on.")
    cycle_ends_on: date = Field(description="The last day of the reviewed cycle.")
    next_review_on: date
    explanation: str


class FirmAlert(DomainEvent):
    """Something the firm's staff must look at (a dispute, provisioning stuck, a reconciliation mismatch)."""

    detail_type: ClassVar[str] = "firm.alert"
    severity: Literal["info", "warning", "critical"]
    subject: str
    message: str
    order_id: str | None = None
    trader_id: str | None = None


class AbuseFlagRaised(DomainEvent):
    """The abuse detectors opened a flag (a new suspicion, or a decided one found graver): the payouts of the
    accounts it names are held until staff decide it (`GET /v1/staff/flags/{flag_id}`). For staff only: the
    evidence stays in the review queue, never on the bus."""

    detail_type: ClassVar[str] = "abuse.flag_raised"
    flag_id: str = Field(min_length=1)
    detector: str
    severity: Literal["low", "medium", "high"]
    account_ids: list[str] = Field(description="The accounts the flag names (their payouts are held).")
    trader_ids: list[str]
    found_by: Literal["stream", "deep"]
    detected_at: AwareDatetime


class AbuseFlagDecided(DomainEvent):
    """A decision on an abuse flag that reaches one trader it names (one event per trader): `warn` (a warning,
    nothing else changes), `deny_payout` (the payouts waiting on these accounts were refused and stay held),
    `fail_accounts` (the accounts failed and their trading disabled). `account_ids` are this trader's accounts
    the flag names. Carries no detector, score or evidence: the trader is told the decision, not the case.
    Dismissals reach nobody (audited only)."""

    detail_type: ClassVar[str] = "abuse.flag_decided"
    flag_reference: str = Field(
        min_length=1,
        description="A digest of the flag's id (the id itself names the detector and the other accounts).",
    )
    trader_id: str = Field(min_length=1)
    decision: Literal["warn", "deny_payout", "fail_accounts"]
    decided_by: Literal["staff", "automatic"]
    account_ids: list[str]


class PayoutEvent(AccountEvent):
    """A payout's step. `amount` is the profit taken off the account; the trader receives `trader_share` and
    the `extras` (fixed at the request)."""

    payout_id: str = Field(min_length=1)
    amount: Decimal
    trader_share: Decimal
    currency: str
    extras: dict[str, Decimal] = Field(
        default_factory=dict,
        description="Paid on top of the trader's share, by kind: fee_refund, challenge_share (the "
        "challenge-phase share), breach_share (profit before a breach; `amount` is then 0).",
    )


class PayoutRequested(PayoutEvent):
    """A trader asked for a payout: the payout workflow starts from here (eligibility again, KYC gate, abuse
    screen, approval, withdrawal, payment)."""

    detail_type: ClassVar[str] = "payout.requested"
    requested_at: AwareDatetime


class PayoutApproved(PayoutEvent):
    """The payout was approved (automatically under the firm's amount, else by finance: two members above the
    second amount); the workflow withdraws it from the account and pays it."""

    detail_type: ClassVar[str] = "payout.approved"
    decided_at: AwareDatetime
    reason: str


class PayoutRejected(PayoutEvent):
    """Finance, or the workflow's checks, rejected the payout (with the reason the trader is told); the
    account may request again."""

    detail_type: ClassVar[str] = "payout.rejected"
    decided_at: AwareDatetime
    reason: str


class PayoutPaid(PayoutEvent):
    """The rail confirmed the payment (its signed webhook): the trader is told, with the statement."""

    detail_type: ClassVar[str] = "payout.paid"
    paid_at: AwareDatetime
    gross_profit: Decimal = Field(description="The profit taken off the account (= amount).")
    firm_share: Decimal
    fees: Decimal = Field(description="The rail's fees charged to the trader (0 when the firm pays them).")
    fee_refund: Decimal = Field(description="The challenge fee refunded with this payout (0 when not owed).")
    paid: Decimal = Field(description="What reached the trader: trader_share + extras - fees.")
    rail: str
    reference: str = Field(description="The rail's reference of the payment.")
    destination: str = Field(description="Where it went, masked.")


class PayoutFailed(PayoutEvent):
    """The payout could not be paid; whatever was withdrawn was put back on the account (a deposit)."""

    detail_type: ClassVar[str] = "payout.failed"
    failed_at: AwareDatetime
    reason: str
    compensated: bool = Field(description="A withdrawal was booked and has been put back on the account.")


CATALOGUE: dict[str, type[DomainEvent]] = {
    event_type.detail_type: event_type
    for event_type in (
        AccountBreached,
        AccountPassed,
        AccountWarning,
        AccountDisableRequested,
        AccountEnableRequested,
        AccountPauseRequested,
        AccountResumeRequested,
        KycRequested,
        KycInReview,
        KycApproved,
        KycDeclined,
        KycExpired,
        KycResubmissionRequested,
        PurchaseCompleted,
        PurchaseFailed,
        PurchaseRefunded,
        PurchaseDisputed,
        PurchaseDisputeClosed,
        PurchaseFlagged,
        AccountProvisioned,
        AccountPhaseStarted,
        AccountFunded,
        AccountScaled,
        FirmAlert,
        PayoutRequested,
        PayoutApproved,
        PayoutRejected,
        PayoutPaid,
        PayoutFailed,
        AbuseFlagRaised,
        AbuseFlagDecided,
    )
}


class UnknownDetailTypeError(ValueError):
    pass


class Envelope(BaseModel):
    """An EventBridge event as a target receives it (e.g. in an SQS message body)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)

    id: str = Field(min_length=1)
    source: str
    detail_type: str = Field(alias="detail-type", min_length=1)
    time: AwareDatetime
    detail: dict[str, Any]


# Events for the firm's staff only, though they name a trader: their texts are fraud findings and thresholds
# (`purchase.flagged`), so they never reach the trader's notifications.
STAFF_ONLY: frozenset[str] = frozenset({PurchaseFlagged.detail_type, FirmAlert.detail_type})


def entry(event: DomainEvent, event_bus_name: str) -> dict[str, Any]:
    """A PutEvents request entry for this event."""
    return {
        "Source": SOURCE,
        "DetailType": event.detail_type,
        "Detail": event.model_dump_json(),
        "EventBusName": event_bus_name,
        "Time": event.occurred_at,
    }


def parse(detail_type: str, detail: dict[str, Any]) -> DomainEvent:
    """Validate an incoming event's detail against the catalogue (raises pydantic's ValidationError)."""
    schema = CATALOGUE.get(detail_type)
    if schema is None:
        raise UnknownDetailTypeError(f"unknown detail type {detail_type!r}")
    return schema.model_validate(detail)


def json_schemas() -> dict[str, dict[str, Any]]:
    """The catalogue as JSON Schemas, for documentation."""
    return {detail_type: schema.model_json_schema() for detail_type, schema in sorted(CATALOGUE.items())}
