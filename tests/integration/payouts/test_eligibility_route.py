"""GET /v1/accounts/{id}/payouts/eligibility against DynamoDB Local: every payout rule with its numbers, and a
payout request at the same instant meets exactly what the preview showed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.api.api_world import body_of, request
from tests.integration.dynamodb_local import TableNames
from tests.integration.payouts.payout_world import FUNDED_AT, FundedDesk, token

pytestmark = pytest.mark.integration


def rules(eligibility: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {verdict["rule"]: verdict for verdict in eligibility["rules"]}


def test_an_eligible_funded_account_sees_every_rule_met_and_the_request_pays_what_it_showed(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)

    response = desk.eligibility()
    requested = desk.request_payout()

    assert response["statusCode"] == 200, response["body"]
    eligibility = body_of(response)
    assert eligibility["eligible"] is True
    assert (eligibility["max_amount"], eligibility["trader_share"], eligibility["currency"]) == (
        "3000.00", "2400.00", "USD"
    )  # fmt: skip
    assert eligibility["earliest_at"] == "2026-05-15T09:00:00Z"
    assert all(verdict["met"] and verdict["reason_code"] is None for verdict in eligibility["rules"])
    assert rules(eligibility)["profit"]["figures"]["withdrawable"] == "3000.00"
    assert rules(eligibility)["first_payout_wait"]["figures"]["days_since_funding"] == "30"
    assert requested["statusCode"] == 201
    assert (body_of(requested)["amount"], body_of(requested)["trader_share"]) == ("3000.00", "2400.00")


def test_a_best_day_too_large_is_shown_with_the_numbers_and_the_request_is_refused_for_it(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id, balance="110000", payouts={"consistency_percent": "30"})
    desk.close_trades("4000", "3000", "3000")

    eligibility = body_of(desk.eligibility())
    refused = desk.request_payout()

    consistency = rules(eligibility)["consistency"]
    assert eligibility["eligible"] is False
    assert (consistency["met"], consistency["reason_code"]) == (False, "consistency_not_met")
    assert consistency["figures"] == {
        "percent": "30", "period_start": FUNDED_AT.isoformat(), "trading_days": "3",
        "best_day_starts_at": "2026-05-01T22:00:00+00:00",  # midnight in Prague, the program's day
        "best_day_profit": "4000.00", "total_profit": "10000.00", "max_best_day": "3000.00",
        "needed_more": "3333.34",
    }  # fmt: skip
    assert "you need 3333.34 more profit" in consistency["explanation"]
    assert [v["rule"] for v in eligibility["rules"] if not v["met"]] == ["consistency"]
    assert refused["statusCode"] == 409
    assert body_of(refused)["error"]["code"] == "consistency_not_met"
    assert body_of(refused)["error"]["message"] == consistency["explanation"]


def test_an_early_account_with_open_positions_sees_both_reasons_and_when_it_opens(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id, kyc="pending")
    desk.set_balance("103000", positions=[{"position_id": "p1"}])
    early = FUNDED_AT + timedelta(days=10)

    eligibility = body_of(desk.eligibility(now=early))
    refused = desk.request_payout(now=early)

    unmet = {v["rule"]: v["reason_code"] for v in eligibility["rules"] if not v["met"]}
    assert unmet == {
        "kyc_approved": "kyc_not_approved", "no_open_positions": "positions_open",
        "first_payout_wait": "too_soon_after_funding",
    }  # fmt: skip
    wait = rules(eligibility)["first_payout_wait"]["figures"]
    assert (wait["days_since_funding"], wait["required_days"], wait["opens_at"]) == (
        "10", "14", "2026-05-15T09:00:00+00:00"
    )  # fmt: skip
    assert rules(eligibility)["no_open_positions"]["figures"] == {"open_positions": "1"}
    assert (refused["statusCode"], body_of(refused)["error"]["code"]) == (409, "kyc_not_approved")


def test_a_previewed_amount_below_the_minimum_share_is_shown_as_the_request_would_be_refused(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)

    eligibility = body_of(desk.eligibility(query={"amount": "100"}))
    refused = desk.request_payout({"amount": "100"})

    minimum = rules(eligibility)["minimum_amount"]
    assert (eligibility["eligible"], eligibility["amount"], eligibility["trader_share"]) == (
        False,
        "100.00",
        "80.00",
    )
    assert (minimum["reason_code"], minimum["figures"]["minimum"]) == ("below_minimum", "100.00")
    assert (refused["statusCode"], body_of(refused)["error"]["code"]) == (422, "below_minimum")


def test_staff_read_another_traders_eligibility_and_a_foreign_trader_gets_404(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)

    support = desk.eligibility(identity=token("support-1", "support"))
    foreign = desk.eligibility(identity=token(f"other-{unique_id}"))
    missing = desk.call(
        request("getPayoutEligibility", {"account_id": f"acc-missing-{unique_id}"}, desk.identity())
    )

    assert support["statusCode"] == 200
    assert body_of(support)["eligible"] is True
    assert (foreign["statusCode"], body_of(foreign)["error"]["code"]) == (404, "not_found")
    assert (missing["statusCode"], body_of(missing)["error"]["code"]) == (404, "not_found")
