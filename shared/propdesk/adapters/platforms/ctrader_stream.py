"""The deals of cTrader accounts as they are booked, for the connector service (a long-running process).

`CTraderStream.deals(accounts)` authorizes every account on the Open API session and yields each deal the
execution events book (`CTraderPlatform.deals_of`). When the connection drops, the session reconnects and
authorizes again; the stream then backfills what happened meanwhile from the deal history, from a margin
before the moment the connection was lost. A backfilled deal may repeat one already yielded: deal ids are the
event ids downstream (`propdesk.platforms.normalize`), so it is stored once.

A request that fails while a deal is resolved (the platform unavailable for longer than the retries last)
ends the iteration with `PlatformUnavailableError`: the connector starts it again from its checkpoint
(`since`), which backfills.

Accounts come and go: given a function of the accounts to watch (the connector's watchlist), the stream
compares it with what it watches every `follow_every` seconds, on the live session: an account that appeared
is authorized (`ProtoOAAccountAuthReq`; its execution events flow from then on) and its deals since the
stream's start are read (what it booked before); one that went is logged out (`ProtoOAAccountLogoutReq`) and
not authorized again after a reconnection. An account the Open API grant does not cover is skipped until it
leaves the set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.adapters.platforms.ctrader import CTraderPlatform
from propdesk.adapters.platforms.ctrader_session import Disconnected, Reconnected
from propdesk.platforms.port import AccountRef, Deal, PlatformRejectedError
from propdesk.ports import Clock

log = logging.getLogger("propdesk.connector")

Watched = Sequence[AccountRef] | Callable[[], Sequence[AccountRef]]  # fixed, or asked again as it runs


@dataclass(frozen=True, slots=True)
class PushedDeal:
    account: AccountRef
    deal: Deal


class CTraderStream:
    def __init__(
        self,
        platform: CTraderPlatform,
        clock: Clock,
        margin: timedelta = timedelta(minutes=2),
        follow_every: float = 5.0,  # float ok: seconds between looks at the accounts watched
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._platform = platform
        self._clock = clock
        self._margin = margin
        self._follow_every = follow_every
        self._monotonic = monotonic
        self.subscribed = 0  # accounts authorized while streaming
        self.unsubscribed = 0  # accounts logged out while streaming

    def deals(
        self,
        accounts: Watched,
        since: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[PushedDeal]:
        """Deals of `accounts` from now on (and from `since`, when given: the connector's checkpoint).
        `accounts` may be a function: asked again as the stream runs (accounts come and go)."""
        wanted = accounts if callable(accounts) else (lambda: accounts)
        platform = self._platform
        session = platform.session
        start = since or self._clock.now()
        # subscribed before anything is read: nothing slips between; idle ticks let the accounts be followed
        events = session.events(stop, idle=True)
        watch = _Watch(platform)
        for account in watch.admit(wanted()):
            session.authorize(platform.account_id(account))
        if since is not None:
            yield from self._backfill(watch.by_id.values(), since)
        lost_at: datetime | None = None
        followed = self._monotonic()
        for event in events:
            if self._monotonic() - followed >= self._follow_every:
                followed = self._monotonic()
                yield from self._follow(watch, wanted(), start)
            if isinstance(event, Disconnected):
                lost_at = lost_at or self._clock.now()
            elif isinstance(event, Reconnected):
                if lost_at is not None:
                    yield from self._backfill(watch.by_id.values(), lost_at - self._margin)
                    lost_at = None
            elif isinstance(event, wire.Frame) and event.account_id in watch.by_id:
                account = watch.by_id[event.account_id]
                for deal in platform.deals_of(event):
                    yield PushedDeal(account, deal)

    def _follow(self, watch: _Watch, wanted: Sequence[AccountRef], start: datetime) -> Iterator[PushedDeal]:
        session = self._platform.session
        for account_id in watch.let_go(wanted):
            session.logout(account_id)
            self.unsubscribed += 1
        added = watch.admit(wanted)
        for account in added:
            session.authorize(self._platform.account_id(account))
            self.subscribed += 1
        yield from self._backfill(added, start - self._margin)  # what they booked before they were watched

    def _backfill(self, accounts: Iterable[AccountRef], since: datetime) -> Iterator[PushedDeal]:
        until = self._clock.now() + timedelta(seconds=1)
        for account in list(accounts):
            for deal in self._platform.deals(account, since, until):
                yield PushedDeal(account, deal)


class _Watch:
    """The watched accounts by `ctidTraderAccountId`; the logins the Open API grant does not cover."""

    def __init__(self, platform: CTraderPlatform) -> None:
        self._platform = platform
        self.by_id: dict[int, AccountRef] = {}
        self.uncovered: set[str] = set()

    def admit(self, wanted: Sequence[AccountRef]) -> list[AccountRef]:
        """The wanted accounts not watched yet, now watched (their ids looked up once)."""
        watched = {account.login for account in self.by_id.values()}
        added: list[AccountRef] = []
        for account in wanted:
            if account.login in watched or account.login in self.uncovered:
                continue
            try:
                account_id = self._platform.account_id(account)
            except PlatformRejectedError:
                log.warning("a cTrader account is not covered by the grant", extra={"login": account.login})
                self.uncovered.add(account.login)
                continue
            self.by_id[account_id] = account
            added.append(account)
        return added

    def let_go(self, wanted: Sequence[AccountRef]) -> list[int]:
        """The ids of the watched accounts no longer wanted, no longer watched."""
        logins = {account.login for account in wanted}
        self.uncovered &= logins
        gone = [account_id for account_id, account in self.by_id.items() if account.login not in logins]
        for account_id in gone:
            del self.by_id[account_id]
        return gone
