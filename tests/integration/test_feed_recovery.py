"""A stale feed against DynamoDB Local: the platform down marks the account stale (the first mark's instant
kept, listed per platform without a scan); when it answers again, platform_reconciliation backfills the
gap through ingestion into the events table, once, and clears the mark; the daily reset defers a marked
account."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.feed_marks import FeedMarkRepository
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.data.reconciliations import ReconciliationRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.platforms.feed import FeedRecovery
from propdesk.platforms.reconciliation import PlatformReconciliation
from propdesk.records import PlatformReference, RiskSnapshot
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion

from fakes.market import Market
from functions.platform_reconciliation import handler as platform_reconciliation
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import InMemoryEventPublisher, ManualClock
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
OPENED = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(OPENED + timedelta(minutes=1))
        self.market = Market(now=self.clock.now)
        self.platform = InMemoryPlatform(self.market, name="mt5")
        accounts, events = AccountRepository(), TradingEventRepository()
        self.marks = FeedMarkRepository()
        platforms = {"mt5": self.platform}.get
        backfill = Backfill(accounts, platforms, EventIngestion(accounts, events), self.clock)
        self.reconciliation = PlatformReconciliation(
            accounts, RiskStateRepository(), events, platforms, PayoutHoldRepository(),
            ReconciliationRepository(), InMemoryEventPublisher(), self.clock,
            recovery=FeedRecovery(self.marks, backfill, events, accounts, self.clock),
        )  # fmt: skip

    def open(self, account_id: str) -> str:
        booked = self.market.open_account("t@example.com", "USD", Decimal("100000"), "g", account_id)
        reference = PlatformReference("mt5", booked.account_id, booked.login)
        AccountRepository().open(replace(account(account_id), platform=reference, opened_at=OPENED))
        state = {"balance": "100000", "equity": "100000", "positions": []}
        RiskStateRepository().save(RiskSnapshot(account_id, 0, state, {}, None, 0, None), OPENED)
        return booked.account_id

    def run(self, account_id: str) -> dict[str, object]:
        return platform_reconciliation.process(
            {"account_id": account_id}, CONTEXT, (self.reconciliation, AccountRepository())
        )


def test_the_first_mark_is_kept_and_marks_are_listed_per_platform(tables: TableNames, unique_id: str) -> None:
    marks = FeedMarkRepository()
    marks.mark_stale(unique_id, "mt5", OPENED)
    marks.mark_stale(unique_id, "mt5", OPENED + timedelta(hours=1))  # later: the first instant stays

    assert marks.stale_since(unique_id) == OPENED
    assert unique_id in set(marks.stale_accounts("mt5"))
    assert unique_id not in set(marks.stale_accounts("dxtrade"))

    marks.mark_fresh(unique_id)
    assert marks.stale_since(unique_id) is None and unique_id not in set(marks.stale_accounts("mt5"))


def test_an_outage_s_gap_is_backfilled_into_the_events_table_once_when_the_platform_answers(
    tables: TableNames, unique_id: str
) -> None:
    world = World()
    platform_id = world.open(unique_id)
    world.platform.down = True

    down = world.run(unique_id)
    assert (down["outcome"], down["stale"]) == ("unavailable", True)
    assert world.marks.stale_since(unique_id) is not None

    world.platform.down = False  # back: what it booked meanwhile is read from its history
    world.clock.advance(timedelta(minutes=5))
    position = world.market.open_position(platform_id, "EURUSD", "buy", Decimal(1))
    world.clock.advance(timedelta(minutes=3))
    world.market.close_position(platform_id, position.position_id, price=Decimal("1.1"))
    world.clock.advance(timedelta(seconds=1))

    back = world.run(unique_id)
    stored = [event.type for event in TradingEventRepository().replay(unique_id)]

    assert (back["outcome"], back["stale"]) == ("backfilled", False)
    assert stored == ["position_opened", "position_closed", "equity"]
    assert world.marks.stale_since(unique_id) is None

    world.clock.advance(timedelta(minutes=1))
    world.marks.mark_stale(unique_id, "mt5", OPENED)  # a second catch-up over the same gap
    again = world.run(unique_id)
    assert again["outcome"] != "backfilled"  # nothing new: each deal is stored once
    assert [event.type for event in TradingEventRepository().replay(unique_id)].count("position_opened") == 1
