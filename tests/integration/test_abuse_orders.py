"""Pending orders end to end on DynamoDB Local: a platform pushes `order_placed` beside its trading events
(signed `POST /v1/platform/events`), they are stored apart from the account's event log (the risk engine
never replays them), and their stream records reach the news-straddling detector through abuse_detect."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.abuse.detection import AbuseDetection
from propdesk.abuse.feeds import StaticCalendar
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.store import CachedTraders
from propdesk.data import keys
from propdesk.data.abuse_flags import AbuseFlagRepository
from propdesk.data.abuse_orders import PendingOrderRepository
from propdesk.data.abuse_state import DynamoAbuseState
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.schema import ABUSE_STATE_TABLE, create_table_request
from propdesk.engine.news import NewsRelease
from propdesk.platforms import signing
from propdesk.platforms.push_auth import PushAuthentication
from propdesk.records import PlatformReference
from propdesk.services.ingestion import EventIngestion
from propdesk.wiring.ingestion import signing_secrets

from functions.abuse_detect import handler as abuse_detect
from functions.platform_events import handler as platform_events
from tests.doubles.ports import InMemoryAccountControl, ManualClock, StaticSecrets
from tests.integration.abuse_world import dynamo_enforcer
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

pytestmark = pytest.mark.integration
CONTEXT = LambdaContextStub()
RELEASES = (datetime(2026, 3, 2, 13, 30, tzinfo=UTC), datetime(2026, 3, 3, 13, 30, tzinfo=UTC))
NOW = RELEASES[1] + timedelta(hours=1)


def push(account_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    body = json.dumps({"account_id": account_id, "events": events})
    request = rest_request("post_platform_events", body=body)
    request["headers"] = {
        "Content-Type": "application/json",
        "X-Propdesk-Platform": "mt5",
        "X-Propdesk-Signature": signing.sign("mt5-secret", body.encode(), int(NOW.timestamp())),
    }
    request["multiValueHeaders"] = {name: [value] for name, value in request["headers"].items()}
    secrets = StaticSecrets({"arn:mt5": json.dumps({"signing_secret": "mt5-secret"})})
    deps = platform_events.Dependencies(
        ingestion=EventIngestion(
            AccountRepository(), TradingEventRepository(), orders=PendingOrderRepository()
        ),
        authentication=PushAuthentication(signing_secrets({"mt5": "arn:mt5"}, secrets)),
        clock=ManualClock(NOW),
    )
    return platform_events.process(request, CONTEXT, deps)


def order(number: int, at: datetime, side: str) -> dict[str, Any]:
    return {
        "type": "order_placed", "time": at.isoformat(), "event_id": f"mt5-ord-{number}",
        "order_id": f"ord-{number}", "symbol": "EURUSD", "side": side, "volume": "1",
        "price": "1.0900" if side == "buy" else "1.0800", "order_type": "stop",
    }  # fmt: skip


def test_opposite_stop_orders_around_two_releases_are_stored_apart_and_flagged_as_news_straddling(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    unique = uuid.uuid4().hex[:8]
    account_id, trader = f"ns-{unique}", f"ns-t-{unique}"
    opened = replace(account(account_id, trader), platform=PlatformReference("mt5", f"p-{unique}", "7001"))
    AccountRepository().open(opened)
    orders = [
        order(number * 2 + offset, release - timedelta(seconds=90 - 10 * offset), side)
        for number, release in enumerate(RELEASES)
        for offset, side in enumerate(("buy", "sell"))
    ]

    answer = push(account_id, orders)

    assert answer["statusCode"] == 202, answer["body"]
    assert json_of(answer)["accepted"] == [o["event_id"] for o in orders]
    assert list(TradingEventRepository().replay(account_id)) == [], "the risk engine's log is untouched"
    assert json_of(push(account_id, orders))["duplicates"] == [o["event_id"] for o in orders]

    name = f"abuse-orders-{unique}"
    client = dynamodb_local.client()
    client.create_table(**create_table_request(ABUSE_STATE_TABLE, name))  # type: ignore[arg-type]
    client.get_waiter("table_exists").wait(TableName=name)
    calendar = StaticCalendar(NewsRelease(at, frozenset({"EURUSD"}), "NFP") for at in RELEASES)
    traders = CachedTraders(AccountRepository())
    clock = ManualClock(NOW)
    detection = AbuseDetection(
        DynamoAbuseState(name, dynamodb_local.client),
        AbuseFlagRepository(),
        dynamo_enforcer(InMemoryAccountControl(), traders, clock.now),
        lambda session: build_monitor(session, AbuseSettings(), calendar=calendar),
        traders,
        clock,
        lambda: uuid.uuid4().hex,
    )
    arn = dynamodb_local.stream_arn(fresh_tables.main)
    records = [
        r
        for r in stream_records(dynamodb_local.streams_client(), arn)
        if r["dynamodb"]["Keys"]["pk"]["S"] == keys.account_pk(account_id)
    ]
    assert sum(r["dynamodb"]["Keys"]["sk"]["S"].startswith(keys.PENDING_PREFIX) for r in records) == 4

    result = abuse_detect.process(
        {"Records": records},
        CONTEXT,
        abuse_detect.Dependencies(detection, TradingEventRepository.from_stream_image),
    )

    assert result == {"batchItemFailures": []}
    flag = AbuseFlagRepository().get(f"news_straddling:{account_id}")
    assert flag is not None and flag.is_open and flag.accounts == (account_id,)
