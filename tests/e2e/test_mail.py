"""E-mail and alerts in the deployed stack: a breach on the bus reaches the trader's inbox in the local
cloud's SES (the address from the user pool, the template rendered by the mailer, sent once), and a firm alert
reaches staff through GET /v1/staff/alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.domain_events import AccountBreached, FirmAlert

from scripts.mailbox import messages
from tests.e2e.harness import DeployedStack, eventually, publish

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the deploy: minutes when busy


def inbox(stack: DeployedStack, subject: str) -> list[dict[str, Any]]:
    return [
        message
        for message in messages(stack.endpoints.cloud)
        if message["Subject"] == subject and stack.demo["trader_email"] in message["To"]
    ]


def test_a_breach_reaches_the_traders_local_mailbox_once(stack: DeployedStack) -> None:
    marker = f"e2e-{uuid.uuid4().hex[:8]}"  # tells this test's message from earlier ones
    breach = AccountBreached(
        event_id=uuid.uuid4().hex, occurred_at=datetime.now(UTC), account_id=stack.demo["account_id"],
        trader_id=stack.demo["trader_id"], program_id=stack.demo["program_id"], program_version=1,
        rule="max_loss", effect="fail", limit=Decimal("90000.00"), value=Decimal("89950.00"),
        explanation=f"Equity 89,950.00 USD fell below the maximum loss floor of 90,000.00 USD ({marker}).",
        breached_at=datetime(2026, 3, 2, 13, 30, tzinfo=UTC),
    )  # fmt: skip
    subject = f"Account {stack.demo['account_id']}: maximum loss limit breached (failed)"
    before = len(inbox(stack, subject))

    publish(stack, breach)
    publish(stack, breach)  # a redelivery

    # the bus, the mailer's cold start on a busy machine (a minute is seen), SES
    mailed = eventually(lambda: [m for m in inbox(stack, subject) if marker in m["BodyText"]], timeout=240)
    assert "at 2 March 2026, 13:30 (UTC)" in mailed[0]["BodyText"]
    assert "  Limit: 90,000.00 USD" in mailed[0]["BodyText"]
    assert mailed[0]["Source"].endswith("<no-reply@mail.propdesk.example>")
    assert len(inbox(stack, subject)) == before + 1


def staff_token(stack: DeployedStack) -> str:
    answer = stack.client("cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack.outputs["UserPoolClientId"],
        AuthParameters={"USERNAME": stack.demo["staff_email"], "PASSWORD": stack.demo["password"]},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def test_a_firm_alert_reaches_staff(stack: DeployedStack, trader_token: str) -> None:
    alert = FirmAlert(
        event_id=uuid.uuid4().hex, occurred_at=datetime.now(UTC), severity="critical",
        subject="Order ord_e2e is paid but has no trading account", message="attempt 3 failed (e2e)",
        order_id="ord_e2e",
    )  # fmt: skip
    publish(stack, alert)
    token = staff_token(stack)

    def listed() -> list[dict[str, Any]] | None:
        answer = stack.http("GET", "/v1/staff/alerts", headers={"Authorization": token})
        if answer.status == 502:
            return None  # the function timed out in its cold start on a busy machine: asked again
        assert answer.status == 200, answer.body
        return [a for a in answer.body["alerts"] if a["alert_id"] == alert.event_id] or None

    (seen,) = eventually(listed, timeout=240)  # SNS, firm_alerts and alerts_api: cold starts
    assert (seen["severity"], seen["order_id"]) == ("critical", "ord_e2e")
    refused = stack.http("GET", "/v1/staff/alerts", headers={"Authorization": trader_token})
    assert refused.status == 403
