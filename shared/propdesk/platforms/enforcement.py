"""Enforcement at the trading platform, pure: the platform commands (`platform.*_requested`), what we want an
account's access at the platform to be, and whether a command still applies when it arrives.

A command is applied in the order it was *asked* (`asked_at`, the event's `occurred_at`), whatever order it
is delivered in: a command asked before the one that set the account's desired access is stale (a `resume`
delivered after a later `disable` does nothing). At the same instant the stricter access wins (disabled over
read-only over enabled), so a boundary's resume-then-pause pair lands on the pause. A command that would let
the account trade again (`enable`, `resume`, and a `pause`, which is looser than disabled) needs the account
to be active: a failed, suspended or refunded account stays disabled. A `resume` lifts only the pause it
names. A command id seen before (the one that set the desired access, or one of the last `DONE_KEPT` handled)
is a duplicate and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from propdesk.domain_events import (
    AccountDisableRequested,
    AccountEnableRequested,
    AccountPauseRequested,
    AccountResumeRequested,
    DomainEvent,
)
from propdesk.platforms.port import Deal, OpenPosition, TradingAccess
from propdesk.records import Account

CommandKind = Literal["disable", "enable", "pause", "resume"]
COMMAND_DETAIL_TYPES: dict[str, CommandKind] = {
    AccountDisableRequested.detail_type: "disable",
    AccountEnableRequested.detail_type: "enable",
    AccountPauseRequested.detail_type: "pause",
    AccountResumeRequested.detail_type: "resume",
}
TARGETS: dict[CommandKind, TradingAccess] = {
    "disable": TradingAccess.DISABLED,
    "enable": TradingAccess.ENABLED,
    "pause": TradingAccess.READ_ONLY,
    "resume": TradingAccess.ENABLED,
}
STRICTNESS = {TradingAccess.ENABLED: 0, TradingAccess.READ_ONLY: 1, TradingAccess.DISABLED: 2}
DONE_KEPT = 50  # handled command ids remembered per account (older ones are stale by their time anyway)
LIQUIDATE_ON_FAIL = True  # a program's `enforcement.liquidate_on_fail` when it does not say


class NotACommandError(ValueError):
    """The event is not one of the platform commands."""


@dataclass(frozen=True, slots=True)
class PlatformCommand:
    command_id: str  # the event's id: stable, so a redelivery is recognised
    kind: CommandKind
    account_id: str
    trader_id: str
    asked_at: datetime
    reason: str = ""
    paused_until: datetime | None = None  # a pause until, or the pause a resume lifts

    @property
    def target(self) -> TradingAccess:
        return TARGETS[self.kind]


def command_of(event: DomainEvent) -> PlatformCommand:
    kind = COMMAND_DETAIL_TYPES.get(event.detail_type)
    if kind is None or not isinstance(
        event,
        AccountDisableRequested | AccountEnableRequested | AccountPauseRequested | AccountResumeRequested,
    ):
        raise NotACommandError(f"{event.detail_type} is not a platform command")
    paused_until = (
        event.paused_until if isinstance(event, AccountPauseRequested | AccountResumeRequested) else None
    )
    return PlatformCommand(
        command_id=event.event_id,
        kind=kind,
        account_id=event.account_id,
        trader_id=event.trader_id,
        asked_at=event.occurred_at,
        reason="" if isinstance(event, AccountResumeRequested) else event.reason,
        paused_until=paused_until,
    )


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """A command received and not yet handled: visible to the trader and staff while it waits."""

    command_id: str
    kind: CommandKind
    asked_at: datetime
    received_at: datetime
    attempts: int = 0  # times a worker acted on it (a delivery finding the account busy does not count)
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class PlatformAccessState:
    """What we want an account's access at its platform to be, what the platform last confirmed, and the
    commands waiting. `version` is the store's optimistic lock (0: not stored yet)."""

    account_id: str
    desired: TradingAccess | None = None
    desired_since: datetime | None = None  # when the command that set it was asked
    desired_by: str = ""  # that command's id
    desired_kind: CommandKind | None = None
    paused_until: datetime | None = None  # while the desired access is a pause's read-only
    confirmed: TradingAccess | None = None
    confirmed_at: datetime | None = None
    pending: tuple[PendingCommand, ...] = ()
    done: tuple[str, ...] = ()  # the last command ids handled, newest last
    lease_holder: str = ""  # the command a worker is acting on (one at a time per account)
    lease_until: datetime | None = None
    version: int = 0

    def pending_of(self, command_id: str) -> PendingCommand | None:
        return next((p for p in self.pending if p.command_id == command_id), None)

    def seen(self, command_id: str) -> bool:
        return command_id == self.desired_by or command_id in self.done

    def leased_to_another(self, command_id: str, now: datetime) -> bool:
        return (
            bool(self.lease_holder)
            and self.lease_holder != command_id
            and self.lease_until is not None
            and self.lease_until > now
        )

    def waiting(self, command: PlatformCommand, now: datetime) -> PlatformAccessState:
        """The command noted as pending (once; its first receipt kept)."""
        if self.pending_of(command.command_id) is not None:
            return self
        noted = PendingCommand(command.command_id, command.kind, command.asked_at, now)
        return replace(self, pending=(*self.pending, noted))

    def leased(self, command_id: str, until: datetime) -> PlatformAccessState:
        """The account taken by a worker for `command_id`, counting one more attempt at it."""
        pending = tuple(
            replace(p, attempts=p.attempts + 1) if p.command_id == command_id else p for p in self.pending
        )
        return replace(self, pending=pending, lease_holder=command_id, lease_until=until)

    def attempt_failed(self, command_id: str, error: str) -> PlatformAccessState:
        pending = tuple(
            replace(p, last_error=error) if p.command_id == command_id else p for p in self.pending
        )
        return replace(self, pending=pending)._release(command_id)

    def handled(self, command_id: str) -> PlatformAccessState:
        """The command is done (applied, stale or refused): off the pending list, remembered, lease
        released."""
        return replace(
            self,
            pending=tuple(p for p in self.pending if p.command_id != command_id),
            done=(*(d for d in self.done if d != command_id), command_id)[-DONE_KEPT:],
        )._release(command_id)

    def _release(self, command_id: str) -> PlatformAccessState:
        if self.lease_holder != command_id:
            return self
        return replace(self, lease_holder="", lease_until=None)

    def applied(self, command: PlatformCommand, confirmed_at: datetime) -> PlatformAccessState:
        """The platform confirmed the command's access: it is now both desired and confirmed."""
        return replace(
            self.handled(command.command_id),
            desired=command.target,
            desired_since=command.asked_at,
            desired_by=command.command_id,
            desired_kind=command.kind,
            paused_until=command.paused_until if command.kind == "pause" else None,
            confirmed=command.target,
            confirmed_at=confirmed_at,
        )


@dataclass(frozen=True, slots=True)
class Apply:
    target: TradingAccess
    liquidate: bool = False  # close every open position first (a failed account, where the program says so)


Outcome = Literal["duplicate", "superseded", "refused"]


@dataclass(frozen=True, slots=True)
class Skip:
    outcome: Outcome
    why: str


Decision = Apply | Skip


def decide(
    state: PlatformAccessState, command: PlatformCommand, account: Account, liquidate_on_fail: bool
) -> Decision:
    """What to do with `command`, given what we want now and the account as stored."""
    if state.seen(command.command_id):
        return Skip("duplicate", "this command was handled already")
    if state.desired is not None and state.desired_since is not None:
        asked = (command.asked_at, STRICTNESS[command.target])
        current = (state.desired_since, STRICTNESS[state.desired])
        if asked < current:
            return Skip(
                "superseded",
                f"asked at {command.asked_at.isoformat()}, before the {state.desired_kind} asked at "
                f"{state.desired_since.isoformat()} that set the account {state.desired.value}",
            )
    if command.kind != "disable" and account.status != "active":
        return Skip("refused", f"the account is {account.status}: it stays disabled at the platform")
    if (
        command.kind == "resume"
        and state.desired is TradingAccess.READ_ONLY
        and state.paused_until is not None
        and state.paused_until != command.paused_until
    ):
        return Skip("superseded", f"the pause in force runs until {state.paused_until.isoformat()}")
    return Apply(command.target, liquidate=command.kind == "disable" and liquidate_on_fail)


def liquidates_on_fail(program_document: dict[str, object] | None) -> bool:
    """The program's `enforcement.liquidate_on_fail` (default true): close a failed account's positions."""
    enforcement = (program_document or {}).get("enforcement")
    if isinstance(enforcement, dict):
        value = enforcement.get("liquidate_on_fail", LIQUIDATE_ON_FAIL)
        if isinstance(value, bool):
            return value
    return LIQUIDATE_ON_FAIL


def wanted_access(account: Account, state: PlatformAccessState | None, now: datetime) -> TradingAccess | None:
    """The access the account should have at the platform now (the daily drift check), or None when we have
    no say (a passed phase: the next phase's account is the one that trades)."""
    if account.status in ("failed", "suspended", "disabled"):
        return TradingAccess.DISABLED
    if account.status != "active":
        return None
    if (
        state is not None
        and state.desired is TradingAccess.READ_ONLY
        and state.paused_until is not None
        and state.paused_until > now
    ):
        return TradingAccess.READ_ONLY
    return TradingAccess.ENABLED


def liquidation_record(positions: Sequence[OpenPosition], deals: Sequence[Deal]) -> dict[str, Any]:
    """The liquidation as the audit keeps it (JSON-safe, amounts as strings): each closing deal, and its
    slippage where known: the realized profit minus the floating profit read just before closing (negative
    when the close did worse than the price the position was valued at)."""
    expected = {p.position_id: p.floating_profit for p in positions}
    closes = []
    for deal in deals:
        before = expected.get(deal.position_id)
        closes.append(
            {
                "deal_id": deal.deal_id,
                "position_id": deal.position_id,
                "symbol": deal.symbol,
                "side": deal.side,
                "volume": str(deal.volume),
                "price": str(deal.price),
                "profit": str(deal.profit),
                "time": deal.time.isoformat(),
                "expected_profit": None if before is None else str(before),
                "slippage": None if before is None else str(deal.profit - before),
            }
        )
    known = [deal for deal in deals if deal.position_id in expected]
    total = sum((deal.profit - expected[deal.position_id] for deal in known), Decimal(0))
    return {
        "positions_open": len(positions),
        "closing_deals": closes,
        "realized_profit": str(sum((deal.profit for deal in deals), Decimal(0))),
        "slippage": str(total) if known else None,
    }
