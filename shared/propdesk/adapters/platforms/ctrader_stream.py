"""The deals of cTrader accounts as they are booked, for the connector service (a long-running process).

`CTraderStream.deals(accounts)` authorizes every account on the Open API session and yields each deal the
execution events book (`CTraderPlatform.deals_of`). When the connection drops, the session reconnects and
authorizes again; the stream then backfills what happened meanwhile from the deal history, from a margin
before the moment the connection was lost. A backfilled deal may repeat one already yielded: deal ids are the
event ids downstream (`propdesk.platforms.normalize`), so it is stored once.

A request that fails while a deal is resolved (the platform unavailable for longer than the retries last)
ends the iteration with `PlatformUnavailableError`: the connector starts it again from its checkpoint
(`since`), which backfills.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.adapters.platforms.ctrader import CTraderPlatform
from propdesk.adapters.platforms.ctrader_session import Disconnected, Reconnected
from propdesk.platforms.port import AccountRef, Deal
from propdesk.ports import Clock


@dataclass(frozen=True, slots=True)
class PushedDeal:
    account: AccountRef
    deal: Deal


class CTraderStream:
    def __init__(
        self, platform: CTraderPlatform, clock: Clock, margin: timedelta = timedelta(minutes=2)
    ) -> None:
        self._platform = platform
        self._clock = clock
        self._margin = margin

    def deals(
        self,
        accounts: Sequence[AccountRef],
        since: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[PushedDeal]:
        """Deals of `accounts` from now on (and from `since`, when given: the connector's checkpoint)."""
        platform = self._platform
        session = platform.session
        events = session.events(stop)  # subscribed before anything is read: nothing slips between
        by_id = {platform.account_id(account): account for account in accounts}
        for account_id in by_id:
            session.authorize(account_id)
        if since is not None:
            yield from self._backfill(by_id.values(), since)
        lost_at: datetime | None = None
        for event in events:
            if isinstance(event, Disconnected):
                lost_at = lost_at or self._clock.now()
            elif isinstance(event, Reconnected):
                if lost_at is not None:
                    yield from self._backfill(by_id.values(), lost_at - self._margin)
                    lost_at = None
            elif isinstance(event, wire.Frame) and event.account_id in by_id:
                account = by_id[event.account_id]
                for deal in platform.deals_of(event):
                    yield PushedDeal(account, deal)

    def _backfill(self, accounts: Iterable[AccountRef], since: datetime) -> Iterator[PushedDeal]:
        until = self._clock.now() + timedelta(seconds=1)
        for account in accounts:
            for deal in self._platform.deals(account, since, until):
                yield PushedDeal(account, deal)
