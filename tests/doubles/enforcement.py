"""In-memory stores of enforcement at the platform (`propdesk.platforms.stores`), and a platform directory
over `InMemoryPlatform` doubles (optionally behind a circuit breaker, as the real adapters are)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from propdesk.errors import VersionConflictError
from propdesk.platforms.enforcement import PlatformAccessState
from propdesk.platforms.port import AccountRef, PlatformUnavailableError, TradingPlatform
from propdesk.platforms.references import account_ref
from propdesk.records import Account, AuditEntry, PlatformReference, ProgramVersion
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError

T = TypeVar("T")


class InMemoryAccessStates:
    def __init__(self) -> None:
        self.states: dict[str, PlatformAccessState] = {}
        self.saves = 0
        self.conflict_next = 0  # that many saves lose the optimistic race
        self._lock = threading.Lock()

    def get(self, account_id: str) -> PlatformAccessState | None:
        return self.states.get(account_id)

    def save(self, state: PlatformAccessState) -> PlatformAccessState:
        with self._lock:
            stored = self.states.get(state.account_id)
            if self.conflict_next or (stored.version if stored else 0) != state.version:
                self.conflict_next = max(0, self.conflict_next - 1)
                raise VersionConflictError(f"access state of {state.account_id} changed")
            saved = replace(state, version=state.version + 1)
            self.states[state.account_id] = saved
            self.saves += 1
            return saved

    def managed(self) -> Iterator[str]:
        return iter(sorted(self.states))


@dataclass
class InMemoryAccountDirectory:
    accounts: dict[str, Account] = field(default_factory=dict)

    def add(self, account: Account) -> Account:
        self.accounts[account.account_id] = account
        return account

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)

    def reset_groups(self) -> list[tuple[str, str]]:
        return sorted({(a.timezone, a.day_starts_at) for a in self.accounts.values()})

    def active_in_reset_group(self, timezone: str, day_starts_at: str) -> Iterator[Account]:
        for account in sorted(self.accounts.values(), key=lambda a: a.account_id):
            if account.status == "active" and (account.timezone, account.day_starts_at) == (
                timezone,
                day_starts_at,
            ):
                yield account


@dataclass
class InMemoryProgramDocuments:
    documents: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        document = self.documents.get((program_id, version))
        if document is None:
            return None
        from datetime import UTC, datetime

        return ProgramVersion(program_id, version, document, datetime(2026, 1, 1, tzinfo=UTC))


@dataclass
class InMemoryAuditTrail:
    entries: dict[str, AuditEntry] = field(default_factory=dict)

    def append(self, entry: AuditEntry) -> bool:
        if entry.entry_id in self.entries:
            return False
        self.entries[entry.entry_id] = entry
        return True

    def about(self, account_id: str) -> list[AuditEntry]:
        subject = f"ACCOUNT#{account_id}"
        return sorted((e for e in self.entries.values() if e.subject == subject), key=lambda e: e.at)


class InMemoryPlatformDirectory:
    """Platform doubles by name; `guarded_by` puts a platform's calls behind a circuit breaker."""

    def __init__(self, platforms: dict[str, TradingPlatform]) -> None:
        self.platforms = platforms

    def for_account(self, reference: PlatformReference) -> tuple[TradingPlatform, AccountRef]:
        ref = account_ref(reference)
        return self.platforms[ref.platform], ref


class BreakerGuarded:
    """Every call of the wrapped platform goes through `breaker`, the way `PlatformHttp` makes the real
    adapters' calls: an open circuit is `PlatformUnavailableError` without calling the platform."""

    def __init__(self, platform: Any, breaker: CircuitBreaker) -> None:
        self._platform = platform
        self._breaker = breaker
        self.name = platform.name
        self.server = platform.server

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._platform, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return self._breaker.call(lambda: method(*args, **kwargs))
            except CircuitOpenError as error:
                raise PlatformUnavailableError(str(error)) from error

        return guarded
