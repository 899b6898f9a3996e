"""The eligibility preview: one verdict per payout rule with its explanation and exact figures, the same
evaluation a payout request is refused by (RULES.md, complaint 3: "show eligibility with the numbers")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from propdesk.payouts import (
    Assessment,
    ClosedTrade,
    PayoutPolicy,
    PayoutPolicyError,
    RuleCheck,
    TradingDay,
    assess,
    policy_for,
)

from tests.unit.payouts.test_payout_rules import FIRM, FUNDED_AT, payout, situation

NOW = FUNDED_AT + timedelta(days=30)
APEX = replace(FIRM, consistency_percent=Decimal(30))


def check(assessment: Assessment, rule: str) -> RuleCheck:
    [found] = [c for c in assessment.checks if c.rule == rule]
    return found


def test_an_eligible_account_meets_every_rule_and_shows_its_numbers() -> None:
    assessment = assess(situation("103000"), FIRM, NOW)

    assert assessment.eligible
    assert [c.rule for c in assessment.checks] == [
        "funded", "account_active", "kyc_approved", "no_open_positions", "no_open_payout", "not_on_hold",
        "first_payout_wait", "payout_interval", "profit", "amount_within_profit", "minimum_amount",
    ]  # fmt: skip
    assert all(c.met for c in assessment.checks)
    assert check(assessment, "profit").figures == {
        "withdrawable": "3000.00", "closed_balance": "103000.00", "initial_balance": "100000.00",
        "excluded_profit": "0.00",
    }  # fmt: skip
    assert check(assessment, "minimum_amount").figures == {
        "amount": "3000.00", "trader_share": "2400.00", "firm_share": "600.00", "split": "80%",
        "minimum": "150.00",
    }  # fmt: skip
    assert check(assessment, "first_payout_wait").figures == {
        "funded_at": "2026-05-01T00:00:00+00:00", "days_since_funding": "30", "required_days": "21",
        "opens_at": "2026-05-22T00:00:00+00:00",
    }  # fmt: skip
    assert assessment.earliest_at == FUNDED_AT + timedelta(days=21)


@pytest.mark.parametrize(
    ("rule", "change", "code", "figures", "words"),
    [
        ("funded", {"funded": False}, "account_not_funded", {"funded": "false"}, "only funded"),
        ("account_active", {"account_status": "failed"}, "account_not_active",
         {"account_status": "failed"}, "failed, not active"),
        ("kyc_approved", {"kyc_status": None}, "kyc_not_approved", {"kyc_status": None}, "not started"),
        ("kyc_approved", {"kyc_status": "pending"}, "kyc_not_approved", {"kyc_status": "pending"}, "pending"),
        ("no_open_positions", {"open_positions": 2}, "positions_open", {"open_positions": "2"},
         "close the 2"),
        ("no_open_payout", {"history": (payout("requested", FUNDED_AT + timedelta(days=29)),)},
         "payout_pending", {"pending_payout_id": "pay-1", "pending_status": "requested"},
         "pay-1 is requested"),
        ("profit", {"closed_balance": Decimal("99500")}, "no_profit",
         {"withdrawable": "0.00", "closed_balance": "99500.00", "initial_balance": "100000.00",
          "excluded_profit": "0.00"}, "no closed profit"),
    ],
)  # fmt: skip
def test_each_unmet_rule_names_its_reason_code_and_figures(
    rule: str, change: dict[str, object], code: str, figures: dict[str, str | None], words: str
) -> None:
    assessment = assess(replace(situation(), **change), FIRM, NOW)  # type: ignore[arg-type]

    unmet = check(assessment, rule)
    assert not unmet.met
    assert unmet.refusal is not None and unmet.refusal.code == code
    assert unmet.figures.items() >= figures.items()
    assert words in unmet.explanation
    assert not assessment.eligible
    assert code in [r.code for r in assessment.refusals]


def test_the_first_payout_wait_counts_the_days_since_funding_and_says_when_it_opens() -> None:
    assessment = assess(situation(), FIRM, FUNDED_AT + timedelta(days=20, hours=23))

    wait = check(assessment, "first_payout_wait")
    assert not wait.met
    assert (wait.figures["days_since_funding"], wait.figures["required_days"]) == ("20", "21")
    assert wait.figures["opens_at"] == "2026-05-22T00:00:00+00:00"
    assert "21 days after funding; 20 have passed" in wait.explanation
    assert assessment.earliest_at == FUNDED_AT + timedelta(days=21)


def test_the_interval_counts_from_the_last_request_that_was_not_rejected() -> None:
    last = FUNDED_AT + timedelta(days=22)
    given = situation(history=(payout("paid", last), payout("rejected", last + timedelta(days=5))))

    assessment = assess(given, FIRM, last + timedelta(days=10))

    interval = check(assessment, "payout_interval")
    assert not interval.met
    assert interval.figures == {
        "last_request_at": last.isoformat(), "days_since_last_request": "10", "required_days": "14",
        "opens_at": (last + timedelta(days=14)).isoformat(),
    }  # fmt: skip
    assert interval.refusal is not None and interval.refusal.code == "too_soon_after_last_payout"
    assert assessment.earliest_at == last + timedelta(days=14)
    assert check(assess(situation(), FIRM, NOW), "payout_interval").figures["last_request_at"] is None


def test_a_previewed_amount_is_checked_against_the_profit_and_the_minimum() -> None:
    above = assess(situation(), FIRM, NOW, Decimal("3000.01"))
    small = assess(situation(), FIRM, NOW, Decimal("100"))

    assert check(above, "amount_within_profit").figures == {"requested": "3000.01", "withdrawable": "3000.00"}
    assert [r.code for r in above.refusals] == ["amount_above_withdrawable"]
    assert not check(small, "minimum_amount").met
    assert check(small, "minimum_amount").figures["trader_share"] == "80.00"


def test_rules_the_program_does_not_have_are_not_listed() -> None:
    relaxed = replace(FIRM, require_kyc=False, require_flat=False)

    rules = [c.rule for c in assess(situation(kyc_status=None, open_positions=3), relaxed, NOW).checks]

    assert "kyc_approved" not in rules and "no_open_positions" not in rules and "consistency" not in rules


# ---- consistency at payout


def trades(
    *day_profits: str, start: datetime = FUNDED_AT + timedelta(days=1, hours=10)
) -> tuple[ClosedTrade, ...]:
    return tuple(ClosedTrade(start + timedelta(days=i), Decimal(p)) for i, p in enumerate(day_profits))


def test_apex_50k_grown_to_60k_best_day_must_be_at_most_3000() -> None:
    given = situation("60000", initial_balance=Decimal(50000), closed_trades=trades("4000", "3000", "3000"))

    assessment = assess(given, APEX, NOW)

    consistency = check(assessment, "consistency")
    assert not consistency.met
    assert consistency.figures == {
        "percent": "30", "period_start": FUNDED_AT.isoformat(), "trading_days": "3",
        "best_day_starts_at": "2026-05-02T00:00:00+00:00", "best_day_profit": "4000.00",
        "total_profit": "10000.00", "max_best_day": "3000.00", "needed_more": "3333.34",
    }  # fmt: skip
    assert "must be at most 30% of the total (3000.00)" in consistency.explanation
    assert "you need 3333.34 more profit" in consistency.explanation
    assert [r.code for r in assessment.refusals] == ["consistency_not_met"]
    assert assessment.refusals[0].kind == "state"


def test_consistency_is_met_once_the_total_is_large_enough() -> None:
    given = situation("63333.34", initial_balance=Decimal(50000),
                      closed_trades=trades("4000", "3000", "3000", "3333.34"))  # fmt: skip

    consistency = check(assess(given, APEX, NOW), "consistency")

    assert consistency.met
    assert consistency.figures["needed_more"] == "0.00"


def test_profit_before_the_last_withdrawn_payout_does_not_count() -> None:
    paid_at = FUNDED_AT + timedelta(days=21, hours=12)
    before = trades("9000", start=FUNDED_AT + timedelta(days=3))
    after = trades("500", "400", "450", start=paid_at + timedelta(days=1))
    given = situation("111350", history=(payout("paid", paid_at),), closed_trades=before + after)

    consistency = check(assess(given, replace(APEX, consistency_percent=Decimal(40)), NOW), "consistency")

    assert consistency.figures["period_start"] == paid_at.isoformat()
    assert (consistency.figures["best_day_profit"], consistency.figures["total_profit"]) == (
        "500.00",
        "1350.00",
    )
    assert consistency.met


def test_a_rejected_payout_does_not_restart_the_period() -> None:
    rejected = payout("rejected", FUNDED_AT + timedelta(days=21))
    given = situation(history=(rejected,), closed_trades=trades("9000", "100"))

    assert check(assess(given, APEX, NOW), "consistency").figures["period_start"] == FUNDED_AT.isoformat()


def test_day_profits_follow_the_programs_trading_day_and_net_losses() -> None:
    new_york = TradingDay(time(17, 0), ZoneInfo("America/New_York"))
    day_one = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)  # 16:00 New York: Monday's day (from Sunday 17:00)
    closes = (
        ClosedTrade(day_one, Decimal("1000")),
        ClosedTrade(day_one + timedelta(hours=2), Decimal("500")),  # 18:00: Tuesday's day
        ClosedTrade(day_one + timedelta(hours=3), Decimal("-300")),
        ClosedTrade(day_one + timedelta(days=1), Decimal("1200")),  # 16:00 the next day: still Tuesday's
    )
    given = situation(closed_trades=closes, trading_day=new_york)

    consistency = check(assess(given, replace(APEX, consistency_percent=Decimal(60)), NOW), "consistency")

    assert consistency.figures["trading_days"] == "2"
    assert consistency.figures["best_day_starts_at"] == "2026-05-04T21:00:00+00:00"  # 17:00 EDT
    assert (consistency.figures["best_day_profit"], consistency.figures["total_profit"]) == (
        "1400.00",
        "2400.00",
    )
    assert consistency.met


def test_no_closed_trade_since_the_last_payout_stands_out() -> None:
    consistency = check(assess(situation(), APEX, NOW), "consistency")

    assert consistency.met
    assert consistency.figures["best_day_starts_at"] is None
    assert "no trading day" in consistency.explanation


def test_the_consistency_percent_is_read_from_the_program_document() -> None:
    assert policy_for({"payouts": {"consistency_percent": "30"}}, FIRM).consistency_percent == Decimal(30)
    assert FIRM.consistency_percent is None
    for bad in ("0", "100.01", "thirty"):
        with pytest.raises(PayoutPolicyError, match="consistency_percent"):
            policy_for({"payouts": {"consistency_percent": bad}}, FIRM)


def test_a_policy_without_consistency_has_no_such_check() -> None:
    policy = PayoutPolicy(FIRM.split, FIRM.minimum_amount, 0, 0)

    assert assess(situation(closed_trades=trades("9000")), policy, NOW).consistency is None
