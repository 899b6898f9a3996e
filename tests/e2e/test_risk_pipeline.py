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
    answer = stack.push_events(account_id, events)
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
        {
            "event_id": "t1",
            "time": (opened_at + timedelta(minutes=1)).isoformat(),
            "type": "equity",
            "equity": "97000.00",
        },
        {
            "event_id": "t2",
            "time": (opened_at + timedelta(minutes=2)).isoformat(),
            "type": "equity",
            "equity": "94900.00",
        },
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


def risk_officer_token(stack: DeployedStack) -> str:
    """A staff member in the `risk` group (the one that may override breaches)."""
    from scripts.local_cloud.seed import DEMO_PASSWORD, ensure_user

    cognito = stack.client("cognito-idp")
    email = "risk@demo.propdesk.local"
    ensure_user(cognito, stack.outputs["UserPoolId"], email, "risk")
    return stack.id_token(email, DEMO_PASSWORD)


def test_an_override_with_reinstatement_makes_the_metrics_active_again(
    stack: DeployedStack, trader_token: str
) -> None:
    account_id = f"e2e-{uuid.uuid4().hex[:10]}"
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    open_demo_account(stack, account_id, opened_at)
    post_events(stack, account_id, [
        {"event_id": "t1", "time": (opened_at + timedelta(minutes=1)).isoformat(), "type": "equity",
         "equity": "94900.00"},
    ])  # fmt: skip
    failed = eventually(
        lambda: (v := account_view(stack, trader_token, account_id))["account"]["status"] == "failed" and v
    )
    [breach] = failed["breaches"]

    reason = "a bad price from the platform feed"
    answer = stack.http(
        "POST", f"/v1/staff/accounts/{account_id}/breach-overrides",
        body={"breach_id": breach["breach_id"], "reason": reason, "reinstate": True},
        headers={"Authorization": risk_officer_token(stack)},
    )  # fmt: skip

    assert answer.status in (200, 201), answer.body
    assert answer.body["account_status"] == "active"
    view = eventually(
        lambda: (v := account_view(stack, trader_token, account_id))["risk"]["status"] == "active" and v
    )
    assert view["account"]["status"] == "active"
    assert view["breaches"][0]["override"]["reason"] == reason
    metrics = stack.http("GET", f"/v1/accounts/{account_id}/metrics", headers={"Authorization": trader_token})
    assert metrics.status == 200 and metrics.body["status"] == "active", metrics.body
