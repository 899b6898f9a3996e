"""The trader and staff API through API Gateway and the local cloud's Cognito authorizer: the served
OpenAPI document and Swagger UI, tampered and rewritten tokens refused by the gateway, roles, live metrics."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import DeployedStack, eventually, open_demo_account

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def staff_token(stack: DeployedStack) -> str:
    return stack.id_token(stack.demo["staff_email"], stack.demo["password"])


def test_the_openapi_document_and_swagger_ui_are_served(stack: DeployedStack) -> None:
    document = stack.http("GET", "/v1/openapi.json")
    page = stack.http("GET", "/v1/docs")

    assert document.status == 200
    assert document.body["openapi"].startswith("3.1")
    assert "/v1/accounts/{account_id}/metrics" in document.body["paths"]
    assert document.body["servers"][0]["url"]
    assert page.status == 200
    assert "swagger-ui" in page.body


def test_a_tampered_token_is_refused_by_the_gateway(stack: DeployedStack, trader_token: str) -> None:
    head, payload, signature = trader_token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    answer = stack.http("GET", "/v1/me", headers={"Authorization": f"{head}.{payload}.{flipped}"})

    assert answer.status == 401
    assert answer.body["error"]["code"] == "unauthorized"


def test_a_token_rewritten_to_look_unexpired_or_expired_is_refused(
    stack: DeployedStack, trader_token: str
) -> None:
    head, payload, signature = trader_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = 1_000_000_000  # 2001: expired, and no longer what the pool signed
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    answer = stack.http("GET", "/v1/me", headers={"Authorization": f"{head}.{forged}.{signature}"})

    assert answer.status == 401
    assert answer.body["error"]["code"] == "unauthorized"


def test_a_trader_sees_live_metrics_but_no_staff_route(stack: DeployedStack, trader_token: str) -> None:
    auth = {"Authorization": trader_token}
    account_id = stack.demo["account_id"]

    metrics = stack.http("GET", f"/v1/accounts/{account_id}/metrics?tz=America/New_York", headers=auth)
    audit = stack.http("GET", f"/v1/staff/audit?account_id={account_id}", headers=auth)

    assert metrics.status == 200, metrics.body
    assert metrics.body["next_day_boundary"]["trader_timezone"] == "America/New_York"
    assert metrics.body["daily_loss"]["floor"].endswith(".00")
    assert audit.status == 403
    assert audit.body["error"]["code"] == "forbidden"


def test_an_admin_reads_any_account_and_the_audit_log(stack: DeployedStack, staff_token: str) -> None:
    auth = {"Authorization": staff_token}
    account_id = stack.demo["account_id"]

    account = stack.http("GET", f"/v1/accounts/{account_id}", headers=auth)
    audit = stack.http("GET", f"/v1/staff/audit?account_id={account_id}", headers=auth)
    me = stack.http("GET", "/v1/me", headers=auth)

    assert account.status == 200 and account.body["account"]["account_id"] == account_id
    assert audit.status == 200 and isinstance(audit.body["entries"], list)
    assert "admin" in me.body["roles"]


def test_leaderboards_are_public(stack: DeployedStack) -> None:
    answer = stack.http("GET", f"/v1/leaderboards/{stack.demo['program_id']}?period=week")

    assert answer.status == 200
    assert answer.body["period"] == "week"


def test_trades_reach_the_leaderboard_and_the_breach_the_audit_log_through_the_stream(
    stack: DeployedStack, staff_token: str
) -> None:
    account_id = f"e2e-lb-{uuid.uuid4().hex[:10]}"
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    open_demo_account(stack, account_id, opened_at)

    def at(minutes: int) -> str:
        return (opened_at + timedelta(minutes=minutes)).isoformat()

    events = [
        {"event_id": "o1", "time": at(1), "type": "position_opened", "position_id": "p1", "symbol": "EURUSD",
         "side": "buy", "volume": "1"},
        {"event_id": "c1", "time": at(2), "type": "position_closed", "position_id": "p1", "profit": "777.00"},
        {"event_id": "t1", "time": at(3), "type": "equity", "equity": "94000.00"},
    ]  # fmt: skip
    posted = stack.push_events(account_id, events)
    assert posted.status == 202, posted.body

    def board_lists_it() -> bool:
        board = stack.http("GET", f"/v1/leaderboards/{stack.demo['program_id']}?period=day&limit=100")
        return any(entry["profit"] == "777.00" for entry in board.body["entries"])

    def audited() -> list[dict[str, str]]:
        answer = stack.http(
            "GET", f"/v1/staff/audit?account_id={account_id}", headers={"Authorization": staff_token}
        )
        entries: list[dict[str, str]] = answer.body["entries"]
        return entries

    assert eventually(board_lists_it, timeout=60)
    [entry] = eventually(audited, timeout=60)
    assert (entry["actor"], entry["action"]) == ("system:risk_recalc", "enforcement.breach_recorded")
