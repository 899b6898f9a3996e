"""Traders' routes: the profile, accounts with live metrics, trades, open positions and breach reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from propdesk.abuse.sign_up import DISPLAY_NAME_MAX_LENGTH, DISPLAY_NAME_MIN_LENGTH, DISPLAY_NAME_PATTERN
from propdesk.http.schemas.common import (
    Money,
    Percent,
    QueryModel,
    RequestModel,
    ResponseModel,
    TimeRangeQuery,
)

AccountStatus = Literal["active", "passed", "failed", "suspended", "disabled"]


class Profile(ResponseModel):
    trader_id: str = Field(description="The Cognito user's `sub`.")
    email: str | None
    display_name: str | None = Field(description="What leaderboards show; None until the trader sets one.")
    roles: list[str] = Field(description="Cognito groups, e.g. `trader` or staff roles.")
    timezone: str | None = Field(description="The trader's zone (Cognito `zoneinfo`), if set.")


class ProfileUpdate(RequestModel):
    """What a trader may change about themselves: the public name leaderboards show."""

    display_name: str = Field(
        min_length=DISPLAY_NAME_MIN_LENGTH,
        max_length=DISPLAY_NAME_MAX_LENGTH,
        # Letters, digits, spaces and . _ - only: no e-mail address or link can become a public name.
        pattern=DISPLAY_NAME_PATTERN,
        description="Shown on leaderboards instead of any personal data.",
    )


class PlatformLoginOut(ResponseModel):
    """Where the trader logs in to trade the account (the password is never stored nor shown)."""

    platform: str = Field(examples=["match-trader"])
    server: str = Field(description="What the trader picks in the platform's login screen.")
    login: str


class AccountOut(ResponseModel):
    account_id: str
    trader_id: str
    status: AccountStatus
    status_reason: str
    program_id: str
    program_version: int
    currency: str
    initial_balance: Money
    timezone: str = Field(description="The program's day-boundary zone.")
    day_starts_at: str = Field(examples=["00:00"])
    opened_at: datetime
    platform: PlatformLoginOut | None = Field(
        default=None, description="The platform login; None for an account opened without one."
    )


class AccountCredentials(ResponseModel):
    """Where and as whom to log in to the account on its trading platform. Never a password: the one-time
    password is only in the e-mail sent when the account opened (the platform's reset sets a new one)."""

    account_id: str
    platform: str = Field(examples=["match-trader"])
    server: str = Field(description="What to pick in the platform's login screen.")
    login: str = Field(description="The platform's login (account number) for this account.")


class AccountList(ResponseModel):
    accounts: list[AccountOut]
    next_cursor: str | None


class AccountsQuery(QueryModel):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, min_length=1, max_length=2048)
    trader_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="Staff only: another trader's accounts."
    )


class MetricsQuery(QueryModel):
    tz: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Show the next day boundary in this IANA zone (default: the trader's `zoneinfo`).",
    )


class LossAllowance(ResponseModel):
    rule: str = Field(examples=["daily_loss"])
    floor: Money = Field(description="Equity may not go below this.")
    remaining: Money = Field(description="Equity minus the floor (0 when at or below it).")
    used_percent: Percent = Field(description="Share of the allowance already used.")


class DayBoundary(ResponseModel):
    utc: datetime = Field(description="The next daily reset, in UTC.")
    program_time: datetime = Field(description="The same instant in the program's zone.")
    trader_time: datetime = Field(description="The same instant in the trader's zone.")
    trader_timezone: str


class TargetProgress(ResponseModel):
    target: Money
    profit: Money
    remaining: Money
    progress_percent: Percent


class TradingDays(ResponseModel):
    count: int
    required: int | None = Field(description="The program's minimum, if it has one.")


class Consistency(ResponseModel):
    ok: bool
    best_day_profit: Money
    best_day_allowed: Money = Field(description="The most the best day may be, given the total profit.")
    max_best_day_percent: Percent
    profit_needed: Money = Field(description="More total profit that would make the best day compliant.")


class ResetBreach(ResponseModel):
    rule: str
    effect: str
    explanation: str


class ResetPreview(ResponseModel):
    """What the next day boundary brings if nothing changes before it ("safe now, breached at the reset?")."""

    safe: bool
    breaches: list[ResetBreach]


class Metrics(ResponseModel):
    account_id: str
    status: AccountStatus
    as_of: datetime = Field(description="The instant these figures describe.")
    currency: str
    balance: Money
    equity: Money
    profit: Money
    daily_loss: LossAllowance | None
    max_loss: LossAllowance | None
    next_day_boundary: DayBoundary
    profit_target: TargetProgress | None
    trading_days: TradingDays
    consistency: Consistency | None
    open_positions: int
    paused_until: datetime | None
    pass_blockers: list[str]
    next_reset: ResetPreview


class OverrideNote(ResponseModel):
    """A staff decision on this breach (the evidence itself never changes)."""

    override_id: str
    actor: str
    reason: str
    at: datetime


class TradingEventOut(ResponseModel):
    event_id: str
    time: datetime
    type: str
    payload: dict[str, Any] = Field(description="The normalized event as the platform sent it.")


class BreachOut(ResponseModel):
    breach_id: str = Field(description="Opaque; names the breach in staff overrides.")
    rule: str
    time: datetime
    effect: str
    limit: str
    value: str
    explanation: str
    event_id: str | None
    event_type: str | None
    figures: dict[str, Any] = Field(description="Base, amount and formula the rule used.")
    program_id: str
    program_version: int
    trigger: TradingEventOut | None = Field(
        default=None, description="The stored event that crossed the limit (None for reset-time breaches)."
    )
    override: OverrideNote | None = None


class BreachList(ResponseModel):
    breaches: list[BreachOut]
    next_cursor: str | None


class RiskOut(ResponseModel):
    """The stored engine verdict (as written by the risk pipeline)."""

    status: str | None
    metrics: dict[str, Any]
    usage: list[dict[str, Any]]
    evaluated_until: datetime | None
    events_applied: int


class PlatformDataOut(ResponseModel):
    """How current the account's trading data is (docs/platforms.md, "Stale data")."""

    stale: bool = Field(
        description="The platform could not be read, or positions are open and no trading event came for a "
        "while: the figures shown may be behind; no breach is made from them, and the gap is backfilled."
    )
    stale_since: datetime | None
    checked_at: datetime = Field(description="The latest reconciliation with the platform.")


class AccountDetail(ResponseModel):
    account: AccountOut
    metrics: Metrics | None = Field(description="None only if the account's program version is missing.")
    risk: RiskOut | None
    breaches: list[BreachOut] = Field(description="The most recent breaches (all of them: `/breaches`).")
    platform_data: PlatformDataOut | None = Field(
        default=None, description="None until the account was first reconciled with its platform."
    )


class Fill(ResponseModel):
    """One trade execution: a position opened or closed."""

    event_id: str
    time: datetime
    type: Literal["position_opened", "position_closed"]
    position_id: str
    symbol: str | None = None
    side: Literal["buy", "sell"] | None = None
    volume: str | None = None
    stop_loss: str | None = None
    take_profit: str | None = None
    profit: Money | None = None
    reason: str | None = None


class TradeList(ResponseModel):
    trades: list[Fill]
    next_cursor: str | None


class TradesQuery(TimeRangeQuery):
    order: Literal["asc", "desc"] = Field(default="desc", description="Newest first by default.")


class OpenPositionOut(ResponseModel):
    position_id: str
    symbol: str
    side: str
    volume: str
    opened_at: datetime


class PositionList(ResponseModel):
    positions: list[OpenPositionOut]
    as_of: datetime | None = Field(description="When the risk state last changed.")


PlatformAccess = Literal["enabled", "read_only", "disabled"]


class PendingCommandOut(ResponseModel):
    """A command to the platform received and not yet confirmed."""

    kind: Literal["disable", "enable", "pause", "resume"]
    asked_at: datetime
    received_at: datetime
    attempts: int = Field(description="Times it was tried at the platform (0: waiting for its turn).")
    last_error: str | None = Field(
        default=None, description="Staff only: why the last attempt failed (it is retried)."
    )


class PlatformState(ResponseModel):
    """The account's access at its trading platform: what the platform last confirmed, what we want, and the
    commands on their way (docs/rules.md, "Enforcement at the platform")."""

    account_id: str
    platform: PlatformLoginOut | None
    access: PlatformAccess | None = Field(
        description="As the platform confirmed it; None before any command reached it."
    )
    confirmed_at: datetime | None
    wanted: PlatformAccess | None = Field(description="The access the last command applied asked for.")
    wanted_since: datetime | None = Field(description="When that command was asked.")
    paused_until: datetime | None = Field(description="While paused: read-only until this day boundary.")
    pending: list[PendingCommandOut]
