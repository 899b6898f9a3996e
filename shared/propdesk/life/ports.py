"""What the progression use case needs of the world: its own store, the catalogue, the accounts, the
trading platform, the trader's address, the workflow's callbacks and the audit log. `propdesk.data`
implements the stores; the platform is any `TradingPlatform` adapter."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from propdesk.errors import DomainError
from propdesk.life.progression import Progression
from propdesk.records import Account, AuditEntry, ProgramSummary, ProgramVersion


class ResumePendingError(DomainError):
    """A staff decision is stored, but resuming the workflow with it failed (the workflow service
    unreachable): the same decision sent again resumes it."""

    code = "workflow_resume_pending"


class ProgressionStore(Protocol):
    def create(self, progression: Progression) -> Progression:
        """Store a new progression unless its key is stored already; the stored one either way."""
        ...

    def get(self, account_id: str, passed_at: datetime) -> Progression | None: ...

    def latest_for(self, account_id: str) -> Progression | None:
        """The account's most recent progression (by passed-at), if it passed."""
        ...

    def save(self, progression: Progression, expected: Progression) -> bool:
        """Replace `expected` (same key) by `progression`, if the stored record still equals `expected` in
        status, review and updated-at; False when it changed meanwhile (nothing written)."""
        ...

    def link(self, account_id: str, previous_account_id: str) -> None:
        """Remember that `account_id` continues `previous_account_id` (idempotent)."""
        ...

    def previous_of(self, account_id: str) -> str | None:
        """The account `account_id` continues, None for the first of a chain."""
        ...


class ProgramDocuments(Protocol):
    def get_program(self, program_id: str) -> ProgramSummary | None: ...

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None: ...


class Accounts(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...

    def open(self, account: Account) -> bool:
        """Store a new account; False when the id is taken (then nothing is written)."""
        ...


class AuditTrail(Protocol):
    def append(self, entry: AuditEntry) -> bool: ...
