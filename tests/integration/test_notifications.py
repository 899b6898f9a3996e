"""notifications: the sample SQS message carrying an EventBridge event, against DynamoDB Local."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.data.connections import ConnectionRepository
from propdesk.data.notifications import NotificationRepository
from propdesk.records import Connection
from propdesk.services.notifications import NotificationService

from events import load_event
from functions.notifications import handler as notifications
from tests.doubles.ports import InMemoryPusher
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
NOW = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


def sqs_batch(trader_id: str, *bodies: dict[str, Any] | str) -> dict[str, Any]:
    sample = load_event("sqs/notifications_account_breached")
    template = sample["Records"][0]
    records = []
    for number, body in enumerate(bodies, start=1):
        record = copy.deepcopy(template)
        record["messageId"] = f"message-{number}"
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        records.append(record)
    return {"Records": records}


def breached_event(trader_id: str, event_id: str = "ev-1") -> dict[str, Any]:
    event = load_event("eventbridge/account_breached")
    event["detail"]["trader_id"] = trader_id
    event["detail"]["event_id"] = event_id
    return event


@pytest.fixture()
def pusher() -> InMemoryPusher:
    return InMemoryPusher(gone={"gone-connection"})


@pytest.fixture()
def service(tables: TableNames, pusher: InMemoryPusher) -> NotificationService:
    return NotificationService(NotificationRepository(), ConnectionRepository(), pusher)


def connect(trader_id: str, *connection_ids: str) -> None:
    for connection_id in connection_ids:
        ConnectionRepository().put(Connection(connection_id, trader_id, NOW, NOW + timedelta(hours=2)))


def test_the_sample_message_is_stored_and_pushed_to_live_connections(
    fresh_tables: TableNames, pusher: InMemoryPusher, unique_id: str
) -> None:
    """Fresh tables: the sample's trader is the one the WebSocket samples connect too."""
    service = NotificationService(NotificationRepository(), ConnectionRepository(), pusher)
    event = load_event("sqs/notifications_account_breached")
    trader = json.loads(event["Records"][0]["body"])["detail"]["trader_id"]
    connect(trader, f"live-{unique_id}", "gone-connection")

    response = notifications.process(event, CONTEXT, service)

    assert response == {"batchItemFailures": []}
    stored = NotificationRepository().list_for_trader(trader).items
    assert [n.detail_type for n in stored] == ["account.breached"]
    assert [(c, m["detail_type"]) for c, m in pusher.sent] == [(f"live-{unique_id}", "account.breached")]
    assert ConnectionRepository().get("gone-connection") is None


def test_a_redelivered_event_is_neither_stored_nor_pushed_again(
    service: NotificationService, pusher: InMemoryPusher, unique_id: str
) -> None:
    connect(unique_id, f"c-{unique_id}")
    batch = sqs_batch(unique_id, breached_event(unique_id))
    notifications.process(batch, CONTEXT, service)
    notifications.process(batch, CONTEXT, service)

    assert len(NotificationRepository().list_for_trader(unique_id).items) == 1
    assert len(pusher.sent) == 1


def test_unreadable_messages_are_reported_alone(service: NotificationService, unique_id: str) -> None:
    missing_limit = breached_event(unique_id, "ev-bad")
    del missing_limit["detail"]["limit"]
    batch = sqs_batch(unique_id, breached_event(unique_id, "ev-good"), "not json", missing_limit)

    response = notifications.process(batch, CONTEXT, service)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "message-2"}, {"itemIdentifier": "message-3"}]
    }
    assert [n.event_id for n in NotificationRepository().list_for_trader(unique_id).items] == ["ev-good"]


def test_types_outside_the_catalogue_are_kept_as_they_come(
    service: NotificationService, unique_id: str
) -> None:
    unlisted = {
        "version": "0",
        "id": "e-1",
        "detail-type": "account.example_not_in_the_catalogue",
        "source": "propdesk",
        "time": "2026-03-02T10:00:00Z",
        "detail": {"trader_id": unique_id, "order_id": "o-1", "amount": "540.00"},
    }
    assert notifications.process(sqs_batch(unique_id, unlisted), CONTEXT, service) == {
        "batchItemFailures": []
    }
    (stored,) = NotificationRepository().list_for_trader(unique_id).items
    assert stored.detail == {"trader_id": unique_id, "order_id": "o-1", "amount": "540.00"}
