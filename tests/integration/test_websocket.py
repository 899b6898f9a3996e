"""The WebSocket handlers with the sample `$connect`, `$disconnect` and `$default` events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from propdesk.adapters.fakes import InMemoryPusher, ManualClock
from propdesk.data.connections import ConnectionRepository

from events import load_event
from functions.ws_connect import handler as ws_connect
from functions.ws_default import handler as ws_default
from functions.ws_disconnect import handler as ws_disconnect
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
SAMPLE_TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def with_connection(event: dict[str, object], connection_id: str) -> dict[str, object]:
    event["requestContext"]["connectionId"] = connection_id  # type: ignore[index]
    return event


def connect(connection_id: str, stage: str = "dev") -> dict[str, object]:
    event = with_connection(load_event("websocket/connect"), connection_id)
    return ws_connect.process(event, CONTEXT, (ConnectionRepository(), ManualClock(NOW), stage))


def message(connection_id: str, body: object, pusher: InMemoryPusher) -> dict[str, object]:
    event = with_connection(load_event("websocket/default_ping"), connection_id)
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return ws_default.process(event, CONTEXT, ws_default.Dependencies(ConnectionRepository(), pusher))


def test_connect_records_the_connection_with_its_trader_and_expiry(
    tables: TableNames, unique_id: str
) -> None:
    assert connect(unique_id) == {"statusCode": 200, "body": "connected"}

    stored = ConnectionRepository().get(unique_id)
    assert stored is not None
    assert stored.trader_id == SAMPLE_TRADER
    assert stored.expires_at == NOW + timedelta(hours=2)
    assert eventually(
        lambda: unique_id in [c.connection_id for c in ConnectionRepository().for_trader(SAMPLE_TRADER)]
    )


def test_in_prod_an_unauthorized_connection_stays_anonymous(tables: TableNames, unique_id: str) -> None:
    connect(unique_id, stage="prod")
    stored = ConnectionRepository().get(unique_id)
    assert stored is not None and stored.trader_id is None


def test_disconnect_forgets_the_connection_and_tolerates_a_repeat(tables: TableNames, unique_id: str) -> None:
    connect(unique_id)
    event = with_connection(load_event("websocket/disconnect"), unique_id)

    assert ws_disconnect.process(event, CONTEXT, ConnectionRepository())["statusCode"] == 200
    assert ws_disconnect.process(event, CONTEXT, ConnectionRepository())["statusCode"] == 200
    assert ConnectionRepository().get(unique_id) is None


def test_the_sample_ping_is_answered_with_pong(tables: TableNames) -> None:
    pusher = InMemoryPusher()
    event = load_event("websocket/default_ping")
    response = ws_default.process(event, CONTEXT, ws_default.Dependencies(ConnectionRepository(), pusher))
    assert response == {"statusCode": 200}
    assert pusher.sent == [(event["requestContext"]["connectionId"], {"type": "pong"})]


def test_the_sample_subscribe_adds_topics_to_the_connection(tables: TableNames, unique_id: str) -> None:
    connect(unique_id)
    pusher = InMemoryPusher()
    body = load_event("websocket/default_subscribe")["body"]

    assert message(unique_id, body, pusher) == {"statusCode": 200}

    stored = ConnectionRepository().get(unique_id)
    assert stored is not None and stored.subscriptions == frozenset({"account:acc-1001"})
    assert pusher.sent == [(unique_id, {"type": "subscribed", "topics": ["account:acc-1001"]})]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "body"),
        ("[1, 2]", "body"),
        ({"action": "dance"}, "action"),
        ({"action": "subscribe"}, "topics"),
        ({"action": "subscribe", "topics": "account:1"}, "topics"),
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


def test_subscribing_an_unknown_connection_is_an_error_message(tables: TableNames, unique_id: str) -> None:
    pusher = InMemoryPusher()
    message(f"never-connected-{unique_id}", {"action": "subscribe", "topics": ["account:a"]}, pusher)
    ((_, reply),) = pusher.sent
    assert reply["error"]["code"] == "not_found"
