"""Acting on an account's trading platform when it is asked to (`platform.disable_requested`,
`enable_requested`, `pause_requested`, `resume_requested`).

Guarantees, per account:
- **one worker at a time**: a worker takes the account's lease (a conditional write) before acting; a
  delivery finding it taken is noted as pending and delivered again later (`AccountBusyError`);
- **in the order asked**: `propdesk.platforms.enforcement.decide` compares the command with the access it
  would replace (a stale command does nothing, a failed account is never enabled again by a late resume);
- **at most once in effect**: a redelivered command id does nothing; the platform calls themselves are
  idempotent (setting the current access, closing positions of a flat account);
- **never lost**: a platform that is down, rate limits, refuses or has its circuit open leaves the command
  pending with its error and raises `CommandPendingError`, so the queue delivers it again (after a backoff,
  then to the dead-letter queue with an alarm); from the `alert_after_attempts`-th failed attempt each
  failure also raises `firm.alert`;
- **audited**: every command handled (applied, stale, refused, not placeable) gets one audit entry about the
  account: when it was asked, received and confirmed by the platform, the access before and after, and for a
  liquidation the closing deals with their slippage where known.

A `disable` (a `fail` breach) first closes every open position where the program says so
(`enforcement.liquidate_on_fail`, default true): read-only first, so nothing new opens while closing, then
close all, then disabled. A `pause` makes the account read-only until its boundary; `resume` and `enable`
let it trade again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from propdesk.domain_events import FirmAlert, stable_id
from propdesk.errors import VersionConflictError
from propdesk.platforms.enforcement import (
    Apply,
    PlatformAccessState,
    PlatformCommand,
    Skip,
    decide,
    liquidates_on_fail,
    liquidation_record,
)
from propdesk.platforms.port import PlatformRejectedError, PlatformUnavailableError, TradingAccess
from propdesk.platforms.stores import (
    AccessStates,
    AccountDirectory,
    AuditTrail,
    PlatformDirectory,
    ProgramDocuments,
)
from propdesk.ports import Clock, EventPublisher
from propdesk.records import Account, AuditEntry

ACTOR = "system:platform_commands"
_WRITE_ATTEMPTS = 8

Outcome = Literal["applied", "duplicate", "superseded", "refused", "no_platform_account", "unknown_account"]


class AccountBusyError(Exception):
    """Another worker is acting on this account: deliver the command again later."""


class CommandPendingError(Exception):
    """The platform did not confirm (down, rate limited, refused, circuit open): deliver the command again."""


@dataclass(frozen=True, slots=True)
class CommandSettings:
    lease: timedelta = timedelta(minutes=2)  # longer than the function's timeout
    alert_after_attempts: int = 3


@dataclass(frozen=True, slots=True)
class CommandResult:
    outcome: Outcome
    access: TradingAccess | None = None
    confirmed_at: datetime | None = None
    closed_positions: int = 0


@dataclass(frozen=True, slots=True)
class _Applied:
    access: TradingAccess
    platform: str
    confirmed_at: datetime
    liquidation: dict[str, Any] | None


class PlatformCommands:
    def __init__(
        self,
        states: AccessStates,
        accounts: AccountDirectory,
        programs: ProgramDocuments,
        audit: AuditTrail,
        platforms: PlatformDirectory,
        publisher: EventPublisher,
        clock: Clock,
        settings: CommandSettings = CommandSettings(),
    ) -> None:
        self._states = states
        self._accounts = accounts
        self._programs = programs
        self._audit = audit
        self._platforms = platforms
        self._publisher = publisher
        self._clock = clock
        self._settings = settings

    def handle(self, command: PlatformCommand) -> CommandResult:
        account = self._accounts.get(command.account_id, consistent=True)
        if account is None:
            self._alert(command, "warning", "a platform command names an unknown account", "unknown")
            return CommandResult("unknown_account")
        state = self._take(command)
        if state is None:
            return CommandResult("duplicate")
        decision = decide(state, command, account, self._liquidates(account))
        if isinstance(decision, Skip):
            self._finish(state, command, decision.outcome, decision.why)
            return CommandResult(decision.outcome)
        if account.platform is None:
            why = "the account has no platform reference (opened before references were kept)"
            self._finish(state, command, "no_platform_account", why)
            message = f"account {account.account_id} cannot be {_done(command)} at its platform: {why}"
            self._alert(command, "warning", message, "unplaced")
            return CommandResult("no_platform_account")
        try:
            applied = self._apply(account, decision)
        except (PlatformUnavailableError, PlatformRejectedError) as error:
            self._failed(command, error)
            raise CommandPendingError(f"{command.kind} {command.account_id}: {error}") from error
        self._finish(state, command, "applied", "", applied)
        closed = len(applied.liquidation["closing_deals"]) if applied.liquidation else 0
        return CommandResult("applied", applied.access, applied.confirmed_at, closed)

    # ---- the account's lease and state ----
    def _take(self, command: PlatformCommand) -> PlatformAccessState | None:
        """The account's state leased to this command (one more attempt counted); None for a duplicate."""
        for _ in range(_WRITE_ATTEMPTS):
            now = self._clock.now()
            state = self._state(command.account_id)
            if state.seen(command.command_id):
                return None
            waiting = state.waiting(command, now)
            if state.leased_to_another(command.command_id, now):
                if waiting is not state:
                    self._save_quietly(waiting)  # shown as pending while it waits
                raise AccountBusyError(f"account {command.account_id} is being acted on for another command")
            try:
                return self._states.save(waiting.leased(command.command_id, now + self._settings.lease))
            except VersionConflictError:
                continue
        raise AccountBusyError(f"account {command.account_id} kept changing while taking it")

    def _finish(
        self,
        taken: PlatformAccessState,
        command: PlatformCommand,
        outcome: Outcome,
        why: str,
        applied: _Applied | None = None,
    ) -> None:
        """Audit, then record the command as handled (and the access confirmed), releasing the lease."""
        self._audit.append(self._entry(taken, command, outcome, why, applied))
        self._update(
            command.account_id,
            lambda state: (
                state.applied(command, applied.confirmed_at)
                if applied is not None and _still_newest(state, command)
                else state.handled(command.command_id)
            ),
        )

    def _failed(self, command: PlatformCommand, error: Exception) -> None:
        message = str(error)[:300]
        state = self._update(command.account_id, lambda s: s.attempt_failed(command.command_id, message))
        pending = state.pending_of(command.command_id)
        attempts = pending.attempts if pending else 0
        if attempts >= self._settings.alert_after_attempts:
            self._alert(
                command,
                "critical" if command.kind in ("disable", "pause") else "warning",
                f"account {command.account_id} could not be {_done(command)} at its platform "
                f"(attempt {attempts}): {message}",
                str(attempts),
            )

    def _update(
        self, account_id: str, change: Callable[[PlatformAccessState], PlatformAccessState]
    ) -> PlatformAccessState:
        for _ in range(_WRITE_ATTEMPTS):
            try:
                return self._states.save(change(self._state(account_id)))
            except VersionConflictError:
                continue
        raise AccountBusyError(f"account {account_id} kept changing while recording a command")

    def _state(self, account_id: str) -> PlatformAccessState:
        return self._states.get(account_id) or PlatformAccessState(account_id)

    def _save_quietly(self, state: PlatformAccessState) -> None:
        with contextlib.suppress(VersionConflictError):  # then the next delivery notes it
            self._states.save(state)

    # ---- the platform ----
    def _apply(self, account: Account, decision: Apply) -> _Applied:
        assert account.platform is not None
        platform, ref = self._platforms.for_account(account.platform)
        liquidation = None
        if decision.liquidate:
            platform.set_access(ref, TradingAccess.READ_ONLY)  # nothing new opens while closing
            positions = platform.positions(ref)
            deals = platform.close_all_positions(ref) if positions else []
            liquidation = liquidation_record(positions, deals)
        platform.set_access(ref, decision.target)
        return _Applied(decision.target, platform.name, self._clock.now(), liquidation)

    def _liquidates(self, account: Account) -> bool:
        version = self._programs.get_version(account.program_id, account.program_version)
        return liquidates_on_fail(version.document if version else None)

    # ---- records ----
    def _entry(
        self,
        taken: PlatformAccessState,
        command: PlatformCommand,
        outcome: Outcome,
        why: str,
        applied: _Applied | None,
    ) -> AuditEntry:
        pending = taken.pending_of(command.command_id)
        after: dict[str, Any] = {
            "outcome": outcome,
            "command_id": command.command_id,
            "asked_at": command.asked_at.isoformat(),
            "received_at": pending.received_at.isoformat() if pending else None,
            "attempts": pending.attempts if pending else 0,
            "access": applied.access.value if applied else None,
            "confirmed_at": applied.confirmed_at.isoformat() if applied else None,
            "platform": applied.platform if applied else None,
        }
        if why:
            after["why"] = why
        if command.paused_until is not None:
            after["paused_until"] = command.paused_until.isoformat()
        if applied is not None and applied.liquidation is not None:
            after["liquidation"] = applied.liquidation
        return AuditEntry(
            entry_id=stable_id("platform-command", command.command_id),
            at=command.asked_at,  # fixed per command, so a retried write collides with the first
            actor=ACTOR,
            action=f"platform.{command.kind}",
            subject=f"ACCOUNT#{command.account_id}",
            reason=command.reason or None,
            before={
                "access": taken.confirmed.value if taken.confirmed else None,
                "confirmed_at": taken.confirmed_at.isoformat() if taken.confirmed_at else None,
            },
            after=after,
        )

    def _alert(self, command: PlatformCommand, severity: str, message: str, occasion: str) -> None:
        self._publisher.publish(
            [
                FirmAlert(
                    event_id=stable_id("firm.alert", "platform-command", command.command_id, occasion),
                    occurred_at=self._clock.now(),
                    severity="critical" if severity == "critical" else "warning",
                    subject=f"Platform {command.kind} of account {command.account_id}",
                    message=message,
                    trader_id=command.trader_id,
                )
            ]
        )


def _still_newest(state: PlatformAccessState, command: PlatformCommand) -> bool:
    """False if a command asked later was applied while this one was acting (its lease had run out)."""
    return state.desired_since is None or state.desired_since <= command.asked_at


def _done(command: PlatformCommand) -> str:
    return {"disable": "disabled", "enable": "enabled", "pause": "paused", "resume": "resumed"}[command.kind]
