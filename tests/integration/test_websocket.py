"""The WebSocket handlers with the sample `$connect`, `$disconnect` and `$default` events against DynamoDB
Local: authorized connections, subscriptions only to what a connection may read, resume by sequence number."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.connections import ConnectionRepository
from propdesk.data.realtime import FeedRepository, SubscriptionRepository
from propdesk.realtime.topics import account_topic, parse_topic
from propdesk.services.live_feed import LiveFeed, NoPusher

from events import load_event
from functions.ws_connect import handler as ws_connect
from functions.ws_default import handler as ws_default
from functions.ws_disconnect import handler as ws_disconnect
from tests.doubles.ports import InMemoryPusher, ManualClock
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
SAMPLE_TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def with_connection(event: dict[str, Any], connection_id: str) -> dict[str, Any]:
    event["requestContext"]["connectionId"] = connection_id
    return event


def connect(connection_id: str, trader: str = SAMPLE_TRADER, groups: str = "") -> dict[str, Any]:
    event = with_connection(load_event("websocket/connect"), connection_id)
    event["requestContext"]["authorizer"].update({"principalId": trader, "groups": groups})
    return ws_connect.process(event, CONTEXT, (ConnectionRepository(), ManualClock(NOW)))


def feed(pusher: InMemoryPusher | None = None) -> LiveFeed:
    return LiveFeed(
        ConnectionRepository(), SubscriptionRepository(), FeedRepository(), pusher or InMemoryPusher(),
        AccountRepository(),
    )  # fmt: skip


def message(connection_id: str, body: object, pusher: InMemoryPusher) -> dict[str, Any]:
    event = with_connection(load_event("websocket/default_ping"), connection_id)
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    deps = ws_default.Dependencies(ConnectionRepository(), pusher, feed(pusher))
    return ws_default.process(event, CONTEXT, deps)


def replies(pusher: InMemoryPusher, connection_id: str) -> list[dict[str, Any]]:
    return [sent for to, sent in pusher.sent if to == connection_id]


def open_account(account_id: str, trader: str = SAMPLE_TRADER) -> None:
    AccountRepository().open(account(account_id, trader_id=trader))


def keep(account_id: str, seq: int) -> None:
    message = {"type": "account.update", "topic": f"account:{account_id}", "seq": seq}
    FeedRepository().append(account_topic(account_id), seq, message, NOW + timedelta(days=1))


def test_connect_records_the_authorizers_principal_groups_and_expiry(
    tables: TableNames, unique_id: str
) -> None:
    assert connect(unique_id, groups="risk,support") == {"statusCode": 200, "body": "connected"}

    stored = ConnectionRepository().get(unique_id)
    assert stored is not None
    assert stored.trader_id == SAMPLE_TRADER
    assert stored.groups == frozenset({"risk", "support"})
    assert stored.expires_at == NOW + timedelta(hours=2)
    assert eventually(
        lambda: unique_id in [c.connection_id for c in ConnectionRepository().for_trader(SAMPLE_TRADER)]
    )


def test_a_connect_without_an_authorizers_principal_is_refused(tables: TableNames, unique_id: str) -> None:
    event = with_connection(load_event("websocket/connect"), unique_id)
    del event["requestContext"]["authorizer"]

    assert ws_connect.process(event, CONTEXT, (ConnectionRepository(), ManualClock(NOW)))["statusCode"] == 401
    assert ConnectionRepository().get(unique_id) is None


def test_the_sample_ping_is_answered_with_pong(tables: TableNames) -> None:
    pusher = InMemoryPusher()
    event = load_event("websocket/default_ping")
    deps = ws_default.Dependencies(ConnectionRepository(), pusher, feed(pusher))

    assert ws_default.process(event, CONTEXT, deps) == {"statusCode": 200}
    assert pusher.sent == [(event["requestContext"]["connectionId"], {"type": "pong"})]


def test_a_trader_subscribes_to_own_accounts_and_leaderboards_but_not_to_anothers(
    tables: TableNames, unique_id: str
) -> None:
    mine, theirs = f"acc-{unique_id}", f"acc-other-{unique_id}"
    open_account(mine)
    open_account(theirs, trader="someone-else")
    connect(unique_id)
    pusher = InMemoryPusher()
    topics = [f"account:{mine}", f"account:{theirs}", "account:never-opened", "leaderboard:p:day"]

    message(unique_id, {"action": "subscribe", "topics": topics}, pusher)

    [confirmation] = replies(pusher, unique_id)
    assert confirmation["type"] == "subscribed"
    assert confirmation["topics"] == [f"account:{mine}", "leaderboard:p:day"]
    assert [(r["topic"], r["code"]) for r in confirmation["refused"]] == [
        (f"account:{theirs}", "not_found"),
        ("account:never-opened", "not_found"),  # the same answer: nothing tells whether an account exists
    ]
    stored = ConnectionRepository().get(unique_id)
    assert stored is not None and stored.subscriptions == {f"account:{mine}", "leaderboard:p:day"}
    assert list(SubscriptionRepository().subscribers(account_topic(mine))) == [unique_id]
    assert list(SubscriptionRepository().subscribers(account_topic(theirs))) == []


def test_staff_who_may_read_accounts_subscribe_to_any_account(tables: TableNames, unique_id: str) -> None:
    open_account(f"acc-{unique_id}", trader="a-trader")
    connect(unique_id, trader="staff-1", groups="support")
    pusher = InMemoryPusher()

    message(unique_id, {"action": "subscribe", "topics": [f"account:acc-{unique_id}"]}, pusher)

    assert replies(pusher, unique_id)[0]["topics"] == [f"account:acc-{unique_id}"]


def test_a_resume_sends_every_kept_update_after_the_last_one_seen_in_order(
    tables: TableNames, unique_id: str
) -> None:
    account_id = f"acc-{unique_id}"
    open_account(account_id)
    connect(unique_id)
    for seq in range(1, 6):
        keep(account_id, seq)
    pusher = InMemoryPusher()

    message(unique_id, {"action": "subscribe", "topics": [f"account:{account_id}"], "since": {
        f"account:{account_id}": 2}}, pusher)  # fmt: skip

    confirmation, *missed = replies(pusher, unique_id)
    assert confirmation["type"] == "subscribed"
    assert [m["seq"] for m in missed] == [3, 4, 5]


def test_a_first_subscribe_gets_the_latest_state_and_an_up_to_date_client_nothing(
    tables: TableNames, unique_id: str
) -> None:
    account_id = f"acc-{unique_id}"
    open_account(account_id)
    connect(unique_id)
    for seq in (1, 2):
        keep(account_id, seq)
    first, again = InMemoryPusher(), InMemoryPusher()
    topic = f"account:{account_id}"

    message(unique_id, {"action": "subscribe", "topics": [topic]}, first)
    message(unique_id, {"action": "subscribe", "topics": [topic], "since": {topic: 2}}, again)

    assert [m.get("seq") for m in replies(first, unique_id)] == [None, 2]
    assert len(replies(again, unique_id)) == 1


def test_a_client_behind_what_is_kept_is_told_to_reload(tables: TableNames, unique_id: str) -> None:
    account_id = f"acc-{unique_id}"
    open_account(account_id)
    connect(unique_id)
    for seq in (7, 8):  # 1..6 have expired
        keep(account_id, seq)
    pusher = InMemoryPusher()
    topic = f"account:{account_id}"

    message(unique_id, {"action": "subscribe", "topics": [topic], "since": {topic: 3}}, pusher)

    _, notice = replies(pusher, unique_id)
    assert notice == {
        "type": "resync", "topic": topic, "since": 3, "message": notice["message"],
    }  # fmt: skip


def test_unsubscribe_stops_the_topic(tables: TableNames, unique_id: str) -> None:
    connect(unique_id)
    pusher = InMemoryPusher()
    message(unique_id, {"action": "subscribe", "topics": ["leaderboard:p:week"]}, pusher)

    message(unique_id, {"action": "unsubscribe", "topics": ["leaderboard:p:week"]}, pusher)

    assert replies(pusher, unique_id)[-1] == {"type": "unsubscribed", "topics": ["leaderboard:p:week"]}
    assert unique_id not in list(SubscriptionRepository().subscribers(parse_topic("leaderboard:p:week")))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "body"),
        ("[1, 2]", "body"),
        ({"action": "dance"}, "action"),
        ({"action": "subscribe"}, "topics"),
        ({"action": "subscribe", "topics": "account:1"}, "topics"),
        ({"action": "subscribe", "topics": ["account:a"], "since": {"account:a": -1}}, "since.account:a"),
        ({"action": "ping", "extra": True}, "extra"),
    ],
)
def test_bad_messages_get_an_error_message_not_a_failure(
    tables: TableNames, unique_id: str, body: object, field: str
) -> None:
    connect(unique_id)
    pusher = InMemoryPusher()

    response = message(unique_id, body, pusher)

    assert response == {"statusCode": 200}
    ((_, reply),) = pusher.sent
    assert reply["type"] == "error" and reply["error"]["field"] == field


def test_an_unknown_topic_is_refused_with_the_known_forms(tables: TableNames, unique_id: str) -> None:
    connect(unique_id)
    pusher = InMemoryPusher()

    message(unique_id, {"action": "subscribe", "topics": ["trader:me"]}, pusher)

    [confirmation] = replies(pusher, unique_id)
    assert confirmation["topics"] == []
    assert confirmation["refused"][0]["code"] == "validation_error"
    assert "account:{account_id}" in confirmation["refused"][0]["message"]


def test_subscribing_an_unknown_connection_is_an_error_message(tables: TableNames, unique_id: str) -> None:
    pusher = InMemoryPusher()
    message(f"never-connected-{unique_id}", {"action": "subscribe", "topics": ["account:a"]}, pusher)
    ((_, reply),) = pusher.sent
    assert reply["error"]["code"] == "not_found"


def test_disconnect_forgets_the_connection_and_its_subscriptions(tables: TableNames, unique_id: str) -> None:
    connect(unique_id)
    message(unique_id, {"action": "subscribe", "topics": ["leaderboard:p:month"]}, InMemoryPusher())
    event = with_connection(load_event("websocket/disconnect"), unique_id)
    manager = LiveFeed(ConnectionRepository(), SubscriptionRepository(), FeedRepository(), NoPusher())

    assert ws_disconnect.process(event, CONTEXT, manager)["statusCode"] == 200
    assert ws_disconnect.process(event, CONTEXT, manager)["statusCode"] == 200
    assert ConnectionRepository().get(unique_id) is None
    assert unique_id not in list(SubscriptionRepository().subscribers(parse_topic("leaderboard:p:month")))
