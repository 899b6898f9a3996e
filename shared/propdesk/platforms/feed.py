"""An account's trading feed: marked stale while its platform cannot be read, and caught up (backfilled) as
soon as it can be again.

Guarantees:
- `FeedRecovery.catch_up(account_id)` reads what the platform booked since the account's feed was last known
  good (the stale mark's `since`, else its latest stored event less `overlap`, else its opening) through the
  `GapFiller` (`services.backfill.Backfill`: the port's deal history, normalized, stored through ingestion
  once per deal id, an equity reading at the end). The stored events are replayed by the risk service in
  time order whatever order they arrive in, so the verdict is the one the live feed would have given.
- It succeeds -> the stale mark is cleared (`fresh`, or `backfilled` when it stored deals we lacked); the
  platform still cannot be read (`PlatformUnavailableError`: down, rate limited, circuit open) -> the account
  is marked stale from the start of the gap (an earlier mark keeps its `since`), nothing else changes, and
  the next catch-up tries again from that same instant. The platform refusing (`PlatformRejectedError`, e.g.
  an account it does not know) is not an outage: `rejected`, no mark (a stale mark would defer the account's
  scheduled rules for as long as nobody fixes it).
- While an account is marked stale, the scheduled rules (the daily reset, the deadline sweep: inactivity,
  time limit, flat-by) defer it (`services.daily_reset`): no breach is ever made from a feed that is behind;
  the deferred boundaries and deadlines are advanced once the gap is filled.
- Pure: the clock and the stores are injected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from propdesk.platforms.port import PlatformRejectedError, PlatformUnavailableError
from propdesk.ports import Clock
from propdesk.records import Account

CatchUp = Literal["fresh", "backfilled", "still_stale", "rejected", "not_on_a_platform"]
DEFAULT_OVERLAP = timedelta(minutes=5)  # deals booked just before the last stored event, reported late


class StaleMarks(Protocol):
    """Which accounts' feeds are behind, and since when (one mark per account)."""

    def stale_since(self, account_id: str) -> datetime | None: ...

    def mark_stale(self, account_id: str, platform: str, since: datetime) -> None:
        """Mark the account stale from `since`; an existing mark keeps its earlier `since`."""
        ...

    def mark_fresh(self, account_id: str) -> None: ...

    def stale_accounts(self, platform: str) -> Iterable[str]:
        """The accounts on `platform` marked stale (no scan: the marks are kept together)."""
        ...


class FilledGap(Protocol):
    @property
    def accepted(self) -> int:
        """Events stored (deals and the closing equity reading)."""
        ...

    @property
    def deals(self) -> int:
        """Of those, the platform's deals."""
        ...


class GapFiller(Protocol):
    def backfill(self, account_id: str, since: datetime) -> FilledGap:
        """Store what the account's platform booked from `since` until now (`PlatformUnavailableError`:
        still unreadable)."""
        ...


class LatestEvents(Protocol):
    def latest_event_time(self, account_id: str) -> datetime | None: ...


class AccountReader(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...


@dataclass(frozen=True, slots=True)
class CatchUpResult:
    account_id: str
    outcome: CatchUp
    since: datetime | None = None
    accepted: int = 0
    detail: str = ""

    @property
    def stale(self) -> bool:
        return self.outcome == "still_stale"


class FeedRecovery:
    def __init__(
        self,
        marks: StaleMarks,
        gaps: GapFiller,
        events: LatestEvents,
        accounts: AccountReader,
        clock: Clock,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> None:
        self._marks = marks
        self._gaps = gaps
        self._events = events
        self._accounts = accounts
        self._clock = clock
        self._overlap = overlap

    def catch_up(self, account_id: str) -> CatchUpResult:
        """Fill the account's gap and clear its stale mark, or mark it stale (see the module's docstring)."""
        account = self._accounts.get(account_id, consistent=True)
        if account is None or account.platform is None:
            return CatchUpResult(account_id, "not_on_a_platform")
        platform = account.platform.platform
        marked = self._marks.stale_since(account_id)
        since = self._since(account_id, account.opened_at, marked)
        try:
            filled = self._gaps.backfill(account_id, since)
        except PlatformUnavailableError as error:
            self._marks.mark_stale(account_id, platform, min(since, self._clock.now()))
            return CatchUpResult(account_id, "still_stale", since, detail=type(error).__name__)
        except PlatformRejectedError as error:  # not an outage: a person must look; nothing is deferred
            return CatchUpResult(account_id, "rejected", since, detail=str(error)[:200])
        if marked is not None:
            self._marks.mark_fresh(account_id)
        outcome: CatchUp = "backfilled" if filled.deals else "fresh"
        return CatchUpResult(account_id, outcome, since, filled.accepted)

    def mark_stale(self, account_id: str, platform: str) -> None:
        """The account's platform could not be read now (its mark keeps an earlier `since`)."""
        latest = self._events.latest_event_time(account_id)
        now = self._clock.now()
        self._marks.mark_stale(account_id, platform, min(latest, now) if latest else now)

    def is_marked(self, account_id: str) -> bool:
        return self._marks.stale_since(account_id) is not None

    def recover_platform(self, platform: str) -> list[CatchUpResult]:
        """Catch up every account of `platform` marked stale (the platform may be back)."""
        return [self.catch_up(account_id) for account_id in list(self._marks.stale_accounts(platform))]

    def _since(self, account_id: str, opened_at: datetime, marked: datetime | None) -> datetime:
        if marked is not None:
            return max(marked, opened_at)  # the last instant the feed was known good
        latest = self._events.latest_event_time(account_id)
        if latest is None:
            return opened_at
        return max(latest - self._overlap, opened_at)
