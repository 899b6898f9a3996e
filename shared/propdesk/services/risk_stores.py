"""What the risk path needs from storage, as Protocols: only the methods its services call (the risk
service, the daily reset, event ingestion, the evaluator cache).

The DynamoDB repositories of `propdesk.data` satisfy them structurally (nothing here names them); the
in-memory stores of `tests/doubles` implement them for unit tests. Positions in an account's event log
(`StoredEvent.sk`, `RiskSnapshot.last_event_sk`) are opaque to the services: strings whose order is the
log's order (time, then event id), compared and handed back, never built or taken apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from propdesk.engine import BreachRef
from propdesk.records import (
    Account,
    AccountStatus,
    BreachEvidence,
    DueAccount,
    PendingEffect,
    PendingOutbox,
    ProgramVersion,
    ResetRetry,
    ResetWatermark,
    RiskSnapshot,
    StoredEvent,
)


class AccountLookup(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...


class AccountStore(AccountLookup, Protocol):
    def change_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: AccountStatus = "active",
    ) -> bool:
        """Move the account from `expected` to `status`; False if it was not in `expected` any more."""
        ...


class ResetAccounts(AccountLookup, Protocol):
    def reset_groups(self) -> Iterable[tuple[str, str]]:
        """The (timezone, day_starts_at) pairs of every account ever opened."""
        ...

    def active_in_reset_group(self, timezone: str, day_starts_at: str) -> Iterable[Account]:
        """Every active account sharing this day boundary."""
        ...


class ProgramVersionStore(Protocol):
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        """The immutable program version an account is pinned to; None if it is not stored."""
        ...


class TradingEventWriter(Protocol):
    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        """Store the event once (its position derives from its time and id): False for a duplicate."""
        ...


class TradingEventLog(Protocol):
    def replay(self, account_id: str, after_sk: str | None = None) -> Iterable[StoredEvent]:
        """The account's events in log order, all of them or only those after the position `after_sk`."""
        ...

    def count_until(self, account_id: str, until_sk: str) -> int:
        """How many events the account has up to and including the position `until_sk`."""
        ...


class RiskStateStore(Protocol):
    def get(self, account_id: str) -> RiskSnapshot | None:
        """The account's snapshot, read consistently; None before its first recalculation."""
        ...

    def save(self, snapshot: RiskSnapshot, updated_at: datetime) -> int:
        """Write the snapshot if nobody wrote it since `snapshot.version` was read (0: never written); the
        new version, or `VersionConflictError` when another writer got there first."""
        ...

    def set_pending(self, account_id: str, version: int, pending: Sequence[PendingEffect]) -> None:
        """Replace the snapshot's effects still to perform if it is still at `version` (which does not move:
        outbox bookkeeping, not a new state); `VersionConflictError` when another writer wrote since."""
        ...


class PendingOutboxes(Protocol):
    def pending_outboxes(self) -> Iterable[PendingOutbox]:
        """Every account whose snapshot still lists effects to perform (an index: no scan; it may lag the
        snapshots a little, so read the snapshot before acting)."""
        ...


class BreachStore(Protocol):
    def record(self, evidence: BreachEvidence, recorded_at: datetime) -> bool:
        """Store the evidence once; False when this breach (time, rule, identity) is already recorded."""
        ...

    def overridden(self, account_id: str) -> Iterable[BreachRef]:
        """The account's breaches staff overrode, as the engine names them (read consistently)."""
        ...


class DeadlineStore(Protocol):
    def set(self, account_id: str, due_at: datetime | None) -> None:
        """Record the account's next scheduled deadline (None: it has none)."""
        ...


class DeadlineSweep(DeadlineStore, Protocol):
    def due_by(self, moment: datetime) -> Iterable[DueAccount]:
        """Every account whose next deadline is at or before `moment`."""
        ...


class ResetWatermarkStore(Protocol):
    def get(self) -> ResetWatermark | None: ...

    def advance(
        self, checked_until: datetime, expected_version: int, retry: Sequence[ResetRetry] = ()
    ) -> None:
        """Move the watermark, with the accounts to retry; `VersionConflictError` if another run moved it
        since `expected_version`."""
        ...
