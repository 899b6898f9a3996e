"""Pending orders of a polled platform: each poll reads the account's working orders and stores them as the
`order_placed` events a push would carry, once per platform order id, apart from the trading events; news
straddling sees them as it sees pushed ones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.abuse.detection import AbuseDetection, AbuseInput
from propdesk.abuse.feeds import StaticCalendar
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.state import KeyedState
from propdesk.engine.news import NewsRelease
from propdesk.platforms.feed import FeedRecovery
from propdesk.platforms.polling import PollingCadence
from propdesk.platforms.port import AccountRef, PendingOrder, PlatformRejectedError
from propdesk.records import Account, PlatformReference
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion
from propdesk.services.platform_polling import PlatformPolling

from fakes.market import Market
from tests.doubles.abuse import EnforcementDoubles, InMemoryAbuseState, InMemoryFlagStore, InMemoryTraders
from tests.doubles.platforms import InMemoryPlatform, InMemoryStaleMarks
from tests.doubles.ports import ManualClock
from tests.doubles.risk_stores import InMemoryAccounts, InMemoryTradingEvents

RELEASE = datetime(2026, 12, 4, 13, 30, tzinfo=UTC)  # a Friday's payrolls
OPENED = RELEASE - timedelta(days=10)
RELEASES = [RELEASE, RELEASE + timedelta(days=7)]


class World:
    def __init__(self, pending_orders: bool = True) -> None:
        self.clock = ManualClock(RELEASE - timedelta(minutes=10))
        self.market = Market(now=self.clock.now)
        self.platform = InMemoryPlatform(self.market, name="tradelocker")
        self.accounts = InMemoryAccounts()
        self.events = InMemoryTradingEvents()
        self.orders = InMemoryTradingEvents()  # the pending orders' own place (`PendingOrderRepository`)
        ingestion = EventIngestion(self.accounts, self.events, orders=self.orders)
        backfill = Backfill(
            self.accounts,
            {"tradelocker": self.platform}.get,
            ingestion,
            self.clock,
            pending_orders=pending_orders,
        )
        marks = InMemoryStaleMarks()
        self.polling = PlatformPolling(
            self.accounts,
            {},
            marks,
            FeedRecovery(marks, backfill, self.events, self.accounts, self.clock),
            self.clock,
            PollingCadence(every_minutes=1),
        )
        booked = self.market.open_account("ada@example.com", "USD", Decimal(100000), "g", "acc-1")
        self.login = booked.account_id
        self.accounts.open(
            Account(
                account_id="acc-1", trader_id="t1", program_id="p", program_version=1, status="active",
                currency="USD", initial_balance=Decimal("100000"), timezone="UTC", day_starts_at="00:00",
                opened_at=OPENED, platform=PlatformReference("tradelocker", booked.account_id, booked.login),
            )
        )  # fmt: skip

    def straddle(self, release: datetime) -> None:
        """Opposite stop orders two minutes before the release, polled every minute around it."""
        self.clock.current = release - timedelta(minutes=3)
        self.polling.poll("tradelocker")
        self.clock.advance(timedelta(minutes=1))
        self.market.place_order(self.login, "XAUUSD", "buy", Decimal(1), "stop", Decimal("2060"))
        self.market.place_order(self.login, "XAUUSD", "sell", Decimal(1), "stop", Decimal("2040"))
        for _ in range(3):
            self.clock.advance(timedelta(minutes=1))
            self.polling.poll("tradelocker")


def detection() -> tuple[AbuseDetection, InMemoryFlagStore]:
    calendar = StaticCalendar(NewsRelease(at, frozenset({"XAUUSD"}), "US payrolls") for at in RELEASES)

    def monitor_of(state: KeyedState) -> AbuseMonitor:
        return build_monitor(state, AbuseSettings(), calendar=calendar)

    traders = InMemoryTraders({"acc-1": "t1"})
    clock = ManualClock(RELEASES[-1] + timedelta(hours=1))
    flags = InMemoryFlagStore()
    ids = itertools.count(1)
    enforcer = EnforcementDoubles().enforcer(traders, clock.now)
    found = AbuseDetection(
        InMemoryAbuseState(), flags, enforcer, monitor_of, traders, clock, lambda: f"id-{next(ids)}"
    )
    return found, flags


def test_each_working_order_is_stored_once_as_order_placed_however_often_it_is_polled() -> None:
    world = World()

    world.straddle(RELEASE)

    stored = world.orders.inserted
    assert [(e.type, e.payload["side"], e.payload["order_type"]) for e in stored] == [
        ("order_placed", "buy", "stop"),
        ("order_placed", "sell", "stop"),
    ]
    assert all(e.event_id.startswith("tradelocker:order:") for e in stored)
    assert all(e.type != "order_placed" for e in world.events.inserted), "apart from the trading events"


def test_a_poller_without_pending_orders_stores_none() -> None:
    world = World(pending_orders=False)

    world.straddle(RELEASE)

    assert world.orders.inserted == []


def test_news_straddling_sees_the_polled_orders_as_it_sees_pushed_ones() -> None:
    world = World()
    for release in RELEASES:
        world.straddle(release)
    found, flags = detection()

    for stored in world.orders.inserted:  # what the table's stream carries to abuse_detect
        found.on_event(AbuseInput.from_stored(stored))

    flag = flags.get("news_straddling:acc-1")
    assert flag is not None and flag.is_open
    assert flag.accounts == ("acc-1",)


def test_an_order_read_that_fails_never_fails_the_accounts_catch_up() -> None:
    world = World()

    def refused(account: AccountRef) -> list[PendingOrder]:
        raise PlatformRejectedError("tradelocker answered 404 on /orders")

    world.platform.pending_orders = refused  # type: ignore[method-assign]
    world.market.place_order(world.login, "XAUUSD", "buy", Decimal(1), "stop", Decimal("2060"))
    position = world.market.open_position(world.login, "EURUSD", "buy", Decimal(1))
    world.clock.advance(timedelta(minutes=1))

    report = world.polling.poll("tradelocker")

    assert report.backfilled == ["acc-1"] and report.failed == [] and report.rejected == []
    assert [e.payload.get("position_id") for e in world.events.inserted][:1] == [position.position_id]
    assert world.orders.inserted == []
