"""Live updates from the main table's stream, with DynamoDB Local's real stream records: a risk-state change
reaches the account's subscribers as an `account.update` (REST-shaped metrics, new warnings and breaches, the
state's version as sequence number), is kept for resuming, reaches leaderboard subscribers as a standing move,
and a redelivered record pushes the same sequence number again (clients drop it) without keeping it twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.access import RememberedAccounts
from propdesk.data.accounts import AccountRepository, TraderRepository
from propdesk.data.audit import AuditLog
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.connections import ConnectionRepository
from propdesk.data.leaderboards import LeaderboardRepository
from propdesk.data.realtime import FeedRepository, SubscriptionRepository
from propdesk.http.views import metrics_json
from propdesk.realtime.topics import LEADERBOARD_SHARDS, account_topic, leaderboard_topic
from propdesk.records import Connection
from propdesk.services.account_updates import AccountUpdates
from propdesk.services.evaluators import Evaluators
from propdesk.services.live_feed import LiveFeed, RememberedSubscribers
from propdesk.services.projections import Projections
from pynamodb.connection.base import Connection as DynamoDBConnection

from functions.stream_projections import handler as stream_projections
from tests.doubles.ports import InMemoryPusher, ManualClock
from tests.integration.api.api_world import CONTEXT, PROGRAM_ID, Firm, fills_then_breach
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture()
def firm(fresh_tables: TableNames, unique_id: str) -> Iterator[Firm]:
    yield Firm.seed(unique_id)


def live_feed(pusher: InMemoryPusher) -> LiveFeed:
    return LiveFeed(
        ConnectionRepository(), SubscriptionRepository(), FeedRepository(), pusher, AccountRepository()
    )


def dependencies(pusher: InMemoryPusher) -> stream_projections.Dependencies:
    accounts, feed = AccountRepository(), live_feed(pusher)
    return stream_projections.Dependencies(
        Projections(accounts, TraderRepository(), LeaderboardRepository(), AuditLog()),
        AccountUpdates(accounts, Evaluators(CatalogueRepository()), feed, metrics_json),
        feed,
        ManualClock(NOW),
    )


def subscribe(connection_id: str, trader: str, *topics: str) -> None:
    connection = Connection(connection_id, trader, NOW, NOW + timedelta(hours=2))
    ConnectionRepository().put(connection)
    outcome = live_feed(InMemoryPusher()).subscribe(connection, dict.fromkeys(topics))
    assert not outcome.refused


def risk_records(server: DynamoDBLocal, tables: TableNames, versions: int) -> list[dict[str, Any]]:
    """The stream so far, once it holds `versions` risk-state writes (DynamoDB Local's stream may lag)."""

    def complete() -> list[dict[str, Any]]:
        records = stream_records(server.streams_client(), server.stream_arn(tables.main))
        writes = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "RISK"]
        return records if len(writes) >= versions else []

    return eventually(complete, timeout=15)


def pushed(pusher: InMemoryPusher, connection_id: str, kind: str) -> list[dict[str, Any]]:
    return [message for to, message in pusher.sent if to == connection_id and message["type"] == kind]


def test_every_risk_change_reaches_the_accounts_subscriber_in_order_with_the_breach(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    subscribe("conn-trader", firm.trader, f"account:{firm.account_id}")
    firm.trade(firm.account_id, fills_then_breach())
    pusher = InMemoryPusher()

    answer = stream_projections.process(
        {"Records": risk_records(dynamodb_local, fresh_tables, len(fills_then_breach()))},
        CONTEXT,
        dependencies(pusher),
    )

    assert answer == {"batchItemFailures": []}
    updates = pushed(pusher, "conn-trader", "account.update")
    assert [u["seq"] for u in updates] == list(range(1, len(fills_then_breach()) + 1))
    last = updates[-1]
    assert last["topic"] == f"account:{firm.account_id}"
    assert last["metrics"]["status"] == "failed"
    assert last["metrics"]["equity"] == "94000.00"
    assert [b["rule"] for b in last["breaches"]] == ["daily_loss"]
    assert "95,000.00" in last["breaches"][0]["explanation"]
    assert all(not u["breaches"] for u in updates[:-1])


def test_a_warning_at_80_percent_of_a_limit_is_in_the_update_of_that_event(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    subscribe("conn-warned", firm.trader, f"account:{firm.account_id}")
    opened, *_ = fills_then_breach()
    near_the_floor = {"event_id": "t9", "time": "2026-03-02T09:20:00Z", "type": "equity", "equity": "95900"}
    firm.trade(firm.account_id, [opened, near_the_floor])
    pusher = InMemoryPusher()

    stream_projections.process(
        {"Records": risk_records(dynamodb_local, fresh_tables, 2)}, CONTEXT, dependencies(pusher)
    )

    first, second = pushed(pusher, "conn-warned", "account.update")
    assert first["warnings"] == []
    [warning] = second["warnings"]
    assert (warning["rule"], warning["trading_day"], warning["floor"]) == (
        "daily_loss",
        "2026-03-02",
        "95000",
    )
    assert warning["used_share"].startswith("0.82")


def test_the_update_metrics_are_what_the_rest_route_answers(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    from tests.integration.api.api_world import body_of, claims, invoke, request

    subscribe("conn-rest", firm.trader, f"account:{firm.account_id}")
    firm.trade(firm.account_id, fills_then_breach()[:3])
    pusher = InMemoryPusher()
    stream_projections.process(
        {"Records": risk_records(dynamodb_local, fresh_tables, 3)}, CONTEXT, dependencies(pusher)
    )
    last = pushed(pusher, "conn-rest", "account.update")[-1]

    event = request(
        "getAccountMetrics", {"account_id": firm.account_id}, claims(firm.trader), {"tz": "Europe/Prague"}
    )
    rest = body_of(invoke("getAccountMetrics", event, now=datetime.fromisoformat(last["at"])))

    assert last["metrics"] == rest


def test_a_redelivered_batch_pushes_the_same_sequence_numbers_and_keeps_each_once(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    subscribe("conn-twice", firm.trader, f"account:{firm.account_id}")
    firm.trade(firm.account_id, fills_then_breach()[:2])
    records = risk_records(dynamodb_local, fresh_tables, 2)
    pusher = InMemoryPusher()

    stream_projections.process({"Records": records}, CONTEXT, dependencies(pusher))
    stream_projections.process({"Records": records}, CONTEXT, dependencies(pusher))

    assert [u["seq"] for u in pushed(pusher, "conn-twice", "account.update")] == [1, 2, 1, 2]
    kept = FeedRepository().since(account_topic(firm.account_id), 0, 10)
    assert [k["seq"] for k in kept] == [1, 2]


def test_leaderboard_subscribers_get_standing_moves_without_account_ids(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    subscribe("conn-board", "a-spectator", f"leaderboard:{PROGRAM_ID}:day")
    firm.trade(firm.account_id, fills_then_breach()[:3])  # a closed trade: +250.50
    pusher = InMemoryPusher()

    stream_projections.process(
        {"Records": risk_records(dynamodb_local, fresh_tables, 3)}, CONTEXT, dependencies(pusher)
    )

    move = pushed(pusher, "conn-board", "leaderboard.update")[-1]
    assert move["topic"] == f"leaderboard:{PROGRAM_ID}:day"
    assert move["period_key"] == "2026-03-02"
    assert move["entry"]["display_name"] == f"Desk {firm.trader}"
    assert (move["entry"]["profit"], move["entry"]["return_percent"]) == ("250.50", "0.2505")
    assert firm.account_id not in str(move)


def test_a_connection_the_gateway_reports_gone_is_forgotten_with_its_subscriptions(
    firm: Firm, unique_id: str
) -> None:
    topic = account_topic(firm.account_id)
    subscribe("conn-alive", firm.trader, topic.name)
    subscribe("conn-gone", firm.trader, topic.name)
    pusher = InMemoryPusher(gone={"conn-gone"})

    fan_out = live_feed(pusher).publish(topic, {"type": "account.update", "seq": 1}, NOW, sequence=1)

    assert (fan_out.subscribers, fan_out.delivered, fan_out.gone) == (2, 1, ("conn-gone",))
    assert ConnectionRepository().get("conn-gone") is None
    assert list(SubscriptionRepository().subscribers(topic)) == ["conn-alive"]


def test_one_update_reaches_hundreds_of_subscribers_of_a_sharded_topic(fresh_tables: TableNames) -> None:
    topic = leaderboard_topic(PROGRAM_ID, "all")
    subscribers = [f"conn-{n:04d}" for n in range(300)]
    for connection_id in subscribers:
        SubscriptionRepository().add(connection_id, [topic], NOW + timedelta(hours=2))
    pusher = InMemoryPusher()

    fan_out = live_feed(pusher).publish(topic, {"type": "leaderboard.update"}, NOW)

    assert fan_out.delivered == 300
    assert sorted(to for to, _ in pusher.sent) == subscribers


def test_a_balance_change_reads_the_standings_of_the_day_week_and_month_but_not_of_all_time(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The all-time board starts at the initial balance: its standing is written, never read first."""
    firm.trade(firm.account_id, fills_then_breach()[:3])  # a closed trade
    records = risk_records(dynamodb_local, fresh_tables, 3)
    reads: list[str] = []
    original = DynamoDBConnection._make_api_call

    def counted(connection: DynamoDBConnection, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "GetItem" and kwargs["Key"]["pk"]["S"].startswith("LEADERBOARD#"):
            reads.append(kwargs["Key"]["pk"]["S"])
        return original(connection, operation, kwargs)

    monkeypatch.setattr(DynamoDBConnection, "_make_api_call", counted)
    stream_projections.process({"Records": records}, CONTEXT, dependencies(InMemoryPusher()))

    # two balance changes (the first state: the opening balance; the close), three boards read for each
    assert len(reads) == 2 * 3 and not any("#all#" in pk for pk in reads)
    standings = {board: LeaderboardRepository().get(PROGRAM_ID, board, firm.account_id) for board in
                 ("2026-03-02", "all")}  # fmt: skip
    assert all(s is not None and s.balance - s.start_balance == Decimal("250.50") for s in standings.values())


def test_one_read_of_the_account_per_record_serves_its_live_update_and_its_standings(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe("conn-once", firm.trader, f"account:{firm.account_id}", f"leaderboard:{PROGRAM_ID}:day")
    firm.trade(firm.account_id, fills_then_breach()[:3])  # a closed trade
    records = risk_records(dynamodb_local, fresh_tables, 3)
    plain, remembering = InMemoryPusher(), InMemoryPusher()
    stream_projections.process({"Records": records}, CONTEXT, dependencies(plain))
    reads: list[str] = []
    original = DynamoDBConnection._make_api_call

    def counted(connection: DynamoDBConnection, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "GetItem" and kwargs["Key"]["pk"]["S"] == f"ACCOUNT#{firm.account_id}":
            reads.append(kwargs["Key"]["sk"]["S"])
        return original(connection, operation, kwargs)

    monkeypatch.setattr(DynamoDBConnection, "_make_api_call", counted)
    accounts = RememberedAccounts(AccountRepository())
    feed = live_feed(remembering)
    deps = stream_projections.Dependencies(
        Projections(accounts, TraderRepository(), LeaderboardRepository(), AuditLog()),
        AccountUpdates(accounts, Evaluators(CatalogueRepository()), feed, metrics_json),
        feed,
        ManualClock(NOW),
        accounts,
    )
    stream_projections.process({"Records": records}, CONTEXT, deps)

    assert reads.count("META") == 3  # one per risk state (three records), not one more per balance change
    assert remembering.sent == plain.sent


def test_a_batch_reads_each_boards_subscribers_once_and_pushes_what_it_pushed_before(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe("conn-day", "a-spectator", f"leaderboard:{PROGRAM_ID}:day")
    subscribe("conn-all", firm.trader, f"leaderboard:{PROGRAM_ID}:all", f"account:{firm.account_id}")
    firm.trade(firm.account_id, fills_then_breach()[:3])  # two balance changes: the opening one, the close
    records = risk_records(dynamodb_local, fresh_tables, 3)
    plain, remembering = InMemoryPusher(), InMemoryPusher()
    stream_projections.process({"Records": records}, CONTEXT, dependencies(plain))
    queries: list[str] = []
    original = DynamoDBConnection._make_api_call

    def counted(connection: DynamoDBConnection, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "Query" and "Realtime" in kwargs["TableName"]:
            queries.append(str(kwargs.get("KeyConditionExpression")))
        return original(connection, operation, kwargs)

    monkeypatch.setattr(DynamoDBConnection, "_make_api_call", counted)
    subscriptions = RememberedSubscribers(SubscriptionRepository())
    feed = LiveFeed(ConnectionRepository(), subscriptions, FeedRepository(), remembering, AccountRepository())
    deps = stream_projections.Dependencies(
        Projections(AccountRepository(), TraderRepository(), LeaderboardRepository(), AuditLog()),
        AccountUpdates(AccountRepository(), Evaluators(CatalogueRepository()), feed, metrics_json),
        feed,
        ManualClock(NOW),
        subscriptions=subscriptions,
    )
    assert stream_projections.process({"Records": records}, CONTEXT, deps) == {"batchItemFailures": []}

    # day and all are watched, each board's subscribers in 8 shards; week and month are not (their counts,
    # started at 0 by the first run, say so: no Query)
    watched, shards = 2, LEADERBOARD_SHARDS
    account_topic_reads = 3  # one per risk state, as before
    assert len(queries) == watched * shards + account_topic_reads  # before: twice the boards' (two moves)
    assert remembering.sent == plain.sent and pushed(remembering, "conn-day", "leaderboard.update")
    stream_projections.process({"Records": records}, CONTEXT, deps)  # the next batch reads them again
    assert len(queries) == 2 * (watched * shards + account_topic_reads)


def test_a_batch_of_several_accounts_reads_them_in_one_request_and_pushes_the_same(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe("conn-one", firm.trader, f"account:{firm.account_id}")
    subscribe("conn-other", firm.other_trader, f"account:{firm.other_account_id}")
    firm.trade(firm.account_id, fills_then_breach()[:1])
    firm.trade(firm.other_account_id, fills_then_breach()[:1])
    records = risk_records(dynamodb_local, fresh_tables, 2)
    plain, preloading = InMemoryPusher(), InMemoryPusher()
    stream_projections.process({"Records": records}, CONTEXT, dependencies(plain))
    operations: list[str] = []
    original = DynamoDBConnection._make_api_call

    def counted(connection: DynamoDBConnection, operation: str, kwargs: dict[str, Any]) -> Any:
        key = kwargs.get("Key") or {}
        if operation == "BatchGetItem" or key.get("sk", {}).get("S") == "META":
            operations.append(operation)
        return original(connection, operation, kwargs)

    monkeypatch.setattr(DynamoDBConnection, "_make_api_call", counted)
    repository = AccountRepository()
    accounts = RememberedAccounts(repository, repository)
    feed = live_feed(preloading)
    deps = stream_projections.Dependencies(
        Projections(accounts, TraderRepository(), LeaderboardRepository(), AuditLog()),
        AccountUpdates(accounts, Evaluators(CatalogueRepository()), feed, metrics_json),
        feed,
        ManualClock(NOW),
        accounts,
    )
    stream_projections.process({"Records": records}, CONTEXT, deps)

    assert operations == ["BatchGetItem"]  # both accounts in one request, none read alone
    assert preloading.sent == plain.sent and {to for to, _ in plain.sent} == {"conn-one", "conn-other"}
