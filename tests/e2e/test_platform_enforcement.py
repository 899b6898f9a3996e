"""Enforcement on the platform, end to end: a breaching trading event posted through the API fails the
account, and the deployed platform_commands function closes its position and disables it on Match-Trader
(the fake's own state, read here); the command's audit entry and the account's platform state are visible
through the API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fakes.match_trader import FakeMatchTrader
from tests.e2e.harness import DeployedStack, eventually
from tests.e2e.platform_cloud import (
    breaching_events,
    connected_match_trader,
    open_placed_account,
    post_events,
)

# Run alone, this test also pays for deploying the session's stack.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def match_trader(stack: DeployedStack) -> Iterator[FakeMatchTrader]:
    with connected_match_trader(stack) as fake:
        yield fake


@pytest.fixture(scope="module")
def staff_token(stack: DeployedStack) -> str:
    answer = stack.client("cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack.outputs["UserPoolClientId"],
        AuthParameters={"USERNAME": stack.demo["staff_email"], "PASSWORD": stack.demo["password"]},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def test_a_breach_disables_the_account_on_match_trader_visible_with_its_audit_through_the_api(
    stack: DeployedStack, match_trader: FakeMatchTrader, trader_token: str, staff_token: str
) -> None:
    account_id = f"e2e-enf-{uuid.uuid4().hex[:8]}"
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    account = open_placed_account(stack, match_trader, account_id, opened_at)
    login = account.platform.login
    match_trader.market.open_position(login, "EURUSD", "buy", Decimal(1))

    post_events(stack, account_id, breaching_events(opened_at))

    try:
        eventually(lambda: match_trader.access.get(login) == "TRADING_DISABLED", timeout=120)
    except AssertionError as nothing:
        raise AssertionError(f"not disabled; platform_commands said:\n{function_log(stack)}") from nothing
    assert match_trader.market.account(login).positions == {}  # type: ignore[union-attr]
    prop = match_trader.prop_accounts[account.platform.platform_account_id]
    # the trading account is disabled first, then its prop account: the second call may still be on its way
    eventually(lambda: prop["status"] == "LOCKED_FAILED_CHALLENGE", timeout=30)

    state = eventually(lambda: (s := _platform(stack, trader_token, account_id))["access"] and s, timeout=30)
    assert state["access"] == state["wanted"] == "disabled"
    assert state["confirmed_at"] and state["pending"] == []
    assert state["platform"] == {"platform": "match-trader", "server": "MatchTrader-Demo", "login": login}

    entry = next(e for e in _audit(stack, staff_token, account_id) if e["action"] == "platform.disable")
    assert entry["actor"] == "system:platform_commands" and entry["reason"] == "daily_loss"
    after = entry["after"]
    assert after["outcome"] == "applied" and after["confirmed_at"] >= after["asked_at"]
    (deal,) = after["liquidation"]["closing_deals"]
    assert deal["symbol"] == "EURUSD" and deal["slippage"] is not None


def function_log(stack: DeployedStack, function: str = "platform-commands", lines: int = 20) -> str:
    logs = stack.client("logs")
    group = f"/aws/lambda/propdesk-dev-{function}"
    try:
        events = logs.filter_log_events(logGroupName=group)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return "(no log yet)"
    return "\n".join(_readable(event["message"]) for event in events[-lines:])


def _readable(message: str) -> str:
    """A log line cut short, but a logged error in full (its text says why a command is still pending)."""
    try:
        logged = json.loads(message)
    except ValueError:
        return message[:600]
    if isinstance(logged, dict) and "error" in logged:
        return f"{logged.get('level')} {logged.get('message')}: {logged['error']}"
    return message[:600]


def _platform(stack: DeployedStack, token: str, account_id: str) -> dict[str, Any]:
    answer = stack.http("GET", f"/v1/accounts/{account_id}/platform", headers={"Authorization": token})
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def _audit(stack: DeployedStack, token: str, account_id: str) -> list[dict[str, Any]]:
    answer = stack.http("GET", f"/v1/staff/audit?account_id={account_id}", headers={"Authorization": token})
    assert answer.status == 200, answer.body
    entries: list[dict[str, Any]] = answer.body["entries"]
    return entries
