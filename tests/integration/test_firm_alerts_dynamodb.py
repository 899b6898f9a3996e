"""The firm's alerts against DynamoDB Local: the consumer keeps each `firm.alert` once (the sample SQS
message, redelivered), and staff page through them newest first at GET /v1/staff/alerts."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.data.alerts import AlertRepository
from propdesk.errors import InvalidCursorError
from propdesk.records import StaffAlert

from events import load_event
from functions.firm_alerts import handler as firm_alerts
from tests.integration.api.api_world import body_of, claims, clear_wiring, invoke, request
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    firm_alerts.production_dependencies.cache_clear()
    clear_wiring()
    yield
    firm_alerts.production_dependencies.cache_clear()
    clear_wiring()


def stored(event_id: str, minutes: int) -> StaffAlert:
    return StaffAlert(event_id, T0 + timedelta(minutes=minutes), "warning", f"alert {event_id}", "look")


def test_a_redelivered_alert_is_kept_once(fresh_tables: TableNames) -> None:
    batch = load_event("sqs/firm_alerts_firm_alert")

    for _ in range(2):
        answer = firm_alerts.handler(copy.deepcopy(batch), LambdaContextStub())
        assert answer == {"batchItemFailures": []}

    (kept,) = AlertRepository().newest().items
    assert (kept.event_id, kept.severity, kept.order_id) == (
        "c0ffee0123456789abcdef0123456789",
        "critical",
        "ord_01HQ4K",
    )


def test_a_malformed_alert_comes_back_alone(fresh_tables: TableNames) -> None:
    batch: dict[str, Any] = load_event("sqs/firm_alerts_firm_alert")
    broken = copy.deepcopy(batch["Records"][0])
    body = json.loads(broken["body"])
    body["detail"]["severity"] = "apocalyptic"
    body["detail"]["event_id"] = "broken-1"
    broken.update(messageId="broken", body=json.dumps(body))
    batch["Records"].append(broken)

    answer = firm_alerts.handler(batch, LambdaContextStub())

    assert answer == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert [a.event_id for a in AlertRepository().newest().items] == ["c0ffee0123456789abcdef0123456789"]


def test_the_store_pages_newest_first_and_refuses_a_foreign_cursor(fresh_tables: TableNames) -> None:
    alerts = AlertRepository()
    for number in range(5):
        assert alerts.record(stored(f"a{number}", number))
    assert not alerts.record(stored("a1", 1))

    first = alerts.newest(limit=2)
    second = alerts.newest(limit=2, cursor=first.next_cursor)
    third = alerts.newest(limit=2, cursor=second.next_cursor)

    assert [a.event_id for a in first.items + second.items + third.items] == ["a4", "a3", "a2", "a1", "a0"]
    assert third.next_cursor is None
    with pytest.raises(InvalidCursorError):
        alerts.newest(cursor="eyJwayI6eyJTIjoiT1RIRVIifX0")


def test_staff_read_the_alerts_newest_first_through_the_api(fresh_tables: TableNames) -> None:
    for number in range(3):
        AlertRepository().record(stored(f"a{number}", number))

    risk = claims("risk-1", "risk")
    answer = invoke("listFirmAlerts", request("listFirmAlerts", None, risk, {"limit": "2"}))

    assert answer["statusCode"] == 200
    page = body_of(answer)
    assert [a["alert_id"] for a in page["alerts"]] == ["a2", "a1"]
    assert page["alerts"][0] == {
        "alert_id": "a2", "occurred_at": "2026-03-02T10:02:00Z", "severity": "warning", "subject": "alert a2",
        "message": "look", "order_id": None, "trader_id": None,
    }  # fmt: skip
    rest = invoke(
        "listFirmAlerts", request("listFirmAlerts", None, risk, {"limit": "2", "cursor": page["next_cursor"]})
    )
    assert [a["alert_id"] for a in body_of(rest)["alerts"]] == ["a0"]


def test_support_and_traders_may_not_read_the_alerts(fresh_tables: TableNames) -> None:
    for identity in (claims("support-1", "support"), claims("trader-1", "trader")):
        assert invoke("listFirmAlerts", request("listFirmAlerts", None, identity))["statusCode"] == 403
