"""Leaderboard subscribers cost nothing when nobody watches (DynamoDB Local, the WebSocket handlers and the
stream handler with real stream records): each board keeps a subscriber count that `$default`'s subscribe
and unsubscribe and `$disconnect` move in the same transaction as the subscription, never below zero nor
twice for one subscription; a stream batch reads a board's count, and queries its shards only when somebody
watches. A watcher still gets every standing move, the same message as before; a count left high by a
subscription that expired (TTL, no `$disconnect`) is set to 0 by the read that finds nobody."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.connections import ConnectionRepository
from propdesk.data.models import SubscriptionItem
from propdesk.data.realtime import FeedRepository, SubscriptionRepository
from propdesk.realtime.topics import LEADERBOARD_SHARDS, leaderboard_topic
from propdesk.services.live_feed import LiveFeed, NoPusher
from pynamodb.connection.base import Connection as DynamoDBConnection

from events import load_event
from functions.stream_projections import handler as stream_projections
from functions.ws_disconnect import handler as ws_disconnect
from tests.doubles.ports import InMemoryPusher
from tests.integration.api.api_world import CONTEXT, PROGRAM_ID, Firm, fills_then_breach
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.test_live_updates import dependencies, pushed, risk_records
from tests.integration.test_websocket import connect, message

pytestmark = pytest.mark.integration

BOARDS = ("day", "week", "month", "all")


@pytest.fixture()
def firm(fresh_tables: TableNames, unique_id: str) -> Iterator[Firm]:
    yield Firm.seed(unique_id)


def board(period: str) -> str:
    return f"leaderboard:{PROGRAM_ID}:{period}"


def count(period: str) -> int | None:
    return SubscriptionRepository().subscriber_count(leaderboard_topic(PROGRAM_ID, period))


def watch(connection_id: str, *periods: str) -> None:
    connect(connection_id)
    answer = message(
        connection_id, {"action": "subscribe", "topics": [board(p) for p in periods]}, InMemoryPusher()
    )
    assert answer["statusCode"] == 200


def disconnect(connection_id: str) -> None:
    event = load_event("websocket/disconnect")
    event["requestContext"]["connectionId"] = connection_id
    feed = LiveFeed(ConnectionRepository(), SubscriptionRepository(), FeedRepository(), NoPusher())
    assert ws_disconnect.process(event, CONTEXT, feed)["statusCode"] == 200


class Requests:
    """The realtime table's requests meanwhile: subscription Queries and count reads, by board."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.count_reads: list[str] = []

    def __call__(self, operation: str, kwargs: dict[str, Any]) -> None:
        if "Realtime" not in str(kwargs.get("TableName")):
            return
        if operation == "Query":
            partition = json.dumps(kwargs.get("ExpressionAttributeValues"))
            if "SUB#leaderboard" in partition:
                self.queries.append(partition)
        elif operation == "GetItem" and kwargs["Key"]["pk"]["S"].startswith("SUBCOUNT#"):
            self.count_reads.append(kwargs["Key"]["pk"]["S"])


@pytest.fixture()
def requests(monkeypatch: pytest.MonkeyPatch) -> Requests:
    seen = Requests()
    original = DynamoDBConnection._make_api_call

    def counted(connection: DynamoDBConnection, operation: str, kwargs: dict[str, Any]) -> Any:
        seen(operation, kwargs)
        return original(connection, operation, kwargs)

    monkeypatch.setattr(DynamoDBConnection, "_make_api_call", counted)
    return seen


def test_subscribing_counts_each_connection_once_and_leaving_never_goes_below_zero(
    fresh_tables: TableNames,
) -> None:
    watch("conn-a", "day", "week")
    watch("conn-b", "day")
    message("conn-a", {"action": "subscribe", "topics": [board("day")]}, InMemoryPusher())  # again: no change
    assert (count("day"), count("week"), count("month")) == (2, 1, None)

    message("conn-a", {"action": "unsubscribe", "topics": [board("day"), board("month")]}, InMemoryPusher())
    message("conn-a", {"action": "unsubscribe", "topics": [board("day")]}, InMemoryPusher())  # again
    assert (count("day"), count("week"), count("month")) == (1, 1, None)

    disconnect("conn-a")
    disconnect("conn-b")
    disconnect("conn-b")  # $disconnect delivered twice
    assert (count("day"), count("week")) == (0, 0)
    assert SubscriptionRepository().subscribers(leaderboard_topic(PROGRAM_ID, "day")) == []


def test_a_batch_reads_no_subscribers_of_boards_nobody_watches_and_a_new_watcher_gets_the_moves(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, requests: Requests
) -> None:
    watch("conn-gone", *BOARDS)
    disconnect("conn-gone")  # every board watched once, nobody now
    firm.trade(firm.account_id, fills_then_breach()[:3])  # two balance changes: the opening one, the close
    records = risk_records(dynamodb_local, fresh_tables, 3)
    requests.queries.clear()

    unwatched = InMemoryPusher()
    assert stream_projections.process({"Records": records}, CONTEXT, dependencies(unwatched)) == {
        "batchItemFailures": []
    }

    assert requests.queries == []  # before: 4 boards x 8 shards, for each balance change
    assert len(requests.count_reads) == 2 * len(BOARDS)  # one read per board per balance change
    assert pushed(unwatched, "conn-gone", "leaderboard.update") == []

    watch("conn-new", "day")
    requests.queries.clear()
    watched = InMemoryPusher()
    stream_projections.process({"Records": records}, CONTEXT, dependencies(watched))

    assert len(requests.queries) == 2 * LEADERBOARD_SHARDS  # the day board's shards, for each balance change
    moves = pushed(watched, "conn-new", "leaderboard.update")
    assert len(moves) == 2
    assert moves[-1]["topic"] == board("day")
    assert (moves[-1]["entry"]["profit"], moves[-1]["entry"]["return_percent"]) == ("250.50", "0.2505")


def test_a_board_never_counted_is_read_once_and_then_counted_as_unwatched(
    firm: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, requests: Requests
) -> None:
    """Subscriptions made before the count existed are still found: a board without a count is queried; found
    empty, its count starts at 0 and the next batch skips it."""
    firm.trade(firm.account_id, fills_then_breach()[:3])
    records = risk_records(dynamodb_local, fresh_tables, 3)
    requests.queries.clear()
    stream_projections.process({"Records": records}, CONTEXT, dependencies(InMemoryPusher()))
    first = len(requests.queries)
    assert first == len(BOARDS) * LEADERBOARD_SHARDS  # the first balance change reads them; the count starts
    assert all(count(period) == 0 for period in BOARDS)

    stream_projections.process({"Records": records}, CONTEXT, dependencies(InMemoryPusher()))
    assert len(requests.queries) == first


def test_a_count_left_high_by_an_expired_subscription_is_corrected_by_the_read_that_finds_nobody(
    fresh_tables: TableNames,
) -> None:
    watch("conn-expired", "day")
    topic = leaderboard_topic(PROGRAM_ID, "day")
    shard = topic.shard_of("conn-expired")
    SubscriptionItem(keys.subscription_pk(topic.name, shard), "conn-expired").delete()  # TTL, no $disconnect
    assert count("day") == 1

    assert SubscriptionRepository().subscribers(topic) == []
    assert count("day") == 0  # nothing changed since the count was read: corrected

    watch("conn-next", "day")
    assert (count("day"), SubscriptionRepository().subscribers(topic)) == (1, ["conn-next"])
