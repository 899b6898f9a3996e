"""In-memory stores of the risk path (`propdesk.services.risk_stores`), behaving as the DynamoDB repositories
do where the services can tell: conditional status changes, an optimistic snapshot version, evidence stored
once, events in key order, JSON round trips for stored documents (so nothing is shared by reference).

Each store also keeps what a test wants to look at (status changes, writes) and offers hooks to inject what a
real table can do to a service: another writer winning the race, a failure after a given write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from propdesk.data import keys
from propdesk.engine import BreachRef
from propdesk.errors import VersionConflictError
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


def _json_copy(document: Any) -> Any:
    """What a JSON attribute gives back: the same data, nothing shared with what was written."""
    return json.loads(json.dumps(document))


@dataclass
class InMemoryAccounts:
    accounts: dict[str, Account] = field(default_factory=dict)
    status_changes: list[tuple[str, AccountStatus, str]] = field(default_factory=list)
    opened: list[Account] = field(default_factory=list)  # every account ever opened (the reset groups)

    def open(self, account: Account) -> bool:
        if account.account_id in self.accounts:
            return False
        self.accounts[account.account_id] = account
        self.opened.append(account)
        return True

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)

    def change_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: AccountStatus = "active",
    ) -> bool:
        account = self.accounts.get(account_id)
        if account is None or account.status != expected:
            return False
        self.accounts[account_id] = replace(account, status=status, status_reason=reason, updated_at=at)
        self.status_changes.append((account_id, status, reason))
        return True

    def set_status(self, account_id: str, status: AccountStatus, reason: str = "") -> None:
        """What staff or the purchase path do to an account (reinstate, suspend), unconditionally."""
        self.accounts[account_id] = replace(self.accounts[account_id], status=status, status_reason=reason)

    def reset_groups(self) -> list[tuple[str, str]]:
        return sorted({(account.timezone, account.day_starts_at) for account in self.opened})

    def active_in_reset_group(self, timezone: str, day_starts_at: str) -> Iterator[Account]:
        for account in list(self.accounts.values()):
            if account.status == "active" and (account.timezone, account.day_starts_at) == (
                timezone,
                day_starts_at,
            ):
                yield account


@dataclass
class InMemoryProgramVersions:
    versions: dict[tuple[str, int], ProgramVersion] = field(default_factory=dict)

    def publish(self, document: dict[str, Any], published_at: datetime) -> int:
        program_id = str(document["program_id"])
        number = 1 + max((v for p, v in self.versions if p == program_id), default=0)
        self.versions[(program_id, number)] = ProgramVersion(
            program_id, number, _json_copy(document), published_at
        )
        return number

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        return self.versions.get((program_id, version))


@dataclass
class InMemoryTradingEvents:
    """Events keyed as the table keys them (`EVENT#{time}#{event_id}`); `inserted` is the stream: every new
    event, as the stream record's image reads."""

    events: dict[str, dict[str, StoredEvent]] = field(default_factory=dict)
    inserted: list[StoredEvent] = field(default_factory=list)

    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        sk = keys.event_sk(event.time, event.event_id)
        log = self.events.setdefault(event.account_id, {})
        if sk in log:
            return False
        stored = replace(event, sk=sk, payload=_json_copy(event.payload))
        log[sk] = stored
        self.inserted.append(stored)
        return True

    def replay(self, account_id: str, after_sk: str | None = None) -> Iterator[StoredEvent]:
        log = self.events.get(account_id, {})
        for sk in sorted(log):
            if after_sk is None or sk > after_sk:
                yield log[sk]

    def count_until(self, account_id: str, until_sk: str) -> int:
        return sum(1 for sk in self.events.get(account_id, {}) if sk <= until_sk)

    def latest_event_time(self, account_id: str) -> datetime | None:
        log = self.events.get(account_id, {})
        return log[max(log)].time if log else None


@dataclass
class InMemoryRiskStates:
    """Snapshots with an optimistic version. `before_save` hooks run (once each, first in first out) just
    before the next save's version check: a hook that saves is another writer winning the race.
    `after_save` hooks run just after the next successful save: a hook that raises is a crash between the
    snapshot write and what follows it."""

    snapshots: dict[str, RiskSnapshot] = field(default_factory=dict)
    updated_at: dict[str, datetime] = field(default_factory=dict)  # each snapshot's last write
    saves: int = 0
    conflicts: int = 0
    before_save: list[Callable[[], object]] = field(default_factory=list)
    after_save: list[Callable[[], object]] = field(default_factory=list)

    def get(self, account_id: str) -> RiskSnapshot | None:
        stored = self.snapshots.get(account_id)
        return None if stored is None else _snapshot_copy(stored)

    def save(self, snapshot: RiskSnapshot, updated_at: datetime) -> int:
        if self.before_save:
            self.before_save.pop(0)()
        current = self.snapshots.get(snapshot.account_id)
        if snapshot.version != (current.version if current else 0):
            self.conflicts += 1
            raise VersionConflictError(f"risk state of {snapshot.account_id} changed meanwhile")
        version = snapshot.version + 1
        self.snapshots[snapshot.account_id] = _snapshot_copy(replace(snapshot, version=version))
        self.updated_at[snapshot.account_id] = updated_at
        self.saves += 1
        if self.after_save:
            self.after_save.pop(0)()
        return version

    def set_pending(self, account_id: str, version: int, pending: Sequence[PendingEffect]) -> None:
        current = self.snapshots.get(account_id)
        if current is None or current.version != version:
            self.conflicts += 1
            raise VersionConflictError(f"risk state of {account_id} changed meanwhile")
        self.snapshots[account_id] = _snapshot_copy(replace(current, pending=tuple(pending)))

    def pending_outboxes(self) -> Iterator[PendingOutbox]:
        """The sparse outbox index: the snapshots with effects pending, with their write time."""
        for account_id, snapshot in sorted(self.snapshots.items()):
            if snapshot.pending:
                yield PendingOutbox(account_id, self.updated_at[account_id])


def _snapshot_copy(snapshot: RiskSnapshot) -> RiskSnapshot:
    return replace(
        snapshot,
        state=_json_copy(snapshot.state),
        evaluation=_json_copy(snapshot.evaluation),
        warnings_sent=dict(snapshot.warnings_sent),
        pending=tuple(
            PendingEffect(effect.effect_id, effect.kind, _json_copy(effect.data))
            for effect in snapshot.pending
        ),
    )


@dataclass
class InMemoryBreaches:
    evidence: dict[tuple[str, BreachRef], BreachEvidence] = field(default_factory=dict)
    overrides: dict[str, set[BreachRef]] = field(default_factory=dict)  # account id -> overridden breaches

    def record(self, evidence: BreachEvidence, recorded_at: datetime) -> bool:
        key = (evidence.account_id, _ref(evidence))
        if key in self.evidence:
            return False
        self.evidence[key] = evidence
        return True

    def overridden(self, account_id: str) -> frozenset[BreachRef]:
        return frozenset(self.overrides.get(account_id, set()))

    def override(self, evidence: BreachEvidence) -> None:
        """What the staff route writes: an override naming the stored breach."""
        self.overrides.setdefault(evidence.account_id, set()).add(_ref(evidence))

    def of(self, account_id: str) -> list[BreachEvidence]:
        """The account's evidence in time order (then rule and identity, as the table's keys sort)."""
        refs = [ref for account, ref in self.evidence if account == account_id]
        refs.sort(key=lambda ref: (ref.time, ref.rule, ref.identity))
        return [self.evidence[(account_id, ref)] for ref in refs]


def _ref(evidence: BreachEvidence) -> BreachRef:
    return BreachRef(evidence.time, evidence.rule, evidence.identity)


@dataclass
class InMemoryDeadlines:
    due: dict[str, datetime] = field(default_factory=dict)

    def set(self, account_id: str, due_at: datetime | None) -> None:
        if due_at is None:
            self.due.pop(account_id, None)
        else:
            self.due[account_id] = due_at

    def due_by(self, moment: datetime) -> Iterator[DueAccount]:
        for account_id, due_at in sorted(self.due.items(), key=lambda item: item[1]):
            if due_at <= moment:
                yield DueAccount(account_id, due_at)


@dataclass
class InMemoryWatermark:
    mark: ResetWatermark | None = None

    def get(self) -> ResetWatermark | None:
        return self.mark

    def advance(
        self, checked_until: datetime, expected_version: int, retry: Sequence[ResetRetry] = ()
    ) -> None:
        if expected_version != (self.mark.version if self.mark else 0):
            raise VersionConflictError("the daily reset watermark moved meanwhile")
        self.mark = ResetWatermark(checked_until, expected_version + 1, tuple(retry))
