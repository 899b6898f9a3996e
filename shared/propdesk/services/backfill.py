"""Backfill after an outage: what the platform booked while its pushes did not reach us, read from its deal
history through the port and stored through the same ingestion as a push.

Guarantees: the deals of [since, now) are read oldest first (`TradingPlatform.deals`), never from before the
account opened; each becomes the engine's events (`propdesk.platforms.normalize`: the platform's deal id is
the event id, so a deal that was pushed already is stored once, and a backfill run twice stores nothing new);
an equity reading from the platform's figures closes the gap. Events go through `EventIngestion` in batches of
at most `batch` in time order, with the account's own platform, so they are bounded exactly as a push is. The
risk service applies an account's events in time order and replays the whole history when an event is older
than its watermark: the verdict is the same as if the events had come in order.

With `pending_orders` (the pollers': a polled platform pushes nothing, so its pending orders reach abuse
detection only this way), the account's working orders are read too, when the adapter can
(`PendingOrderReader`), and stored as the `order_placed` events a push would carry (`normalize.order_event`:
the platform's order id names the event, so an order seen at every poll is stored once). Orders placed more
than `order_lookback` ago are left out (already seen by earlier polls; the store keeps orders 30 days). After
the deals, apart from them and best effort: an order read that fails, or an order ingestion refuses, is
logged and skipped, never failing the account's catch-up (the risk feed does not wait on abuse detection).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from propdesk.errors import InvalidInputError, NotFoundError
from propdesk.observability import logger
from propdesk.platforms.normalize import WireEvent, deals_to_events, equity_event, order_event
from propdesk.platforms.port import (
    AccountRef,
    PendingOrderReader,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingPlatform,
)
from propdesk.platforms.references import account_ref
from propdesk.ports import Clock
from propdesk.services.ingestion import EventIngestion
from propdesk.services.risk_stores import AccountLookup

MAX_BATCH = 100  # the events route's own limit per push
ORDER_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class BackfillReport:
    account_id: str
    since: datetime
    until: datetime
    accepted: int
    duplicates: int
    deals: int = 0  # of `accepted`, the platform's deals (the rest: the closing equity reading, orders)
    orders: int = 0  # of `accepted`, pending orders not stored before


class Backfill:
    def __init__(
        self,
        accounts: AccountLookup,
        platforms: Callable[[str], TradingPlatform | None],
        ingestion: EventIngestion,
        clock: Clock,
        batch: int = MAX_BATCH,
        pending_orders: bool = False,
        order_lookback: timedelta = ORDER_LOOKBACK,
    ) -> None:
        """`pending_orders`: read the working orders too (the ingestion must have a place for them)."""
        self._accounts = accounts
        self._platforms = platforms
        self._ingestion = ingestion
        self._clock = clock
        self._batch = max(1, min(batch, MAX_BATCH))
        self._pending_orders = pending_orders
        self._order_lookback = order_lookback

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
        accepted, duplicates = self._ingest(account_id, events, now, account.platform.platform)
        deals = len([event_id for event_id in accepted if event_id != reading.get("event_id")])
        orders = 0
        if self._pending_orders and isinstance(platform, PendingOrderReader):
            since_orders = max(now - self._order_lookback, account.opened_at)
            orders = self._store_orders(platform, ref, account_id, since_orders, now)
        return BackfillReport(account_id, start, now, len(accepted) + orders, duplicates, deals, orders)

    def _ingest(
        self, account_id: str, events: list[WireEvent], now: datetime, platform: str
    ) -> tuple[list[str], int]:
        accepted: list[str] = []
        duplicates = 0
        for first in range(0, len(events), self._batch):
            report = self._ingestion.ingest(account_id, events[first : first + self._batch], now, platform)
            accepted += report.accepted
            duplicates += len(report.duplicates)
        return accepted, duplicates

    def _store_orders(
        self, platform: PendingOrderReader, ref: AccountRef, account_id: str, since: datetime, now: datetime
    ) -> int:
        """The working orders placed in [since, now] stored once each; the number new. Best effort: abuse
        detection's input never fails the account's catch-up (its deals are stored already)."""
        try:
            working = platform.pending_orders(ref)
            events = [
                order_event(ref.platform, order)
                for order in working
                if since <= order.placed_at <= now and order.volume > 0
            ]
            return len(self._ingest(account_id, events, now, ref.platform)[0])
        except (PlatformUnavailableError, PlatformRejectedError, InvalidInputError, ValueError) as error:
            logger.warning(
                "pending orders not stored", extra={"account_id": account_id, "error": type(error).__name__}
            )
            return 0
