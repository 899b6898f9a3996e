"""Payout eligibility and pricing, in the words of the firms' rules (docs: /work/shared/RULES.md, payouts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.payouts import (
    Payout,
    PayoutPolicy,
    PayoutPolicyError,
    PayoutSituation,
    SplitTier,
    assess,
    decide,
    is_funded,
    policy_for,
    trader_share,
)
from propdesk.payouts.model import AlreadyDecidedError, PayoutStatus

FUNDED_AT = datetime(2026, 5, 1, tzinfo=UTC)
FIRM = PayoutPolicy(
    split=(SplitTier(Decimal(80)),),
    minimum_amount=Decimal(150),
    first_payout_after_days=21,
    days_between_payouts=14,
)


def situation(balance: str = "103000", **changes: Any) -> PayoutSituation:
    base = PayoutSituation(
        account_status="active",
        funded=True,
        kyc_status="approved",
        opened_at=FUNDED_AT,
        initial_balance=Decimal(100000),
        closed_balance=Decimal(balance),
        excluded_profit=Decimal(0),
        open_positions=0,
        history=(),
    )
    return replace(base, **changes)


def payout(status: PayoutStatus, requested_at: datetime, amount: str = "1000") -> Payout:
    value = Decimal(amount)
    return Payout(
        "pay-1",
        "acc-1",
        "trader-1",
        status,
        "USD",
        value,
        value,
        Decimal(0),
        requested_at,
    )


def codes(now: datetime, given: PayoutSituation, requested: str | None = None) -> list[str]:
    amount = None if requested is None else Decimal(requested)
    return [refusal.code for refusal in assess(given, FIRM, now, amount).refusals]


def test_a_stellar_lite_cycle_of_3000_profit_pays_2400_at_80_percent_after_21_days() -> None:
    assessment = assess(situation("103000"), FIRM, FUNDED_AT + timedelta(days=21))

    assert assessment.eligible
    assert assessment.quote.amount == Decimal("3000.00")
    assert assessment.quote.trader_share == Decimal("2400.00")
    assert assessment.quote.firm_share == Decimal("600.00")


def test_the_first_payout_waits_for_the_days_after_funding_and_says_when() -> None:
    now = FUNDED_AT + timedelta(days=20)
    assessment = assess(situation(), FIRM, now)

    assert [r.code for r in assessment.refusals] == ["too_soon_after_funding"]
    assert assessment.next_eligible_at == FUNDED_AT + timedelta(days=21)


def test_the_next_payout_waits_the_interval_after_the_last_request_but_a_rejection_does_not_count() -> None:
    last = FUNDED_AT + timedelta(days=21)
    paid = situation(history=(payout("paid", last),))
    rejected = situation(history=(payout("rejected", last),))
    now = last + timedelta(days=13)

    assert codes(now, paid) == ["too_soon_after_last_payout"]
    assert codes(now, rejected) == []
    assert codes(last + timedelta(days=14), paid) == []


def test_an_open_payout_blocks_another_request() -> None:
    now = FUNDED_AT + timedelta(days=60)
    for status in ("requested", "approved"):
        given = situation(history=(payout(status, FUNDED_AT + timedelta(days=30)),))
        assert "payout_pending" in codes(now, given)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"funded": False}, "account_not_funded"),
        ({"account_status": "failed"}, "account_not_active"),
        ({"account_status": "suspended"}, "account_not_active"),
        ({"kyc_status": None}, "kyc_not_approved"),
        ({"kyc_status": "pending"}, "kyc_not_approved"),
        ({"open_positions": 2}, "positions_open"),
    ],
)
def test_each_account_condition_refuses_with_its_reason_code(change: dict[str, Any], code: str) -> None:
    assert codes(FUNDED_AT + timedelta(days=30), situation(**change)) == [code]


def test_every_failed_rule_is_reported_not_just_the_first() -> None:
    given = situation("100100", funded=False, kyc_status="declined")

    assert codes(FUNDED_AT, given) == [
        "account_not_funded", "kyc_not_approved", "too_soon_after_funding", "below_minimum"
    ]  # fmt: skip


def test_the_amount_is_checked_against_the_profit_and_the_minimum_share() -> None:
    now = FUNDED_AT + timedelta(days=30)

    assert codes(now, situation("100000")) == ["no_profit"]
    assert codes(now, situation("99000")) == ["no_profit"]
    assert codes(now, situation(), "3000.01") == ["amount_above_withdrawable"]
    assert codes(now, situation(), "187.49") == ["below_minimum"]  # 80% = 149.99
    assert codes(now, situation(), "187.50") == []  # 80% = 150.00


def test_profit_excluded_by_news_rules_is_not_withdrawable() -> None:
    given = situation("103000", excluded_profit=Decimal("1200"))

    assert given.withdrawable == Decimal("1800.00")


def test_topstep_split_pays_all_of_the_first_10000_then_90_percent() -> None:
    split = (SplitTier(Decimal(100), Decimal(10000)), SplitTier(Decimal(90)))

    assert trader_share(Decimal(8000), Decimal(0), split) == Decimal("8000.00")
    assert trader_share(Decimal(4000), Decimal(8000), split) == Decimal("3800.00")  # 2000 + 90% of 2000
    assert trader_share(Decimal(1000), Decimal(20000), split) == Decimal("900.00")


def test_the_share_is_rounded_down_to_the_cent() -> None:
    assert trader_share(Decimal("0.99"), Decimal(0), (SplitTier(Decimal(80)),)) == Decimal("0.79")


def test_a_program_document_overrides_the_firm_defaults() -> None:
    document = {
        "kind": "funded",
        "payouts": {
            "profit_split": [{"up_to": "10000", "percent": "100"}, {"percent": "90"}],
            "minimum_amount": "0",
            "first_payout_after_days": 0,
            "require_flat": False,
        },
    }
    policy = policy_for(document, FIRM)

    assert is_funded(document)
    assert policy.split == (SplitTier(Decimal(100), Decimal(10000)), SplitTier(Decimal(90)))
    assert (policy.minimum_amount, policy.first_payout_after_days) == (Decimal(0), 0)
    assert policy.days_between_payouts == FIRM.days_between_payouts
    assert not policy.require_flat
    assert policy_for({"kind": "funded", "payouts": {"profit_split_percent": "90"}}, FIRM).split == (
        SplitTier(Decimal(90)),
    )
    assert policy_for({"kind": "challenge"}, FIRM) == FIRM
    assert not is_funded({"kind": "challenge"})


@pytest.mark.parametrize(
    "section",
    [
        "80",
        {"profit_split_percent": "0"},
        {"profit_split_percent": "101"},
        {"profit_split_percent": 0.8},
        {"profit_split": []},
        {"profit_split": [{"percent": "90"}, {"percent": "80"}]},
        {
            "profit_split": [
                {"up_to": "5000", "percent": "100"},
                {"up_to": "4000", "percent": "90"},
                {"percent": "80"},
            ]
        },
        {"minimum_amount": "-1"},
        {"first_payout_after_days": "14"},
        {"require_kyc": "yes"},
    ],
)
def test_a_malformed_payouts_section_is_refused(section: object) -> None:
    with pytest.raises(PayoutPolicyError):
        policy_for({"payouts": section}, FIRM)


def test_a_payout_is_decided_once() -> None:
    requested = payout("requested", FUNDED_AT)
    at = FUNDED_AT + timedelta(hours=2)

    approved = decide(requested, "approve", "finance-1", "checked the trades", at)

    assert (approved.status, approved.decided_by, approved.decided_at) == ("approved", "finance-1", at)
    assert decide(requested, "reject", "finance-1", "copy trading", at).status == "rejected"
    with pytest.raises(AlreadyDecidedError):
        decide(approved, "reject", "finance-2", "changed my mind", at)
