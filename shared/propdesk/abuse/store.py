"""The ports the wired abuse detection works through (the data layer implements them; tests keep them in
memory under tests/doubles/abuse.py).

- `AbuseState`: the detectors' `KeyedState`, one session per event. A session reads through and buffers its
  writes; `commit` writes them together with the event's "applied" mark, all or nothing. So an event is
  applied once (a redelivered event finds its mark and is skipped), and a session that read an item another
  writer changed meanwhile is refused as a whole (`StateConflictError`: run the event again on fresh reads):
  one writer per item, whatever the concurrency of the consumer.
- `FlagStore`: flags with their evidence, each detection kept, the review queue's index, decisions audited,
  each decision's outbox (its effects not carried out yet, `propdesk.abuse.outbox`).
- `TraderLookup`: the trader an account belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from propdesk.abuse.decisions import Effect, PendingOutcome
from propdesk.abuse.flags import DetectorName, Flag, FlagStatus
from propdesk.abuse.state import KeyedState
from propdesk.records import AuditEntry, Page, PendingOutbox


class StateConflictError(Exception):
    """Another writer changed an item the session read: nothing of the session was written."""


class AbuseState(Protocol):
    def applied(self, event_id: str) -> bool:
        """Whether the event was applied already (its mark is there)."""
        ...

    def session(self) -> KeyedState:
        """A fresh session: reads go to the store (then to the session's own writes), writes wait."""
        ...

    def prefetch(self, session: KeyedState, event_id: str, keys: Sequence[str]) -> bool:
        """Read the event's mark and `keys` into the session at once (one batch); True when the event was
        applied already (its mark is there)."""
        ...

    def commit(self, session: KeyedState, event_id: str, now: datetime) -> bool:
        """Write the session's changes and the event's mark at once. False (and nothing written) when the
        event was applied meanwhile; raises `StateConflictError` when an item read has changed since."""
        ...


@dataclass(frozen=True, slots=True)
class FlagQuery:
    """The review queue's filters: at most one of account and trader; status and detector combine."""

    status: FlagStatus | None = None
    detector: DetectorName | None = None
    account_id: str | None = None
    trader_id: str | None = None


class FlagStore(Protocol):
    def get(self, flag_id: str) -> Flag | None: ...

    def detections(self, flag_id: str, limit: int = 20) -> list[Flag]:
        """The flag's detections as found, newest first."""
        ...

    def save(
        self,
        flag: Flag,
        detection: Flag,
        entry: AuditEntry | None = None,
        pending: PendingOutcome | None = None,
    ) -> None:
        """Store the flag (its current version), keep `detection` as found, and the audit entry and outbox
        of an automatic decision, together. An outbox already stored is kept unless `pending` replaces it."""
        ...

    def decide(self, decided: Flag, entry: AuditEntry, pending: PendingOutcome | None = None) -> bool:
        """Store the decided flag with its audit entry and its outbox (`pending`), only while the stored flag
        is open (False, nothing written, if not)."""
        ...

    def outbox(self, flag_id: str) -> tuple[Flag, PendingOutcome] | None:
        """The flag and its outbox, read consistently; None when the outbox is empty (or no such flag)."""
        ...

    def set_pending(self, flag_id: str, outbox_id: str, remaining: Sequence[Effect]) -> None:
        """Keep only `remaining` in the flag's outbox (empty: clear it), while it is still outbox
        `outbox_id`; `VersionConflictError` when it is not (cleared or replaced meanwhile)."""
        ...

    def pending_outboxes(self) -> Iterable[PendingOutbox]:
        """Every flag whose outbox is not empty (`account_id`: the flag id), with when it was written."""
        ...

    def page(self, query: FlagQuery, limit: int = 50, cursor: str | None = None) -> Page[Flag]:
        """Flags newest first (by detection time) matching the query."""
        ...


class TraderLookup(Protocol):
    def trader_of(self, account_id: str) -> str | None: ...


class AccountOwners(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Any: ...


class CachedTraders:
    """`TraderLookup` over the accounts store, remembering answers (an account never changes trader), up to
    `size` accounts per function instance."""

    def __init__(self, accounts: AccountOwners, size: int = 20_000) -> None:
        self._accounts = accounts
        self._size = size
        self._known: dict[str, str] = {}

    def trader_of(self, account_id: str) -> str | None:
        known = self._known.get(account_id)
        if known is not None:
            return known
        account = self._accounts.get(account_id)
        if account is None:
            return None
        if len(self._known) >= self._size:
            self._known.clear()
        trader: str = account.trader_id
        self._known[account_id] = trader
        return trader
