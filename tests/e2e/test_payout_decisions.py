"""Finance's decisions and the rail's unruly webhooks, end to end in the local cloud (the Match-Trader
platform and the Bridge rail faked; see `payout_cloud_world`).

The firm's amounts are the stack's defaults (`payout_auto_approve_below` 1,000, `payout_two_person_above`
10,000, compared with the trader's share: `ApprovalPolicy`), and the funded program splits 80% to the trader:

| scenario | closed profit | trader's share | approvers |
|---|---|---|---|
| approved by finance | 2,000 | 1,600 | one |
| rejected by finance | 2,000 | 1,600 | one (who rejects) |
| two-person approval | 15,000 | 12,000 | two different members |
| webhooks twice and out of order | 500 | 400 | none (approved automatically) |

Each scenario has its own trader and account, so the four run at once (their waits on cold functions
overlap); each test checks its own scenario's outcome."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.e2e.harness import DeployedStack, bind_data_layer, eventually
from tests.e2e.payout_cloud_world import (
    PAID_SUBJECT,
    WAIT,
    answered,
    client,
    decide,
    deliver_bridge_event,
    mail_to,
    mails,
    paid_once_webhooks_flushed,
    payout_when,
    platform_balance,
    platform_secret,
    request_payout,
    settled_out_of_order,
    signed_in,
    trader_with_profit,
    transfer_of,
    transfers_of,
    waiting_for_finance,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

REJECTED_SUBJECT = "Your payout request was not approved"


@dataclass(frozen=True)
class Finance:
    first: dict[str, str]  # Authorization headers of two different finance members
    second: dict[str, str]


def paid_after_finance_approves(stack: DeployedStack, finance: Finance) -> None:
    """A 1,600 share is above the firm's 1,000: the workflow waits; one finance approval resumes it, the
    platform's withdrawal and Bridge's payment follow, and the signed webhook makes it paid."""
    email, trader, account = trader_with_profit(stack, datetime.now(UTC), "2000.00")
    payout_id = request_payout(stack, account.account_id, trader)
    waiting_for_finance(payout_id)
    assert payout_when(stack, payout_id, lambda p: True).status == "requested"
    assert platform_balance(stack, account) == Decimal("102000.00")  # nothing leaves before the decision

    answer = decide(stack, payout_id, finance.first, "approve", "profit checked against the trades")
    assert answer.status == 200 and answer.body["status"] == "approved", answer.body
    payout_when(stack, payout_id, lambda p: p.status == "paying" and p.rail_reference)
    assert platform_balance(stack, account) == Decimal("100000.00")
    stack.providers.bridge.settle(transfer_of(stack, payout_id))  # type: ignore[union-attr]

    paid = paid_once_webhooks_flushed(stack, payout_id)
    assert [s.status for s in paid.timeline] == ["approved", "withdrawn", "paying", "paid"]
    assert (
        paid.paid_amount == Decimal("1600.00") and paid.decision_reason == "profit checked against the trades"
    )
    text = mail_to(stack, email, PAID_SUBJECT)[0]["BodyText"]
    assert "Paid: 1,600.00 USD" in text, text


def rejected_with_a_reason(stack: DeployedStack, finance: Finance) -> None:
    """Finance rejects: nothing is withdrawn, the trader sees `rejected` with finance's reason and is mailed
    it; the workflow ends without paying."""
    email, trader, account = trader_with_profit(stack, datetime.now(UTC), "2000.00")
    payout_id = request_payout(stack, account.account_id, trader)
    waiting_for_finance(payout_id)
    reason = "the trading pattern is under review: ask again after the review"

    answer = decide(stack, payout_id, finance.first, "reject", reason)
    assert answer.status == 200 and answer.body["status"] == "rejected", answer.body
    seen = answered(stack, "GET", f"/v1/accounts/{account.account_id}/payouts", headers=trader)
    assert seen.status == 200, seen.body
    [view] = [p for p in seen.body["payouts"] if p["payout_id"] == payout_id]
    assert view["status"] == "rejected" and view["decision_reason"] == reason, view
    text = mail_to(stack, email, REJECTED_SUBJECT)[0]["BodyText"]
    assert reason in text and payout_id in text, text
    _workflow_ended(stack, payout_id)
    assert platform_balance(stack, account) == Decimal("102000.00")  # nothing left the account
    assert transfers_of(stack, payout_id) == [] and _engine_events(account.account_id, "withdrawal") == []


def two_different_members_approve(stack: DeployedStack, finance: Finance) -> None:
    """A 12,000 share is above the firm's 10,000: one approval leaves it waiting, the same member approving
    again is refused with the reason, a second member's approval resumes it to paid."""
    email, trader, account = trader_with_profit(stack, datetime.now(UTC), "15000.00")
    payout_id = request_payout(stack, account.account_id, trader)
    waiting_for_finance(payout_id)

    first = decide(stack, payout_id, finance.first, "approve", "first approval: figures checked")
    assert first.status == 200 and first.body["status"] == "requested", first.body
    again = decide(stack, payout_id, finance.first, "approve", "approving once more")
    assert again.status == 409, again.body
    assert "second, different finance member" in again.body["error"]["message"], again.body
    waiting = payout_when(stack, payout_id, lambda p: True)
    assert waiting.status == "requested" and len(waiting.approvals) == 1
    assert platform_balance(stack, account) == Decimal("115000.00")

    second = decide(stack, payout_id, finance.second, "approve", "second approval: figures checked")
    assert second.status == 200 and second.body["status"] == "approved", second.body
    payout_when(stack, payout_id, lambda p: p.status == "paying" and p.rail_reference)
    stack.providers.bridge.settle(transfer_of(stack, payout_id))  # type: ignore[union-attr]
    paid = paid_once_webhooks_flushed(stack, payout_id)
    assert len(set(paid.approvals)) == 2 and paid.paid_amount == Decimal("12000.00")
    assert platform_balance(stack, account) == Decimal("100000.00")
    mail_to(stack, email, PAID_SUBJECT)


def paid_once_whatever_the_webhooks_order(stack: DeployedStack, finance: Finance) -> None:
    """Bridge's final `payment_processed` arrives before the intermediate `payment_submitted`, then both come
    again, and once more after the payout is paid: it is paid once, mailed once, its timeline in order."""
    email, trader, account = trader_with_profit(stack, datetime.now(UTC), "500.00")
    payout_id = request_payout(stack, account.account_id, trader)
    payout_when(stack, payout_id, lambda p: p.status == "paying" and p.rail_reference)
    submitted, processed = settled_out_of_order(stack, transfer_of(stack, payout_id))
    assert (submitted["event_object_status"], processed["event_object_status"]) == (
        "payment_submitted", "payment_processed",
    )  # fmt: skip

    answers = [deliver_bridge_event(stack, event) for event in (processed, submitted, processed, submitted)]
    assert [a.status for a in answers] == [200] * 4, [a.body for a in answers]
    assert answers[0].body == {"status": "resumed"}, answers[0].body
    assert {a.body["status"] for a in answers[1:]} <= {"ignored", "resumed"}, [a.body for a in answers]
    paid = payout_when(stack, payout_id, lambda p: p.status == "paid")
    late = [deliver_bridge_event(stack, event) for event in (processed, submitted)]
    assert [a.body for a in late] == [{"status": "ignored"}] * 2

    assert [s.status for s in paid.timeline] == ["approved", "withdrawn", "paying", "paid"]
    assert [s.at for s in paid.timeline] == sorted(s.at for s in paid.timeline)
    assert paid.paid_amount == Decimal("400.00") and len(transfers_of(stack, payout_id)) == 1
    mail_to(stack, email, PAID_SUBJECT)
    time.sleep(10)  # a second `payout.paid` would be mailed within this
    assert len(mails(stack, email, PAID_SUBJECT)) == 1
    assert payout_when(stack, payout_id, lambda p: True).revision == paid.revision
    assert platform_balance(stack, account) == Decimal("100000.00")  # withdrawn once, never put back
    assert _engine_events(account.account_id, "withdrawal") == ["500.00"]


SCENARIOS: dict[str, Callable[[DeployedStack, Finance], None]] = {
    "approved by finance": paid_after_finance_approves,
    "rejected": rejected_with_a_reason,
    "two-person approval": two_different_members_approve,
    "webhooks twice and out of order": paid_once_whatever_the_webhooks_order,
}


@pytest.fixture(scope="module")
def outcomes(stack: DeployedStack) -> Iterator[dict[str, Future[None]]]:
    """Every scenario started at once; a test waits for its own."""
    if stack.providers is None or not stack.providers.started:
        pytest.skip("the fakes run in another process (E2E_REUSE_DEV): these tests drive them")
    bind_data_layer(stack)
    platform_secret(stack)
    finance = Finance(signed_in(stack, "finance", "finance")[2], signed_in(stack, "finance", "finance")[2])
    with ThreadPoolExecutor(len(SCENARIOS), thread_name_prefix="payout") as pool:
        yield {name: pool.submit(run, stack, finance) for name, run in SCENARIOS.items()}


def test_a_payout_above_the_auto_approve_amount_waits_for_finance_and_is_paid_once_approved(
    outcomes: dict[str, Future[None]],
) -> None:
    outcomes["approved by finance"].result(timeout=4 * WAIT)


def test_a_payout_finance_rejects_is_not_withdrawn_and_the_trader_is_told_why(
    outcomes: dict[str, Future[None]],
) -> None:
    outcomes["rejected"].result(timeout=4 * WAIT)


def test_above_the_second_amount_two_different_finance_members_must_approve(
    outcomes: dict[str, Future[None]],
) -> None:
    outcomes["two-person approval"].result(timeout=4 * WAIT)


def test_webhooks_delivered_twice_and_out_of_order_pay_once_and_keep_the_timeline_in_order(
    outcomes: dict[str, Future[None]],
) -> None:
    outcomes["webhooks twice and out of order"].result(timeout=4 * WAIT)


def _workflow_ended(stack: DeployedStack, payout_id: str) -> None:
    """Until the payout's execution is no longer running (the rejected payout's ends at NotPaid)."""
    sfn = client(stack, "stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"].endswith("-payouts")
    )

    def ended() -> bool:
        runs = sfn.list_executions(stateMachineArn=machine)["executions"]
        for run in runs:
            detail = sfn.describe_execution(executionArn=run["executionArn"])
            if payout_id in detail.get("input", ""):
                return bool(detail["status"] == "SUCCEEDED")
        return False

    eventually(ended, timeout=WAIT, interval=3)


def _engine_events(account_id: str, kind: str) -> list[str]:
    from propdesk.data.events import TradingEventRepository

    return [str(e.payload["amount"]) for e in TradingEventRepository().replay(account_id) if e.type == kind]
