"""Polling the platforms that push nothing: near a limit or stale every minute, otherwise once per cycle in
the account's own minute; each due account caught up through the port and ingestion, an outage marking it
stale and its recovery backfilling the gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.platforms.feed import FeedRecovery
from propdesk.platforms.polling import PollingCadence, slot, used_share
from propdesk.records import Account, PlatformReference, RiskSnapshot
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion
from propdesk.services.platform_polling import PlatformPolling

from fakes.market import Market
from tests.doubles.platforms import InMemoryPlatform, InMemoryStaleMarks
from tests.doubles.ports import ManualClock
from tests.doubles.risk_stores import InMemoryAccounts, InMemoryTradingEvents

TICK = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
OPENED = TICK - timedelta(days=1)


def usage(*shares: str) -> list[dict[str, str]]:
    return [{"rule": "daily_loss", "used_share": share} for share in shares]


# ---- the cadence


def test_an_account_far_from_its_limits_is_polled_once_per_cycle_in_its_own_minute() -> None:
    cadence = PollingCadence(every_minutes=5)
    ticks = [TICK + timedelta(minutes=m) for m in range(10)]
    due = [t for t in ticks if cadence.due("acc-1", usage("0.1"), t, stale=False)]
    assert len(due) == 2 and due[1] - due[0] == timedelta(minutes=5)


def test_an_account_near_a_limit_or_stale_is_polled_every_minute() -> None:
    cadence = PollingCadence(near_limit_share=Decimal("0.5"), every_minutes=5)
    ticks = [TICK + timedelta(minutes=m) for m in range(5)]
    assert all(cadence.due("acc-1", usage("0.2", "0.5"), t, stale=False) for t in ticks)
    assert all(cadence.due("acc-1", usage(), t, stale=True) for t in ticks)


def test_accounts_spread_over_the_cycle() -> None:
    slots = {slot(f"acc-{n}", 5) for n in range(100)}
    assert slots == {0, 1, 2, 3, 4}


def test_the_used_share_is_the_largest_of_the_limits_and_ignores_unreadable_ones() -> None:
    assert used_share(usage("0.2", "0.7", "x")) == Decimal("0.7")
    assert used_share([]) == 0


def test_a_cycle_shorter_than_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="every_minutes"):
        PollingCadence(every_minutes=0)


# ---- the use case


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(TICK)
        self.market = Market(now=self.clock.now)
        self.tradelocker = InMemoryPlatform(self.market, name="tradelocker")
        self.accounts = InMemoryAccounts()
        self.events = InMemoryTradingEvents()
        self.marks = InMemoryStaleMarks()
        self.snapshots: dict[str, RiskSnapshot] = {}
        self.ids: dict[str, str] = {}
        platforms = {"tradelocker": self.tradelocker}.get
        backfill = Backfill(self.accounts, platforms, EventIngestion(self.accounts, self.events), self.clock)
        recovery = FeedRecovery(self.marks, backfill, self.events, self.accounts, self.clock)
        self.polling = PlatformPolling(
            self.accounts, self.snapshots, self.marks, recovery, self.clock, PollingCadence(every_minutes=60)
        )

    def open(self, account_id: str, platform: str = "tradelocker", used: str = "0") -> None:
        booked = self.market.open_account(
            f"{account_id}@example.com", "USD", Decimal(100000), "g", account_id
        )
        self.ids[account_id] = booked.account_id
        self.accounts.open(
            Account(
                account_id=account_id, trader_id="t", program_id="p", program_version=1, status="active",
                currency="USD", initial_balance=Decimal("100000"), timezone="UTC", day_starts_at="00:00",
                opened_at=OPENED, platform=PlatformReference(platform, booked.account_id, booked.login),
            )
        )  # fmt: skip
        evaluation = {"usage": usage(used)}
        self.snapshots[account_id] = RiskSnapshot(
            account_id, 1, {"balance": "100000"}, evaluation, None, 0, None
        )

    def trade(self, account_id: str) -> None:
        position = self.market.open_position(self.ids[account_id], "EURUSD", "buy", Decimal(1))
        self.clock.advance(timedelta(seconds=10))
        self.market.close_position(self.ids[account_id], position.position_id, price=Decimal("1.1"))
        self.clock.advance(timedelta(seconds=10))

    def stored(self, account_id: str) -> list[str]:
        return [event.type for event in self.events.replay(account_id)]


def test_a_tick_polls_the_due_accounts_of_its_platform_only() -> None:
    world = World()
    world.open("near", used="0.8")  # near a limit: every minute
    world.open("far", used="0.1")  # hourly: most likely not this minute
    world.open("elsewhere", platform="dxtrade", used="0.9")
    world.trade("near")
    world.clock.current = TICK + timedelta(minutes=1)

    report = world.polling.poll("tradelocker")

    assert report.accounts == 2 and report.near_limit == 1
    assert report.backfilled == ["near"]
    assert world.stored("near") == ["position_opened", "position_closed", "equity"]
    assert world.stored("elsewhere") == []


def test_an_outage_marks_the_polled_accounts_stale_and_the_next_good_tick_backfills_the_gap() -> None:
    world = World()
    world.open("near", used="0.8")
    world.polling.poll("tradelocker")
    world.tradelocker.down = True
    world.clock.advance(timedelta(minutes=1))

    down = world.polling.poll("tradelocker")
    assert down.stale == ["near"] and world.marks.stale_since("near") is not None

    world.tradelocker.down = False
    world.trade("near")  # booked while we could not read
    world.clock.advance(timedelta(minutes=1))
    back = world.polling.poll("tradelocker")

    assert back.backfilled == ["near"] and world.marks.stale_since("near") is None
    assert world.stored("near").count("position_closed") == 1
