"""Backfill after an outage: the platform's deals of the gap, oldest first, stored through ingestion once,
however often the backfill runs and whatever was pushed already."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.platforms.port import PlatformUnavailableError
from propdesk.records import Account, PlatformReference
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion

from fakes.market import Market
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import ManualClock
from tests.doubles.risk_stores import InMemoryAccounts, InMemoryTradingEvents

OPENED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(OPENED + timedelta(minutes=1))
        self.market = Market(now=self.clock.now)
        self.platform = InMemoryPlatform(self.market, name="mt5")
        self.accounts = InMemoryAccounts()
        self.events = InMemoryTradingEvents()
        booked = self.market.open_account("t@example.com", "USD", Decimal("100000"), "g", "acc-1")
        self.platform_id = booked.account_id
        self.accounts.open(
            Account(
                account_id="acc-1", trader_id="t", program_id="p", program_version=1, status="active",
                currency="USD", initial_balance=Decimal("100000"), timezone="UTC", day_starts_at="00:00",
                opened_at=OPENED, platform=PlatformReference("mt5", booked.account_id, booked.login),
            )
        )  # fmt: skip
        self.ingestion = EventIngestion(self.accounts, self.events)
        self.backfill = Backfill(
            self.accounts, lambda name: self.platform if name == "mt5" else None, self.ingestion, self.clock
        )

    def trade(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        position = self.market.open_position(self.platform_id, "EURUSD", "buy", Decimal(1))
        self.clock.advance(timedelta(minutes=1))
        self.market.close_position(self.platform_id, position.position_id, price=Decimal("1.1"))
        self.clock.advance(timedelta(seconds=1))  # [since, until): a deal at the very instant comes next time

    def stored(self) -> list[str]:
        return [event.type for event in self.events.replay("acc-1")]


def test_the_gap_is_stored_in_time_order_with_an_equity_reading_at_the_end() -> None:
    world = World()
    world.trade(5)
    world.trade(5)

    report = world.backfill.backfill("acc-1", OPENED)

    assert world.stored() == ["position_opened", "position_closed"] * 2 + ["equity"]
    times = [event.time for event in world.events.replay("acc-1")]
    assert times == sorted(times)
    assert (report.accepted, report.duplicates) == (5, 0)


def test_a_second_backfill_stores_nothing_new() -> None:
    world = World()
    world.trade(5)
    world.backfill.backfill("acc-1", OPENED)

    again = world.backfill.backfill("acc-1", OPENED)

    assert (again.accepted, again.duplicates) == (0, 3)  # the same deals, and the same reading's instant
    assert world.stored().count("position_opened") == 1


def test_it_never_reads_before_the_account_opened() -> None:
    world = World()
    world.trade(5)

    report = world.backfill.backfill("acc-1", OPENED - timedelta(days=30))

    assert report.since == OPENED


def test_a_platform_still_down_raises_and_stores_nothing() -> None:
    world = World()
    world.trade(5)
    world.platform.down = True

    with pytest.raises(PlatformUnavailableError):
        world.backfill.backfill("acc-1", OPENED)
    assert world.stored() == []
