"""Backfill after an outage: what the platform booked while its pushes did not reach us, read from its deal
history through the port and stored through the same ingestion as a push.

Guarantees: the deals of [since, now) are read oldest first (`TradingPlatform.deals`), never from before the
account opened; each becomes the engine's events (`propdesk.platforms.normalize`: the platform's deal id is
the event id, so a deal that was pushed already is stored once, and a backfill run twice stores nothing new);
an equity reading from the platform's figures closes the gap. Events go through `EventIngestion` in batches of
at most `batch` in time order, with the account's own platform, so they are bounded exactly as a push is. The
risk service applies an account's events in time order and replays the whole history when an event is older
than its watermark: the verdict is the same as if the events had come in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from propdesk.errors import NotFoundError
from propdesk.platforms.normalize import deals_to_events, equity_event
from propdesk.platforms.port import PlatformUnavailableError, TradingPlatform
from propdesk.platforms.references import account_ref
from propdesk.ports import Clock
from propdesk.services.ingestion import EventIngestion
from propdesk.services.risk_stores import AccountLookup

MAX_BATCH = 100  # the events route's own limit per push


@dataclass(frozen=True, slots=True)
class BackfillReport:
    account_id: str
    since: datetime
    until: datetime
    accepted: int
    duplicates: int
    deals: int = 0  # of `accepted`, the platform's deals (the rest: the closing equity reading)


class Backfill:
    def __init__(
        self,
        accounts: AccountLookup,
        platforms: Callable[[str], TradingPlatform | None],
        ingestion: EventIngestion,
        clock: Clock,
        batch: int = MAX_BATCH,
    ) -> None:
        self._accounts = accounts
        self._platforms = platforms
        self._ingestion = ingestion
        self._clock = clock
        self._batch = max(1, min(batch, MAX_BATCH))

    def backfill(self, account_id: str, since: datetime) -> BackfillReport:
        """Store what the account's platform booked from `since` until now; `PlatformUnavailableError` when
        the platform still cannot be read (try again later: nothing half-done matters, events are once)."""
        account = self._accounts.get(account_id, consistent=True)
        if account is None or account.platform is None:
            raise NotFoundError(f"no account {account_id!r} on a platform", "account_id")
        platform = self._platforms(account.platform.platform)
        if platform is None:
            raise PlatformUnavailableError(f"no connection to {account.platform.platform}")
        ref = account_ref(account.platform)
        now = self._clock.now()
        start = max(since, account.opened_at)
        events = deals_to_events(ref.platform, platform.deals(ref, start, now))
        reading = equity_event(ref.platform, ref, platform.figures(ref))
        events.append(reading)
        accepted: list[str] = []
        duplicates = 0
        for first in range(0, len(events), self._batch):
            report = self._ingestion.ingest(
                account_id, events[first : first + self._batch], now, account.platform.platform
            )
            accepted += report.accepted
            duplicates += len(report.duplicates)
        deals = len([event_id for event_id in accepted if event_id != reading.get("event_id")])
        return BackfillReport(account_id, start, now, len(accepted), duplicates, deals)
