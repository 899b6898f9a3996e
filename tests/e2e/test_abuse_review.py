"""One journey through the deployed abuse detection: a planted copy-trading pair, pushed by a platform bridge
through signed ingestion, is caught by abuse_detect from the table's stream; the flag is in the risk desk's
queue with its evidence and holds the accounts' payouts (the trader sees only that a review is pending); a
risk officer's decision to deny the payout is audited, and the payout stays blocked. Seen from outside as
well: the flag raised reaches the staff's alert inbox (`abuse.flag_raised`), the payout that was waiting for
finance is rejected by the decision, and the trader's mailbox holds the review's decision
(`abuse.flag_decided`) without a word of the case.

Why it timed out before: the module had no timeout of its own, so the first test of a run paid the deploy
(minutes on a busy machine) inside the default 300 s; and the queue's first read is a cold start of
abuse_api, which under load outlived its 10 s function timeout (a 5xx the probe took as a failure); on a
machine at load 20 even the first signed push outlived the client's 30 s. The module now has the deploy's
budget, abuse_api API Gateway's 29 s, and pushes and probes are repeated on a timeout or a 5xx (a pushed
event is stored once, whatever the deliveries)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import URLError
from urllib.parse import quote

import pytest

from scripts.mailbox import messages
from tests.e2e.harness import DeployedStack, bind_data_layer, eventually, open_demo_account
from tests.e2e.test_risk_pipeline import risk_officer_token

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]  # the deploy: 14 minutes at load 20
REPEATS = 5
FLAG_WAIT_SECONDS = 240  # the stream's first batch wakes abuse_detect cold, on a loaded machine


def opening(number: int, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"deal-{number}", "time": at.isoformat(), "type": "position_opened",
        "position_id": f"pos-{number}", "symbol": "XAUUSD", "side": "buy", "volume": "1.00",
        "price": "2900.5",
    }  # fmt: skip


def open_copier_account(stack: DeployedStack, account_id: str, opened_at: datetime) -> None:
    """Another trader's account on the demo program (copy trading is across traders)."""
    from dataclasses import replace

    from propdesk.data.accounts import AccountRepository

    bind_data_layer(stack)
    open_demo_account(stack, f"{account_id}-tmpl", opened_at)
    template = AccountRepository().get(f"{account_id}-tmpl")
    assert template is not None
    AccountRepository().open(replace(template, account_id=account_id, trader_id=f"copier-{account_id}"))


def hold_rule(stack: DeployedStack, token: str, account_id: str) -> dict[str, Any]:
    answer = stack.http(
        "GET", f"/v1/accounts/{account_id}/payouts/eligibility", headers={"Authorization": token}
    )
    assert answer.status == 200, answer.body
    rule: dict[str, Any] = next(r for r in answer.body["rules"] if r["rule"] == "not_on_hold")
    return rule


def push(stack: DeployedStack, account_id: str, events: list[dict[str, Any]]) -> None:
    """A signed push, sent again (as a bridge does) while the ingestion function is still waking: a timeout
    or a 5xx. A redelivered event is stored once (its id is its key)."""

    def pushed() -> bool:
        try:
            answer = stack.push_events(account_id, events)
        except (TimeoutError, URLError):
            return False
        if answer.status >= 500:
            return False
        assert answer.status == 202, answer.body
        return True

    eventually(pushed, timeout=180, interval=2.0)


def staff_get(stack: DeployedStack, path: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """A staff read, None while the function is still waking (a 5xx: retried by `eventually`)."""
    try:
        answer = stack.http("GET", path, headers=headers)
    except (TimeoutError, URLError):
        return None
    if answer.status >= 500:
        return None
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def waiting_payout(stack: DeployedStack, account_id: str) -> str:
    """A payout the trader asked for before the flag, waiting for finance (stored as a request stores it)."""
    from decimal import Decimal

    from propdesk.data.payouts import PayoutRepository
    from propdesk.payouts.model import Payout

    bind_data_layer(stack)
    payout_id = f"e2e-po-{uuid.uuid4().hex[:8]}"
    amount = Decimal("2000.00")
    PayoutRepository().create(
        Payout(payout_id, account_id, stack.demo["trader_id"], "requested", "USD", amount,
               Decimal("1600.00"), Decimal("400.00"), datetime.now(UTC))
    )  # fmt: skip
    return payout_id


def subject_of(token: str) -> str:
    body = token.split(".")[1]
    subject: str = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["sub"]
    return subject


def test_a_planted_copy_pair_is_flagged_with_evidence_and_a_denied_payout_is_audited_and_stays_blocked(
    stack: DeployedStack, trader_token: str
) -> None:
    leader, copier = f"e2e-lead-{uuid.uuid4().hex[:8]}", f"e2e-copy-{uuid.uuid4().hex[:8]}"
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    open_demo_account(stack, leader, opened_at)
    open_copier_account(stack, copier, opened_at)
    for number in range(REPEATS):
        moment = opened_at + timedelta(minutes=2 + 3 * number)
        push(stack, leader, [opening(number, moment)])
        push(stack, copier, [opening(number, moment + timedelta(seconds=3))])
    token = risk_officer_token(stack)
    risk = {"Authorization": token}

    def flagged() -> dict[str, Any] | None:
        page = staff_get(stack, f"/v1/staff/flags?detector=copy_trading&account_id={leader}", risk)
        return page["flags"][0] if page and page["flags"] else None

    summary = eventually(flagged, timeout=FLAG_WAIT_SECONDS, interval=2.0)
    assert sorted(summary["accounts"]) == sorted([leader, copier])
    assert summary["status"] == "open"
    path = "/v1/staff/flags/" + quote(summary["flag_id"], safe=":")  # `+` joins a pair's accounts
    detail = eventually(lambda: staff_get(stack, path, risk), timeout=60)
    assert len(detail["evidence"]["trades"]) >= 1 and detail["evidence"]["formula"]
    alerts = eventually(
        lambda: [
            a for a in (staff_get(stack, "/v1/staff/alerts", risk) or {}).get("alerts", [])
            if summary["flag_id"] in a["subject"]
        ] or None,
        timeout=240,
    )  # fmt: skip
    assert alerts[0]["severity"] in ("info", "warning", "critical")
    payout_id = waiting_payout(stack, leader)
    refused = hold_rule(stack, trader_token, leader)
    assert refused["met"] is False and refused["reason_code"] == "payout_on_hold"
    assert "copy" not in refused["explanation"], "the trader never sees which detector"
    traders_view = stack.http("GET", "/v1/staff/flags", headers={"Authorization": trader_token})
    assert traders_view.status == 403

    reason = "signals copied from a paid group, checked (e2e)"
    decided = stack.http("POST", f"{path}/decision", {"decision": "deny_payout", "reason": reason}, risk)
    assert decided.status == 200, decided.body
    assert decided.body["status"] == "payout_denied"

    officer = subject_of(token)
    audit = eventually(lambda: staff_get(stack, f"/v1/staff/audit?actor={quote(officer)}", risk), timeout=60)
    entry = next(e for e in audit["entries"] if e["subject"] == f"FLAG#{summary['flag_id']}")
    assert entry["action"] == "abuse_flag_decided" and entry["reason"] == reason
    assert entry["before"]["status"] == "open" and entry["after"]["status"] == "payout_denied"
    still = hold_rule(stack, trader_token, leader)
    assert still["met"] is False and still["reason_code"] == "payout_on_hold", "the payout stays blocked"

    from propdesk.data.payouts import PayoutRepository

    denied = PayoutRepository().get(payout_id)
    assert denied is not None and denied.status == "rejected" and denied.decided_by == "system:abuse"

    def mailed() -> list[dict[str, Any]] | None:
        found = [
            m for m in messages(stack.endpoints.cloud)
            if m["Subject"] == "A review of your trading: payouts denied"
            and stack.demo["trader_email"] in m["To"] and leader in m["BodyText"]
        ]  # fmt: skip
        return found or None

    (mail,) = eventually(mailed, timeout=240)  # the bus, the mailer's cold start, SES
    assert "copy" not in mail["BodyText"].lower() and copier not in mail["BodyText"]
