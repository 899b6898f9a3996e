"""A stale feed: marked from the last instant it was known good while the platform cannot be read, and
backfilled from that instant, deterministically and once, as soon as the platform answers again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.platforms.feed import FeedRecovery
from propdesk.records import Account, PlatformReference
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion

from fakes.market import Market
from tests.doubles.platforms import InMemoryPlatform, InMemoryStaleMarks
from tests.doubles.ports import ManualClock
from tests.doubles.risk_stores import InMemoryAccounts, InMemoryTradingEvents

OPENED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(OPENED + timedelta(minutes=1))
        self.market = Market(now=self.clock.now)
        self.platform = InMemoryPlatform(self.market, name="mt5")
        self.other = InMemoryPlatform(self.market, name="dxtrade")
        self.accounts = InMemoryAccounts()
        self.events = InMemoryTradingEvents()
        self.marks = InMemoryStaleMarks()
        self.platform_ids = {
            account_id: self._open(account_id, on)
            for account_id, on in (("acc-1", "mt5"), ("acc-2", "mt5"), ("acc-dx", "dxtrade"))
        }
        platforms = {"mt5": self.platform, "dxtrade": self.other}
        backfill = Backfill(
            self.accounts, platforms.get, EventIngestion(self.accounts, self.events), self.clock
        )
        self.recovery = FeedRecovery(self.marks, backfill, self.events, self.accounts, self.clock)

    def _open(self, account_id: str, platform: str) -> str:
        email = f"{account_id}@example.com"
        booked = self.market.open_account(email, "USD", Decimal("100000"), "g", account_id)
        self.accounts.open(
            Account(
                account_id=account_id, trader_id="t", program_id="p", program_version=1, status="active",
                currency="USD", initial_balance=Decimal("100000"), timezone="UTC", day_starts_at="00:00",
                opened_at=OPENED, platform=PlatformReference(platform, booked.account_id, booked.login),
            )
        )  # fmt: skip
        return booked.account_id

    def trade(self, account_id: str = "acc-1", minutes: int = 5) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        platform_id = self.platform_ids[account_id]
        position = self.market.open_position(platform_id, "EURUSD", "buy", Decimal(1))
        self.clock.advance(timedelta(minutes=1))
        self.market.close_position(platform_id, position.position_id, price=Decimal("1.1"))
        self.clock.advance(timedelta(seconds=1))

    def stored(self, account_id: str = "acc-1") -> list[str]:
        return [event.type for event in self.events.replay(account_id)]


def test_a_platform_that_cannot_be_read_marks_the_feed_stale_from_its_last_good_instant() -> None:
    world = World()
    world.recovery.catch_up("acc-1")  # current: an equity reading at 08:01
    last_good = world.events.latest_event_time("acc-1")
    world.platform.down = True
    world.clock.advance(timedelta(minutes=30))

    first = world.recovery.catch_up("acc-1")
    world.clock.advance(timedelta(minutes=30))
    world.recovery.catch_up("acc-1")

    assert first.outcome == "still_stale" and first.stale
    assert last_good is not None and world.marks.stale_since("acc-1") <= last_good  # the first mark is kept


def test_when_the_platform_answers_again_the_gap_is_backfilled_in_order_and_the_mark_cleared() -> None:
    world = World()
    world.platform.down = True
    world.recovery.mark_stale("acc-1", "mt5")
    world.platform.down = False
    world.trade()  # booked by the platform while we could not read it
    world.trade()

    result = world.recovery.catch_up("acc-1")

    assert (result.outcome, result.accepted) == ("backfilled", 5)
    assert world.stored() == ["position_opened", "position_closed"] * 2 + ["equity"]
    times = [event.time for event in world.events.replay("acc-1")]
    assert times == sorted(times)
    assert world.marks.stale_since("acc-1") is None


def test_catching_up_twice_stores_each_deal_once_and_is_then_fresh() -> None:
    world = World()
    world.trade()
    world.recovery.catch_up("acc-1")
    world.clock.advance(timedelta(minutes=1))

    again = world.recovery.catch_up("acc-1")

    assert again.outcome == "fresh"  # a new equity reading only: nothing was missing
    assert world.stored().count("position_opened") == 1


def test_a_platform_coming_back_catches_up_each_of_its_stale_accounts_and_no_other() -> None:
    world = World()
    for account_id, platform in (("acc-1", "mt5"), ("acc-2", "mt5"), ("acc-dx", "dxtrade")):
        world.recovery.mark_stale(account_id, platform)
    world.trade("acc-2")

    results = world.recovery.recover_platform("mt5")

    assert [(r.account_id, r.outcome) for r in results] == [("acc-1", "fresh"), ("acc-2", "backfilled")]
    assert world.marks.stale_accounts("mt5") == [] and world.marks.stale_accounts("dxtrade") == ["acc-dx"]


def test_an_account_not_on_a_platform_is_left_alone() -> None:
    world = World()
    assert world.recovery.catch_up("nobody").outcome == "not_on_a_platform"


def test_a_platform_refusing_is_not_an_outage_and_marks_nothing() -> None:
    world = World()
    world.platform.reject_next = 10  # e.g. an account the platform does not know

    result = world.recovery.catch_up("acc-1")

    assert result.outcome == "rejected" and not result.stale
    assert world.marks.stale_since("acc-1") is None  # its scheduled rules are not deferred
