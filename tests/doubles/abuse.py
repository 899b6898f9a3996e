"""In-memory doubles of the abuse ports (`propdesk.abuse.store`): the state with sessions and versions, the
flag store with its queue, the account-to-trader lookup, and what an `Enforcer` acts on."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from propdesk.abuse.decisions import Effect, PendingOutcome
from propdesk.abuse.enforcement import EnforcementPorts, Enforcer
from propdesk.abuse.flags import Flag
from propdesk.abuse.payout_denial import PayoutDenial
from propdesk.abuse.session import StateSession, StoredItem
from propdesk.abuse.state import KeyedState
from propdesk.abuse.store import FlagQuery, StateConflictError, TraderLookup
from propdesk.errors import VersionConflictError
from propdesk.records import AccountStatus, AuditEntry, Page, PendingOutbox

from tests.doubles.payouts import InMemoryPayoutHolds, InMemoryPayoutStore, RecordingPutBacks
from tests.doubles.ports import InMemoryAccountControl, InMemoryEventPublisher, InMemoryWorkflowCallback

MARK_PREFIX = "seen#"


@dataclass
class InMemoryAbuseState:
    """`AbuseState` in memory. `interfere` (tests) runs between a session's reads and its commit, to play
    another writer; `commits` and `conflicts` count."""

    items: dict[str, StoredItem] = field(default_factory=dict)
    interfere: list[str] = field(default_factory=list)
    commits: int = 0
    conflicts: int = 0

    def applied(self, event_id: str) -> bool:
        return MARK_PREFIX + event_id in self.items

    def session(self) -> KeyedState:
        return StateSession(self.items.get, lambda keys: {key: self.items.get(key) for key in keys})

    def prefetch(self, session: KeyedState, event_id: str, keys: Sequence[str]) -> bool:
        assert isinstance(session, StateSession)
        session.prefetch([MARK_PREFIX + event_id, *keys])
        return session.known(MARK_PREFIX + event_id) is not None

    def commit(self, session: KeyedState, event_id: str, now: datetime) -> bool:
        assert isinstance(session, StateSession)
        for key in self.interfere:
            found = self.items.get(key)
            if found is not None:
                self.items[key] = replace(found, version=found.version + 1)
        self.interfere.clear()
        if self.applied(event_id):
            return False
        writes = session.writes()
        for write in writes:
            current = self.items.get(write.key)
            version = 0 if current is None else current.version
            if write.read_version is not None and write.read_version != version:
                self.conflicts += 1
                raise StateConflictError(write.key)
        for write in writes:
            if write.value is None or write.expires_at is None:
                self.items.pop(write.key, None)
                continue
            current = self.items.get(write.key)
            version = 1 if current is None else current.version + 1
            self.items[write.key] = StoredItem(write.value, write.expires_at, version)
        self.items[MARK_PREFIX + event_id] = StoredItem({}, now.timestamp() + 7 * 86400, 1)
        self.commits += 1
        return True


@dataclass
class InMemoryFlagStore:
    """`FlagStore` in memory, with each flag's outbox (`outboxes`)."""

    flags: dict[str, Flag] = field(default_factory=dict)
    found: dict[str, list[Flag]] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    outboxes: dict[str, PendingOutcome] = field(default_factory=dict)

    def get(self, flag_id: str) -> Flag | None:
        return self.flags.get(flag_id)

    def detections(self, flag_id: str, limit: int = 20) -> list[Flag]:
        found = self.found.get(flag_id, [])
        return sorted(found, key=lambda flag: flag.detected_at, reverse=True)[:limit]

    def save(
        self,
        flag: Flag,
        detection: Flag,
        entry: AuditEntry | None = None,
        pending: PendingOutcome | None = None,
    ) -> None:
        self.flags[flag.flag_id] = flag
        kept = [d for d in self.found.get(flag.flag_id, []) if d.detected_at != detection.detected_at]
        self.found[flag.flag_id] = [*kept, detection]
        if entry is not None:
            self.audit.append(entry)
        if pending is not None:
            self.outboxes[flag.flag_id] = pending

    def decide(self, decided: Flag, entry: AuditEntry, pending: PendingOutcome | None = None) -> bool:
        stored = self.flags.get(decided.flag_id)
        if stored is None or not stored.is_open:
            return False
        self.flags[decided.flag_id] = decided
        self.audit.append(entry)
        if pending is not None:
            self.outboxes[decided.flag_id] = pending
        return True

    def outbox(self, flag_id: str) -> tuple[Flag, PendingOutcome] | None:
        pending = self.outboxes.get(flag_id)
        return None if pending is None else (self.flags[flag_id], pending)

    def set_pending(self, flag_id: str, outbox_id: str, remaining: Sequence[Effect]) -> None:
        pending = self.outboxes.get(flag_id)
        if pending is None or pending.outbox_id != outbox_id:
            raise VersionConflictError(flag_id)
        if remaining:
            self.outboxes[flag_id] = replace(pending, effects=tuple(remaining))
        else:
            del self.outboxes[flag_id]

    def pending_outboxes(self) -> list[PendingOutbox]:
        return [PendingOutbox(flag_id, pending.written_at) for flag_id, pending in self.outboxes.items()]

    def page(self, query: FlagQuery, limit: int = 50, cursor: str | None = None) -> Page[Flag]:
        matching = [
            flag
            for flag in self.flags.values()
            if (query.status is None or flag.status == query.status)
            and (query.detector is None or flag.detector == query.detector)
            and (query.account_id is None or query.account_id in flag.accounts)
            and (query.trader_id is None or query.trader_id in flag.traders)
        ]
        matching.sort(key=lambda flag: (flag.detected_at, flag.flag_id), reverse=True)
        start = int(cursor or 0)
        end = start + limit
        return Page(matching[start:end], str(end) if end < len(matching) else None)


@dataclass
class InMemoryTraders:
    owners: dict[str, str] = field(default_factory=dict)
    lookups: int = 0

    def trader_of(self, account_id: str) -> str | None:
        self.lookups += 1
        return self.owners.get(account_id)


@dataclass
class InMemoryAccountStatuses:
    """`AccountStatuses`: accounts not listed are active."""

    statuses: dict[str, AccountStatus] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def change_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: AccountStatus = "active",
    ) -> bool:
        if self.statuses.get(account_id, "active") != expected:
            return False
        self.statuses[account_id] = status
        self.reasons[account_id] = reason
        return True


@dataclass
class InMemoryAuditLog:
    entries: list[AuditEntry] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> bool:
        if any(kept.entry_id == entry.entry_id for kept in self.entries):
            return False
        self.entries.append(entry)
        return True


@dataclass
class EnforcementDoubles:
    """Everything an `Enforcer` acts on, in memory; `enforcer(...)` builds one over them."""

    holds: InMemoryPayoutHolds = field(default_factory=InMemoryPayoutHolds)
    control: InMemoryAccountControl = field(default_factory=InMemoryAccountControl)
    statuses: InMemoryAccountStatuses = field(default_factory=InMemoryAccountStatuses)
    audit: InMemoryAuditLog = field(default_factory=InMemoryAuditLog)
    payouts: InMemoryPayoutStore = field(default_factory=InMemoryPayoutStore)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    callback: InMemoryWorkflowCallback = field(default_factory=InMemoryWorkflowCallback)
    put_backs: RecordingPutBacks = field(default_factory=RecordingPutBacks)

    def enforcer(self, traders: TraderLookup, now: Callable[[], datetime]) -> Enforcer:
        ids = itertools.count(1)
        denial = PayoutDenial(
            self.payouts, self.publisher, self.callback, lambda: f"denial-{next(ids)}", self.put_backs
        )
        ports = EnforcementPorts(self.statuses, self.audit, denial, self.publisher)
        return Enforcer(self.holds, self.control, traders, now, ports)


@dataclass
class RecordingSignals:
    """`SignalSink` keeping (trader, kind, raw value, account) as captured (raw: tests only)."""

    captured: list[tuple[str, str, str, str]] = field(default_factory=list)

    def capture(
        self,
        trader_id: str,
        kind: str,
        raw: str,
        at: datetime,
        account_id: str = "",
        network: str = "unknown",
    ) -> bool:
        self.captured.append((trader_id, kind, raw, account_id))
        return True
