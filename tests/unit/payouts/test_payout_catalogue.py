"""Every example of the catalogue's "Payouts and scaling" section (/work/shared/RULES.md), as a test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from propdesk.payouts import PayoutPolicy, SplitTier, assess
from propdesk.payouts.extras import (
    BreachShareTerms,
    ChallengeShareTerms,
    FeeRefundTerms,
    TradeRisk,
    breach_share,
    challenge_share,
    fee_refund,
)
from propdesk.payouts.scaling import AccountTerms, ScalingCycle, ScalingPlan, review
from propdesk.payouts.schedule import cycle_on, payout_cycle
from propdesk.payouts.split import split_payout
from propdesk.payouts.terms import SplitUpgrade, account_split

from tests.unit.payouts.test_payout_rules import FUNDED_AT, situation

EIGHTY = (SplitTier(Decimal(80)),)
TOPSTEP = (SplitTier(Decimal(100), Decimal(10000)), SplitTier(Decimal(90)))
STELLAR_LITE = PayoutPolicy(EIGHTY, Decimal(0), first_payout_after_days=21, days_between_payouts=14)


def test_ftmo_pays_80_percent_and_90_percent_after_scaling() -> None:
    before = account_split(EIGHTY)
    after = account_split(EIGHTY, [SplitUpgrade("scaling", Decimal(90), "first scaling review")])

    assert split_payout(Decimal(10000), Decimal(0), before.split).trader_share == Decimal("8000.00")
    assert split_payout(Decimal(10000), Decimal(0), after.split).trader_share == Decimal("9000.00")
    assert after.raised_by is not None and "scaling" in after.explanation


def test_a_90_percent_add_on_bought_with_the_order_raises_the_accounts_split() -> None:
    upgraded = account_split(EIGHTY, [SplitUpgrade("add_on", Decimal(90), "90% split add-on")])

    assert upgraded.split == (SplitTier(Decimal(90)),)
    assert split_payout(Decimal(3000), Decimal(0), upgraded.split).trader_share == Decimal("2700.00")


def test_an_upgrade_never_lowers_a_tier() -> None:
    upgraded = account_split(TOPSTEP, [SplitUpgrade("add_on", Decimal(90))])

    assert upgraded.split == TOPSTEP
    assert upgraded.raised_by is None


def test_the5ers_refuses_a_share_below_the_150_minimum() -> None:
    the5ers = PayoutPolicy(EIGHTY, Decimal(150), first_payout_after_days=14, days_between_payouts=14)
    now = FUNDED_AT + timedelta(days=14)

    refused = assess(situation("100187.49"), the5ers, now)  # 80% of 187.49 = 149.99
    allowed = assess(situation("100187.50"), the5ers, now)  # 80% of 187.50 = 150.00

    assert [r.code for r in refused.refusals] == ["below_minimum"]
    assert allowed.eligible and allowed.quote.trader_share == Decimal("150.00")


def test_stellar_lite_cycle_may_1_to_21_with_3000_profit_pays_2400_and_the_next_is_may_22_jun_4() -> None:
    funded = date(2026, 5, 1)
    first = payout_cycle(STELLAR_LITE, funded, 1)
    second = payout_cycle(STELLAR_LITE, funded, 2)

    assert (first.first_day, first.last_day) == (date(2026, 5, 1), date(2026, 5, 21))
    assert (second.first_day, second.last_day) == (date(2026, 5, 22), date(2026, 6, 4))
    assert cycle_on(STELLAR_LITE, funded, date(2026, 6, 4)).number == 2
    assert cycle_on(STELLAR_LITE, funded, date(2026, 6, 5)).number == 3
    paid = split_payout(Decimal(3000), Decimal(0), STELLAR_LITE.split)
    assert (paid.trader_share, paid.firm_share) == (Decimal("2400.00"), Decimal("600.00"))


def test_topstep_pays_all_of_the_first_10000_then_90_percent_across_the_payout_history() -> None:
    first = split_payout(Decimal(8000), Decimal(0), TOPSTEP)
    second = split_payout(Decimal(4000), Decimal(8000), TOPSTEP)  # 2000 at 100%, 2000 at 90%
    third = split_payout(Decimal(1000), Decimal(12000), TOPSTEP)

    assert [p.trader_share for p in (first, second, third)] == [
        Decimal("8000.00"), Decimal("3800.00"), Decimal("900.00")
    ]  # fmt: skip
    assert [(s.percent, s.profit) for s in second.slices] == [
        (Decimal(100), Decimal(2000)), (Decimal(90), Decimal(2000))
    ]  # fmt: skip


def test_ftmo_refunds_the_fee_with_the_first_reward_and_fundednext_with_the_third_withdrawal() -> None:
    fee = Decimal("540.00")
    ftmo, fundednext = FeeRefundTerms(1), FeeRefundTerms(3)

    assert fee_refund(ftmo, fee, 1, refunded_before=False).amount == fee
    assert fee_refund(fundednext, fee, 2, refunded_before=False).amount == 0
    assert fee_refund(fundednext, fee, 3, refunded_before=False).amount == fee
    assert fee_refund(fundednext, fee, 4, refunded_before=True).amount == 0


def test_fundednext_pays_15_percent_of_the_target_not_of_the_profit_made() -> None:
    share = challenge_share(ChallengeShareTerms(Decimal(15)), Decimal(10000), Decimal(12000))

    assert share.amount == Decimal("1500.00")
    assert challenge_share(ChallengeShareTerms(Decimal(15)), Decimal(10000), Decimal(9999)).amount == 0


def test_fundednext_pays_half_the_profit_left_after_a_daily_loss_breach_of_protected_trades() -> None:
    terms = BreachShareTerms(Decimal(50))
    trades = [TradeRisk("p1", True, Decimal(12000)), TradeRisk("p2", True, Decimal(-1000))]

    share = breach_share(terms, "daily_loss", Decimal(100000), Decimal(107000), trades)

    assert share.eligible and share.extra.amount == Decimal("3500.00")


def test_ftmo_scales_a_400k_account_to_500k_with_its_loss_limits_and_a_90_percent_split() -> None:
    terms = AccountTerms(Decimal(400000), Decimal(400000), Decimal(5), Decimal(10), Decimal(80))
    cycle = ScalingCycle(
        date(2026, 1, 1), date(2026, 4, 30), Decimal(40000), rewards_paid=2, balance_at_review=Decimal(401000)
    )

    decision = review(ScalingPlan(), terms, cycle)

    assert decision.scaled
    assert decision.after.balance == Decimal(500000)
    assert (decision.after.daily_loss, decision.after.max_loss) == (Decimal("25000.00"), Decimal("50000.00"))
    assert decision.after.split_percent == Decimal(90)
    assert decision.next_review_on == date(2026, 8, 30)


def test_a_scaled_account_never_grows_past_the_plans_maximum() -> None:
    terms = AccountTerms(Decimal(1800000), Decimal(400000), Decimal(5), Decimal(10), Decimal(90))
    cycle = ScalingCycle(
        date(2026, 1, 1),
        date(2026, 4, 30),
        Decimal(200000),
        rewards_paid=3,
        balance_at_review=Decimal(1801000),
    )

    decision = review(ScalingPlan(), terms, cycle)
    at_max = review(ScalingPlan(), decision.after, replace(cycle, balance_at_review=Decimal(2000001)))

    assert decision.after.balance == Decimal(2000000)
    assert decision.growth == Decimal(200000)
    assert not at_max.scaled and "maximum" in at_max.explanation


def test_the_scaling_review_lists_each_unmet_criterion() -> None:
    terms = AccountTerms(Decimal(100000), Decimal(100000), Decimal(5), Decimal(10), Decimal(80))
    cycle = ScalingCycle(
        date(2026, 1, 1),
        date(2026, 4, 30),
        Decimal("9999.99"),
        rewards_paid=1,
        balance_at_review=Decimal(100000),
    )

    decision = review(ScalingPlan(), terms, cycle)

    assert not decision.scaled
    assert [c.name for c in decision.criteria if not c.met] == [
        "net_profit",
        "rewards_paid",
        "positive_balance",
    ]
    assert "9.99%" in decision.explanation


def test_growth_of_the_original_size_adds_the_same_amount_every_cycle() -> None:
    plan = ScalingPlan(growth_of="original")
    terms = AccountTerms(Decimal(125000), Decimal(100000), Decimal(5), Decimal(10), Decimal(90))
    cycle = ScalingCycle(
        date(2026, 5, 1), date(2026, 8, 31), Decimal(13000), rewards_paid=2, balance_at_review=Decimal(126000)
    )

    assert review(plan, terms, cycle).after.balance == Decimal(150000)
