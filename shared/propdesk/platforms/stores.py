"""What the enforcement use cases need from storage and the outside (Protocols): `propdesk.data` implements
the stores, `propdesk.wiring.platforms.PlatformRegistry` the platform directory; in-memory doubles live in
`tests/doubles/`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from propdesk.platforms.enforcement import PlatformAccessState
from propdesk.platforms.port import AccountRef, TradingPlatform
from propdesk.records import Account, AuditEntry, PlatformReference, ProgramVersion


class AccessStates(Protocol):
    """One `PlatformAccessState` per account, written with an optimistic version."""

    def get(self, account_id: str) -> PlatformAccessState | None:
        """The account's state, read consistently; None when no command ever reached it."""
        ...

    def save(self, state: PlatformAccessState) -> PlatformAccessState:
        """Write `state` if nobody wrote it since `state.version` was read (0: never written); returns it
        with its new version. Raises `propdesk.errors.VersionConflictError` when another writer got there."""
        ...

    def managed(self) -> Iterator[str]:
        """Every account that has a state (the daily drift check pages through an index; no scan)."""
        ...


class AccountDirectory(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...


class ActiveAccounts(Protocol):
    def reset_groups(self) -> list[tuple[str, str]]:
        """The (timezone, day_starts_at) day boundaries in use."""
        ...

    def active_in_reset_group(self, timezone: str, day_starts_at: str) -> Iterator[Account]:
        """Every active account sharing this day boundary (an index query)."""
        ...


class ProgramDocuments(Protocol):
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None: ...


class AuditTrail(Protocol):
    def append(self, entry: AuditEntry) -> bool:
        """Store the entry once; False when it is there already."""
        ...


class PlatformDirectory(Protocol):
    def for_account(self, reference: PlatformReference) -> tuple[TradingPlatform, AccountRef]:
        """The adapter of the account's platform and the port's reference to it; `PlatformRejectedError` when
        the firm has no connection to that platform."""
        ...
