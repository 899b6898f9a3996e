"""payouts_api against DynamoDB Local: a trader requests, finance decides once, history and queue page."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.events import TradingEventRepository
from propdesk.data.payouts import PayoutRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.records import StoredEvent

from tests.integration.api.api_world import body_of, request
from tests.integration.dynamodb_local import TableNames
from tests.integration.payouts.payout_world import FUNDED_AT, NOW, FundedDesk, decision, token

pytestmark = pytest.mark.integration


def header(response: dict[str, object], name: str) -> str | None:
    values = (response.get("multiValueHeaders") or {}).get(name)  # type: ignore[attr-defined]
    return str(values[0]) if values else None


def error_code(response: dict[str, object]) -> str:
    return str(body_of(response)["error"]["code"])


def test_a_trader_requests_all_withdrawable_profit_at_the_firm_split(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)

    response = desk.request_payout()

    assert response["statusCode"] == 201, response["body"]
    payout = body_of(response)
    assert (payout["status"], payout["amount"], payout["trader_share"], payout["firm_share"]) == (
        "requested", "3000.00", "2400.00", "600.00"
    )  # fmt: skip
    [event] = desk.publisher.of_type("payout.requested")
    assert event.model_dump()["payout_id"] == payout["payout_id"]
    assert PayoutRepository().get(payout["payout_id"]).published_status == "requested"  # type: ignore[union-attr]


def test_the_program_split_applies_and_a_partial_amount_can_be_asked(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id, payouts={"profit_split_percent": "90", "minimum_amount": "50"})

    payout = body_of(desk.request_payout({"amount": "1000"}))

    assert (payout["amount"], payout["trader_share"]) == ("1000.00", "900.00")


def test_a_repeat_with_the_same_idempotency_key_answers_the_same_payout_without_a_second_event(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)

    first = desk.request_payout({"amount": "2000"}, key="k-1")
    again = desk.request_payout({"amount": "2000"}, key="k-1", now=NOW + timedelta(minutes=5))
    other_body = desk.request_payout({"amount": "2500"}, key="k-1")

    assert first["statusCode"] == 201
    assert again["statusCode"] == 200
    assert header(again, "Idempotent-Replayed") == "true"
    assert body_of(again) == body_of(first)
    assert len(desk.publisher.of_type("payout.requested")) == 1
    assert other_body["statusCode"] == 422
    assert len(PayoutRepository().all_for_account(desk.account_id)) == 1


def test_an_event_lost_to_a_bus_failure_goes_out_with_the_replay(tables: TableNames, unique_id: str) -> None:
    desk = FundedDesk.seed(unique_id)
    desk.publisher.fail_next = 1

    failed = desk.request_payout(key="k-bus")
    replayed = desk.request_payout(key="k-bus")

    assert failed["statusCode"] == 500
    assert replayed["statusCode"] == 200
    assert len(desk.publisher.of_type("payout.requested")) == 1


@pytest.mark.parametrize(
    ("seed", "status", "code"),
    [
        ({"kind": "challenge"}, 409, "account_not_funded"),
        ({"kyc": None}, 409, "kyc_not_approved"),
        ({"kyc": "pending"}, 409, "kyc_not_approved"),
        ({"balance": "100000"}, 422, "no_profit"),
        ({"balance": "100120"}, 422, "below_minimum"),
    ],
)
def test_refusals_answer_with_the_rules_reason_code(
    tables: TableNames, unique_id: str, seed: dict[str, str | None], status: int, code: str
) -> None:
    desk = FundedDesk.seed(unique_id, **seed)  # type: ignore[arg-type]

    response = desk.request_payout()

    assert (response["statusCode"], error_code(response)) == (status, code), response["body"]
    assert desk.publisher.published == []


def test_too_early_after_funding_and_open_positions_are_refused(tables: TableNames, unique_id: str) -> None:
    desk = FundedDesk.seed(unique_id)

    early = desk.request_payout(now=FUNDED_AT + timedelta(days=13))
    desk.set_balance("103000", positions=[{"position_id": "p1"}])
    open_positions = desk.request_payout()
    desk.set_balance("103000")
    too_much = desk.request_payout({"amount": "3000.01"})

    assert (early["statusCode"], error_code(early)) == (409, "too_soon_after_funding")
    assert "2026-05-15" in body_of(early)["error"]["message"]
    assert (open_positions["statusCode"], error_code(open_positions)) == (409, "positions_open")
    assert (too_much["statusCode"], error_code(too_much)) == (422, "amount_above_withdrawable")


def test_one_open_payout_per_account_and_three_requests_an_hour(tables: TableNames, unique_id: str) -> None:
    desk = FundedDesk.seed(unique_id)

    answers = [desk.request_payout(key=f"k-{n}") for n in range(4)]

    assert [a["statusCode"] for a in answers] == [201, 409, 409, 429]
    assert error_code(answers[1]) == "payout_pending"
    assert int(header(answers[3], "Retry-After") or 0) > 0
    later = desk.request_payout(key="k-5", now=NOW + timedelta(hours=1))
    assert (later["statusCode"], error_code(later)) == (409, "payout_pending")


def test_finance_approves_once_audited_and_a_second_decision_is_a_conflict(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)
    payout_id = body_of(desk.request_payout())["payout_id"]
    queue = desk.call(request("listPayoutQueue", None, token("finance-1", "finance"), {"limit": "100"}))
    assert payout_id in [p["payout_id"] for p in body_of(queue)["payouts"]]

    approved = desk.call(decision(payout_id, "approve"))
    again = desk.call(decision(payout_id, "reject", staff="finance-2"))

    assert approved["statusCode"] == 200, approved["body"]
    assert body_of(approved)["status"] == "approved"
    assert (again["statusCode"], error_code(again)) == (409, "conflict")
    [event] = desk.publisher.of_type("payout.approved")
    assert event.model_dump()["payout_id"] == payout_id
    [entry] = AuditLog().for_subject(f"ACCOUNT#{desk.account_id}").items
    assert (entry.action, entry.actor, entry.actor_roles) == ("payout.approved", "finance-1", ("finance",))
    assert (entry.before or {})["status"] == "requested"
    assert (entry.after or {})["status"] == "approved"
    still_open = desk.request_payout(key="after-approval", now=NOW + timedelta(days=20))
    assert error_code(still_open) == "payout_pending"  # approved is open until the workflow pays it


def test_a_rejection_frees_the_account_for_a_new_request(tables: TableNames, unique_id: str) -> None:
    desk = FundedDesk.seed(unique_id)
    payout_id = body_of(desk.request_payout())["payout_id"]

    rejected = desk.call(decision(payout_id, "reject"))
    again = desk.request_payout({"amount": "1000"}, now=NOW + timedelta(hours=2))

    assert body_of(rejected)["decision_reason"] == "reject: trades and KYC checked"
    assert len(desk.publisher.of_type("payout.rejected")) == 1
    assert again["statusCode"] == 201, again["body"]


def test_history_is_newest_first_paginated_and_private(tables: TableNames, unique_id: str) -> None:
    desk = FundedDesk.seed(unique_id)
    first = body_of(desk.request_payout())["payout_id"]
    desk.call(decision(first, "reject"))
    second = body_of(desk.request_payout(now=NOW + timedelta(hours=2)))["payout_id"]
    path = {"account_id": desk.account_id}

    page_one = body_of(desk.call(request("listPayouts", path, desk.identity(), {"limit": "1"})))
    cursor = page_one["next_cursor"]
    page_two = body_of(desk.call(request("listPayouts", path, desk.identity(), {"cursor": cursor})))
    foreign = desk.call(request("listPayouts", path, token(f"other-{unique_id}", "trader")))
    support = desk.call(request("listPayouts", path, token("support-1", "support")))

    assert [p["payout_id"] for p in page_one["payouts"]] == [second]
    assert [p["payout_id"] for p in page_two["payouts"]] == [first]
    assert foreign["statusCode"] == 404
    assert support["statusCode"] == 200


def test_another_trader_gets_404_and_staff_may_not_request_for_a_trader(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)

    foreign = desk.request_payout(identity=token(f"other-{unique_id}", "trader"))
    finance = desk.request_payout(identity=token("finance-1", "finance"))
    missing = desk.call(decision("pay_missing", "approve"))

    assert foreign["statusCode"] == 404
    assert finance["statusCode"] == 403
    assert missing["statusCode"] == 404


def test_a_funded_account_failed_by_a_daily_loss_breach_requests_only_its_share_of_the_profit_left(
    tables: TableNames, unique_id: str
) -> None:
    """FundedNext's example through payouts_api: +12,000, then a daily-loss breach leaves +7,000; every trade
    had a stop loss and none lost more than 1%: the trader is paid 3,500, and nothing leaves the account."""
    terms = {
        "percent": "50",
        "rules": ["daily_loss"],
        "require_stop_loss": True,
        "max_trade_loss_percent": "1",
    }
    desk = FundedDesk.seed(
        unique_id, balance="107000", payouts={"profit_split_percent": "80", "breach_share": terms}
    )
    assert AccountRepository().change_status(desk.account_id, "failed", "daily_loss", NOW)
    verdict = {
        "status": "failed",
        "breaches": [{"rule": "daily_loss", "effect": "fail", "overridden": False}],
    }
    current = RiskStateRepository().get(desk.account_id)
    assert current is not None
    RiskStateRepository().save(replace(current, evaluation=verdict), NOW)
    events = TradingEventRepository()
    for index, (kind, payload) in enumerate(
        [("position_opened", {"symbol": "EURUSD", "side": "buy", "volume": "1", "stop_loss": "1.05"}),
         ("position_closed", {"profit": "7000.00"})]
    ):  # fmt: skip
        at = FUNDED_AT + timedelta(days=2, minutes=index)
        body = {"event_id": f"e{index}", "time": at.isoformat(), "type": kind, "position_id": "p1", **payload}
        events.record(
            StoredEvent(desk.account_id, f"e{index}", at, kind, body, keys.event_sk(at, f"e{index}")), at
        )

    preview = body_of(desk.eligibility())
    with_amount = desk.request_payout({"amount": "1000.00"})
    response = desk.request_payout()

    assert preview["eligible"] and preview["extras"] == {"breach_share": "3500.00"}
    assert "50% of the 7000" in preview["extra_reasons"]["breach_share"]
    assert (with_amount["statusCode"], error_code(with_amount)) == (422, "breach_share_only")
    assert response["statusCode"] == 201, response["body"]
    payout = body_of(response)
    assert (payout["amount"], payout["trader_share"], payout["extras"]) == (
        "0.00", "0.00", {"breach_share": "3500.00"}
    )  # fmt: skip
    [event] = desk.publisher.of_type("payout.requested")
    assert event.model_dump()["extras"] == {"breach_share": Decimal("3500.00")}
