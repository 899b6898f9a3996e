"""A polled platform's pending orders on DynamoDB Local: each poll reads the working orders and stores them as
`PENDING#` items, once per platform order id however often polled; the table stream carries them to
abuse_detect, where news straddling flags opposite stop orders placed before two releases."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.detection import AbuseDetection
from propdesk.abuse.feeds import StaticCalendar
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.state import KeyedState
from propdesk.abuse.store import CachedTraders
from propdesk.data.abuse_flags import AbuseFlagRepository
from propdesk.data.abuse_orders import PendingOrderRepository
from propdesk.data.abuse_state import DynamoAbuseState
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.feed_marks import FeedMarkRepository
from propdesk.data.schema import ABUSE_STATE_TABLE, create_table_request
from propdesk.engine.news import NewsRelease
from propdesk.platforms.feed import FeedRecovery
from propdesk.platforms.polling import PollingCadence
from propdesk.records import PlatformReference
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion
from propdesk.services.platform_polling import PlatformPolling

from fakes.market import Market
from functions.abuse_detect import handler as abuse_detect
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import InMemoryAccountControl, ManualClock
from tests.integration.abuse_world import dynamo_enforcer
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration
RELEASES = [datetime(2026, 3, 6, 13, 30, tzinfo=UTC), datetime(2026, 3, 13, 13, 30, tzinfo=UTC)]


def test_polled_stop_orders_around_two_releases_are_stored_once_and_flagged_as_straddles(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    clock = ManualClock(RELEASES[0] - timedelta(minutes=10))
    market = Market(now=clock.now)
    platform = InMemoryPlatform(market, name="tradelocker")
    accounts, events, marks = AccountRepository(), TradingEventRepository(), FeedMarkRepository()
    account_id = f"acc-{uuid.uuid4().hex[:6]}"
    booked = market.open_account("ada@example.com", "USD", Decimal(100000), "g", account_id)
    reference = PlatformReference("tradelocker", booked.account_id, booked.login)
    opened_at = RELEASES[0] - timedelta(days=3)
    accounts.open(replace(account(account_id, "t-straddler"), platform=reference, opened_at=opened_at))
    ingestion = EventIngestion(accounts, events, orders=PendingOrderRepository())
    backfill = Backfill(accounts, {"tradelocker": platform}.get, ingestion, clock, pending_orders=True)
    polling = PlatformPolling(
        accounts,
        {},
        marks,
        FeedRecovery(marks, backfill, events, accounts, clock),
        clock,
        PollingCadence(every_minutes=1),
    )
    for release in RELEASES:
        clock.current = release - timedelta(minutes=3)
        market.place_order(booked.account_id, "XAUUSD", "buy", Decimal(1), "stop", Decimal("2060"))
        market.place_order(booked.account_id, "XAUUSD", "sell", Decimal(1), "stop", Decimal("2040"))
        for _ in range(3):  # polled every minute: the same orders each time
            clock.advance(timedelta(minutes=1))
            report = polling.poll("tradelocker")
            assert report.polled == 1 and not report.failed, report
        for order in list(market.account(booked.account_id).orders):  # type: ignore[union-attr]
            market.cancel_order(booked.account_id, order)

    records = stream_records(dynamodb_local.streams_client(), dynamodb_local.stream_arn(fresh_tables.main))
    pending = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"].startswith("PENDING#")]
    assert len(pending) == 4, "four orders, each stored once"

    state_table = f"abuse-state-{uuid.uuid4().hex[:8]}"
    client = dynamodb_local.client()
    client.create_table(**create_table_request(ABUSE_STATE_TABLE, state_table))  # type: ignore[arg-type]
    client.get_waiter("table_exists").wait(TableName=state_table)
    calendar = StaticCalendar(NewsRelease(at, frozenset({"XAUUSD"}), "US payrolls") for at in RELEASES)

    def monitor_of(state: KeyedState) -> AbuseMonitor:
        return build_monitor(state, AbuseSettings(), calendar=calendar)

    traders = CachedTraders(AccountRepository())
    detection = AbuseDetection(
        DynamoAbuseState(state_table, dynamodb_local.client),
        AbuseFlagRepository(),
        dynamo_enforcer(InMemoryAccountControl(), traders, clock.now),
        monitor_of,
        traders,
        clock,
        lambda: uuid.uuid4().hex,
    )
    answer = abuse_detect.process(
        {"Records": pending},
        LambdaContextStub(),
        abuse_detect.Dependencies(detection, TradingEventRepository.from_stream_image),
    )

    assert answer == {"batchItemFailures": []}
    flag = AbuseFlagRepository().get(f"news_straddling:{account_id}")
    assert flag is not None and flag.accounts == (account_id,)
