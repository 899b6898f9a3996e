"""Properties of the eligibility preview: the consistency verdict is exactly "best day <= percent x total",
"you need $Y more" is the least whole-cent amount that makes it true, and the preview and the payout request
are one evaluation (a preview that says eligible is never refused; an unmet rule is always refused)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from propdesk.payouts import ClosedTrade, ConsistencyCheck, Payout, PayoutSituation, assess
from propdesk.payouts.consistency import DayProfit
from propdesk.payouts.model import PAYOUT_STATUSES

from tests.unit.payouts.test_payout_rules import FIRM, FUNDED_AT, situation

CENT = Decimal("0.01")
profits = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("20000"), places=2)
percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)


@st.composite
def consistency_checks(draw: st.DrawFn) -> ConsistencyCheck:
    days = draw(st.lists(profits, max_size=12))
    return ConsistencyCheck(
        draw(percents),
        FUNDED_AT,
        tuple(DayProfit(FUNDED_AT + timedelta(days=i), profit) for i, profit in enumerate(days)),
    )


@given(consistency_checks())
def test_consistency_is_met_exactly_when_the_best_day_is_at_most_the_percent_of_the_total(
    check: ConsistencyCheck,
) -> None:
    best = max([Decimal(0), *(day.profit for day in check.days)])

    assert check.met == (best <= check.percent / 100 * check.total)
    assert check.best_profit == best


@given(consistency_checks())
def test_the_profit_needed_is_the_least_whole_cent_amount_that_makes_the_best_day_fit(
    check: ConsistencyCheck,
) -> None:
    needed = check.needed_more
    best = check.best_profit

    assert needed >= 0
    assert needed == needed.quantize(CENT)
    assert best * 100 <= check.percent * (check.total + needed)
    if needed > 0:
        assert best * 100 > check.percent * (check.total + needed - CENT)
    assert (needed == 0) == check.met


def payouts(draw: st.DrawFn) -> tuple[Payout, ...]:
    count = draw(st.integers(min_value=0, max_value=2))
    history = []
    for index in range(count):
        amount = draw(st.decimals(min_value=Decimal(1), max_value=Decimal(5000), places=2))
        status = draw(st.sampled_from(PAYOUT_STATUSES))
        at = FUNDED_AT + timedelta(days=draw(st.integers(min_value=0, max_value=60)))
        history.append(
            Payout(f"pay-{index}", "acc-1", "trader-1", status, "USD", amount, amount, Decimal(0), at)
        )
    return tuple(history)


@st.composite
def situations(draw: st.DrawFn) -> tuple[PayoutSituation, datetime, Decimal | None]:
    closes = draw(st.lists(st.tuples(st.integers(min_value=0, max_value=90 * 24), profits), max_size=8))
    given_situation = replace(
        situation(str(draw(st.decimals(min_value=Decimal(95000), max_value=Decimal(115000), places=2)))),
        funded=draw(st.booleans()),
        account_status=draw(st.sampled_from(["active", "active", "failed"])),
        kyc_status=draw(st.sampled_from(["approved", "approved", "pending", None])),
        open_positions=draw(st.sampled_from([0, 0, 1])),
        excluded_profit=draw(st.sampled_from([Decimal(0), Decimal("250.50")])),
        history=payouts(draw),
        closed_trades=tuple(ClosedTrade(FUNDED_AT + timedelta(hours=h), p) for h, p in closes),
    )
    now = FUNDED_AT + timedelta(days=draw(st.integers(min_value=0, max_value=90)))
    requested = draw(st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal(20000), places=2))
    return given_situation, now, requested


@given(situations(), st.none() | percents)
def test_the_preview_and_the_request_agree(
    case: tuple[PayoutSituation, datetime, Decimal | None], consistency: Decimal | None
) -> None:
    given_situation, now, requested = case
    policy = replace(FIRM, consistency_percent=consistency)

    preview = assess(given_situation, policy, now, requested)
    request = assess(given_situation, policy, now, requested)  # what the POST evaluates at the same instant

    unmet = [check for check in preview.checks if not check.met]
    assert preview.eligible == (not unmet) == (not request.refusals)
    assert all(check.refusal is not None for check in unmet)
    state_codes = [c.refusal.code for c in unmet if c.refusal and c.refusal.kind == "state"]
    amount_codes = [c.refusal.code for c in unmet if c.refusal and c.refusal.kind == "amount"]
    assert [r.code for r in request.refusals] == state_codes + amount_codes[:1]
    assert preview.next_eligible_at == (preview.earliest_at if preview.earliest_at > now else None)


@given(situations())
def test_an_eligible_preview_of_everything_accepts_any_smaller_amount_the_minimum_allows(
    case: tuple[PayoutSituation, datetime, Decimal | None],
) -> None:
    given_situation, now, requested = case
    preview = assess(given_situation, FIRM, now)
    if not preview.eligible or requested is None:
        return

    smaller = assess(given_situation, FIRM, now, min(requested, preview.quote.withdrawable))

    assert smaller.eligible == (smaller.quote.trader_share >= FIRM.minimum_amount)
