"""Staff changes to an account and reads of the audit log, over store protocols (the DynamoDB implementations
are `propdesk.data.staff_actions.StaffActions`, `CatalogueRepository` and `AuditLog`):

- `override_breach` (risk): record an override of one breach with its reason, optionally reinstating the
  account the breach failed; audited in the same write. Overriding a breach twice is a conflict (409);
  a breach id the API never handed out is refused (422), one the account has not is 404;
- `change_program_version` (admin): pin the account to another stored version of its program (its trading
  day follows the version's), with a reason, audited in the same write; asking for the version the account
  is on already changes nothing (PUT is idempotent) and audits nothing;
- `audit_entries` (risk, finance, admin): the audit log about one subject or by one actor, newest first.

A write whose condition failed (the account changed between the read and the write) is a conflict (409):
reload and try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from propdesk.access import AccountLookup, Identity, readable_account, refuse_own_account
from propdesk.errors import ConflictError, InvalidInputError, NotFoundError
from propdesk.records import (
    Account,
    AccountStatus,
    AuditEntry,
    BreachOverride,
    BreachStanding,
    Page,
    ProgramVersion,
)

ACCOUNT_CHANGED = "the account changed meanwhile; reload it and try again"


class StaffActionStore(Protocol):
    def breach_standing(self, account_id: str, breach_id: str) -> BreachStanding: ...

    def override_breach(self, override: BreachOverride, reinstate: Account | None, entry: AuditEntry) -> bool:
        """Record the override once, reinstate the failed account if given, audit it: all or nothing.
        False when a condition failed (someone overrode the breach or changed the account first)."""
        ...

    def change_program_version(
        self, account: Account, version: int, timezone: str, day_starts_at: str, entry: AuditEntry
    ) -> bool:
        """Pin the account to `version` if it is still on the version and status read, audit it: all or
        nothing. False when the account changed meanwhile."""
        ...


class ProgramVersions(Protocol):
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None: ...


class AuditTrail(Protocol):
    def for_subject(self, subject: str, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]: ...

    def by_actor(self, actor: str, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]: ...


@dataclass(frozen=True, slots=True)
class OverrideBreach:
    account_id: str
    breach_id: str
    reason: str
    reinstate: bool  # reopen the account if this breach failed it
    by: Identity
    at: datetime


@dataclass(frozen=True, slots=True)
class BreachOverridden:
    override: BreachOverride
    account_status: AccountStatus  # after the override


@dataclass(frozen=True, slots=True)
class ChangeProgramVersion:
    account_id: str
    version: int
    reason: str
    by: Identity
    at: datetime


@dataclass(frozen=True, slots=True)
class ProgramVersionChanged:
    account_id: str
    program_id: str
    previous_version: int
    version: int


class StaffActionService:
    def __init__(
        self,
        accounts: AccountLookup,
        actions: StaffActionStore,
        versions: ProgramVersions,
        audit: AuditTrail,
        new_id: Callable[[], str],
    ) -> None:
        self._accounts = accounts
        self._actions = actions
        self._versions = versions
        self._audit = audit
        self._new_id = new_id

    def override_breach(self, command: OverrideBreach) -> BreachOverridden:
        account = self._account(command.by, command.account_id, "override a breach of")
        standing = self._actions.breach_standing(command.account_id, command.breach_id)
        if standing == "unknown_id":
            raise InvalidInputError("the breach_id is not one this API handed out", "breach_id")
        if standing == "absent":
            raise NotFoundError(f"account {command.account_id!r} has no such breach", "breach_id")
        if standing == "overridden":
            raise ConflictError("this breach is overridden already", "breach_id")
        override = BreachOverride(
            override_id=self._new_id(),
            account_id=command.account_id,
            breach_id=command.breach_id,
            actor=command.by.actor,
            reason=command.reason,
            at=command.at,
        )
        reinstate = account if command.reinstate and account.status == "failed" else None
        status_after: AccountStatus = "active" if reinstate else account.status
        entry = self._entry(
            command.by,
            command.at,
            "breach.overridden",
            f"ACCOUNT#{command.account_id}",
            command.reason,
            before={"status": account.status, "breach_id": command.breach_id},
            after={"status": status_after, "override_id": override.override_id},
        )
        if not self._actions.override_breach(override, reinstate, entry):
            raise ConflictError(ACCOUNT_CHANGED, "account_id")
        return BreachOverridden(override, status_after)

    def change_program_version(self, command: ChangeProgramVersion) -> ProgramVersionChanged:
        account = self._account(command.by, command.account_id, "change the program version of")
        version = self._versions.get_version(account.program_id, command.version)
        if version is None:
            missing = f"program {account.program_id} has no version {command.version}"
            raise InvalidInputError(missing, "version")
        changed = ProgramVersionChanged(
            command.account_id, account.program_id, account.program_version, command.version
        )
        if command.version == account.program_version:
            return changed  # PUT is idempotent: nothing changes, nothing to audit
        timezone = str(version.document.get("timezone", "UTC"))
        day_starts_at = str(version.document.get("day_starts_at", "00:00"))
        entry = self._entry(
            command.by,
            command.at,
            "account.program_version_changed",
            f"ACCOUNT#{command.account_id}",
            command.reason,
            before={"program_version": account.program_version, "timezone": account.timezone,
                    "day_starts_at": account.day_starts_at},
            after={"program_version": command.version, "timezone": timezone, "day_starts_at": day_starts_at},
        )  # fmt: skip
        if not self._actions.change_program_version(account, command.version, timezone, day_starts_at, entry):
            raise ConflictError(ACCOUNT_CHANGED, "account_id")
        return changed

    def audit_entries(
        self, subject: str | None, actor: str | None, limit: int, cursor: str | None
    ) -> Page[AuditEntry]:
        """The entries about `subject`, else those by `actor`; newest first."""
        if subject is not None:
            return self._audit.for_subject(subject, limit=limit, cursor=cursor)
        return self._audit.by_actor(str(actor), limit=limit, cursor=cursor)

    def _account(self, by: Identity, account_id: str, action: str) -> Account:
        """The account staff act on: 404 when missing, 403 `own_account` when they trade it."""
        account = readable_account(self._accounts, by, account_id, consistent=True)
        refuse_own_account(by.subject, account.trader_id, action, "account_id")
        return account

    def _entry(
        self,
        by: Identity,
        at: datetime,
        action: str,
        subject: str,
        reason: str,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> AuditEntry:
        return AuditEntry(
            entry_id=self._new_id(),
            at=at,
            actor=by.actor,
            actor_roles=by.staff_roles,
            action=action,
            subject=subject,
            reason=reason,
            before=before,
            after=after,
        )
