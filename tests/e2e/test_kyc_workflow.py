"""The KYC workflow end to end: `account.passed` on the bus starts it (EventBridge rule → Step Functions),
its first task parks the task token, and a signed Veriff decision webhook resumes it."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import DeployedStack, bind_data_layer, eventually, publish

pytestmark = pytest.mark.e2e

SAMPLE_DECISION = Path(__file__).resolve().parents[2] / "events" / "veriff" / "decision_approved.json"


def veriff_decision(trader_id: str) -> bytes:
    body: dict[str, Any] = json.loads(SAMPLE_DECISION.read_text())
    body["verification"]["id"] = str(uuid.uuid4())
    body["verification"]["vendorData"] = trader_id
    return json.dumps(body).encode()


def veriff_shared_secret(stack: DeployedStack) -> str:
    from propdesk.adapters.veriff import shared_secret_of

    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.outputs["VeriffSecretArn"])
    return shared_secret_of(secret["SecretString"])


def signed(body: bytes, secret: str) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-AUTH-CLIENT": "veriff-api-key", "X-HMAC-SIGNATURE": signature}


def workflow_status(stack: DeployedStack, trader_id: str) -> str | None:
    """The status of the KYC workflow run started for this trader."""
    stepfunctions = stack.client("stepfunctions")
    runs = stepfunctions.list_executions(stateMachineArn=stack.outputs["KycStateMachineArn"])["executions"]
    for execution in runs:
        described = stepfunctions.describe_execution(executionArn=execution["executionArn"])
        if trader_id in described.get("input", ""):
            return str(described["status"])
    return None


def test_a_passed_account_starts_kyc_and_a_signed_veriff_approval_completes_it(stack: DeployedStack) -> None:
    from propdesk.data.kyc import KycRepository
    from propdesk.data.notifications import NotificationRepository
    from propdesk.domain_events import AccountPassed

    bind_data_layer(stack)
    trader_id, account_id = str(uuid.uuid4()), f"e2e-kyc-{uuid.uuid4().hex[:8]}"
    publish(
        stack,
        AccountPassed(
            event_id=uuid.uuid4().hex,
            occurred_at=datetime.now(UTC),
            account_id=account_id,
            trader_id=trader_id,
            program_id="two-step-100k-phase-1",
            program_version=1,
            metrics={},
        ),
    )
    case = eventually(lambda: KycRepository().get(trader_id), timeout=45)
    assert case.status == "pending"
    body = veriff_decision(trader_id)
    secret = veriff_shared_secret(stack)

    tampered = stack.http(
        "POST",
        "/v1/webhooks/veriff",
        body=body.replace(b"approved", b"declined"),
        headers=signed(body, secret),
    )
    wrong_key = stack.http("POST", "/v1/webhooks/veriff", body=body, headers=signed(body, "not-the-secret"))
    accepted = stack.http("POST", "/v1/webhooks/veriff", body=body, headers=signed(body, secret))

    assert tampered.status == 401
    assert wrong_key.status == 401
    assert accepted.status == 200, accepted.body
    decided = eventually(
        lambda: (c := KycRepository().get(trader_id)) and c.status != "pending" and c, timeout=45
    )
    assert decided.status == "approved"
    assert eventually(lambda: workflow_status(stack, trader_id) == "SUCCEEDED", timeout=45)
    notified = eventually(
        lambda: [
            n
            for n in NotificationRepository().list_for_trader(trader_id).items
            if n.detail_type == "kyc.approved"
        ],
        timeout=45,
    )
    assert len(notified) == 1
