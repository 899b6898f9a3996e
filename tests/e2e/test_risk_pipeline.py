"""Trading events pushed by a platform flow through the table's stream into the risk engine, and the
account's breach is visible through the API, once, however often the platform repeats itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.harness import DeployedStack, eventually, open_demo_account

pytestmark = pytest.mark.e2e


def post_events(stack: DeployedStack, account_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    answer = stack.http(
        "POST", "/v1/platform/events",
        body={"account_id": account_id, "events": events},
        headers={"x-api-key": stack.demo["platform_api_key"]},
    )
    assert answer.status == 202, answer.body
    body: dict[str, Any] = answer.body
    return body


def account_view(stack: DeployedStack, token: str, account_id: str) -> dict[str, Any]:
    answer = stack.http("GET", f"/v1/accounts/{account_id}", headers={"Authorization": token})
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def test_an_equity_drop_below_the_daily_floor_fails_the_account_once(
    stack: DeployedStack, trader_token: str
) -> None:
    account_id = f"e2e-{uuid.uuid4().hex[:10]}"
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    open_demo_account(stack, account_id, opened_at)
    events = [
        {"event_id": "t1", "time": (opened_at + timedelta(minutes=1)).isoformat(), "type": "equity",
         "equity": "97000.00"},
        {"event_id": "t2", "time": (opened_at + timedelta(minutes=2)).isoformat(), "type": "equity",
         "equity": "94900.00"},
    ]

    first = post_events(stack, account_id, events)
    again = post_events(stack, account_id, events)

    assert first["accepted"] == ["t1", "t2"]
    assert again["duplicates"] == ["t1", "t2"]
    view = eventually(
        lambda: (v := account_view(stack, trader_token, account_id))["account"]["status"] == "failed" and v
    )
    assert view["account"]["status"] == "failed"
    [breach] = view["breaches"]
    assert breach["rule"] == "daily_loss"
    assert breach["limit"] == "95000" or breach["limit"].startswith("95000")
    assert breach["value"].startswith("94900")
    assert breach["event_id"] == "t2"
    assert view["risk"]["metrics"]["equity"] == "94900.00"
