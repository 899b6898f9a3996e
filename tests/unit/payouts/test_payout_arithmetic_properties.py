"""Properties of the payout arithmetic: a split's parts always sum to the amount; nothing paid is ever
negative; and the same profit is never paid twice, whatever the sequence of trades, requests, rejections and
withdrawals (the ledger's model: the profit since the last withdrawal, less what open requests reserve, is
what is withdrawable)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.payouts import SplitTier
from propdesk.payouts.extras import (
    BreachShareTerms,
    ChallengeShareTerms,
    FeeRefundTerms,
    TradeRisk,
    breach_share,
    challenge_share,
    fee_refund,
)
from propdesk.payouts.ledger import ProfitLedger
from propdesk.payouts.policy import PayoutTermsError
from propdesk.payouts.split import CENT, split_payout
from propdesk.payouts.terms import SplitUpgrade, account_split

amounts = st.decimals(min_value=Decimal(0), max_value=Decimal("1000000"), places=2)
money = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2)
percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)


@st.composite
def splits(draw: st.DrawFn) -> tuple[SplitTier, ...]:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=200_000), max_size=3)))
    return (*(SplitTier(draw(percents), Decimal(b)) for b in bounds), SplitTier(draw(percents)))


@given(amounts, amounts, splits())
def test_the_trader_and_firm_shares_always_sum_to_the_amount(
    amount: Decimal, before: Decimal, split: tuple[SplitTier, ...]
) -> None:
    result = split_payout(amount, before, split)

    assert result.trader_share + result.firm_share == amount
    assert result.trader_share >= 0 and result.firm_share >= 0
    assert result.trader_share == result.trader_share.quantize(CENT)
    assert sum((s.profit for s in result.slices), Decimal(0)) == amount
    assert (
        result.trader_share
        <= sum((s.exact_share for s in result.slices), Decimal(0))
        < result.trader_share + CENT
    )


@given(splits(), st.lists(percents, max_size=3))
def test_an_upgrade_never_lowers_any_tier(split: tuple[SplitTier, ...], raises: list[Decimal]) -> None:
    upgraded = account_split(split, [SplitUpgrade("add_on", p) for p in raises]).split

    assert [t.up_to for t in upgraded] == [t.up_to for t in split]
    assert all(new.percent >= old.percent for new, old in zip(upgraded, split, strict=True))


@given(amounts, money, percents, st.integers(min_value=1, max_value=6), st.booleans())
def test_no_extra_is_ever_negative(
    target: Decimal, made: Decimal, percent: Decimal, number: int, refunded: bool
) -> None:
    assert challenge_share(ChallengeShareTerms(percent), target, made).amount >= 0
    assert fee_refund(FeeRefundTerms(3), target, number, refunded).amount >= 0
    trades = [TradeRisk("p", True, made)]
    assert (
        breach_share(
            BreachShareTerms(percent), "daily_loss", Decimal(100000), 100000 + made, trades
        ).extra.amount
        >= 0
    )


operations = st.lists(
    st.one_of(
        st.tuples(st.just("trade"), money),
        st.tuples(
            st.just("request"), st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50000), places=2)
        ),
        st.tuples(st.just("request_all"), st.just(Decimal(0))),
        st.tuples(st.just("withdraw"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("reject"), st.integers(min_value=0, max_value=5)),
    ),
    max_size=40,
)


@given(operations)
def test_the_same_profit_is_never_paid_twice(steps: list[tuple[str, object]]) -> None:
    ledger = ProfitLedger(Decimal(100000), Decimal(100000))
    traded = Decimal(0)  # net trading profit so far
    for number, (kind, value) in enumerate(steps):
        try:
            if kind == "trade":
                assert isinstance(value, Decimal)
                ledger, traded = ledger.close_trade(value), traded + value
            elif kind in ("request", "request_all"):
                assert isinstance(value, Decimal)
                ledger = ledger.request(f"p{number}", ledger.withdrawable if kind == "request_all" else value)
            elif ledger.reservations:
                assert isinstance(value, int)
                chosen = ledger.reservations[value % len(ledger.reservations)].payout_id
                ledger = ledger.withdraw(chosen) if kind == "withdraw" else ledger.reject(chosen)
                if kind == "withdraw":
                    # what has been withdrawn is covered by profit actually made, once
                    assert ledger.withdrawn <= traded
        except PayoutTermsError:
            pass
        # no profit is claimed twice: withdrawn + reserved + withdrawable never exceeds what trading made
        assert ledger.withdrawable >= 0
        if ledger.withdrawable > 0:
            assert ledger.withdrawn + ledger.reserved + ledger.withdrawable == traded
        # and no profit is left unpayable: all the unclaimed profit is withdrawable, to the cent
        unclaimed = traded - ledger.withdrawn - ledger.reserved
        assert ledger.withdrawable == max(unclaimed, Decimal(0)).quantize(CENT)


def test_a_request_is_refused_above_what_is_withdrawable() -> None:
    ledger = ProfitLedger(Decimal(100000), Decimal(100500)).request("p1", Decimal(300))

    with pytest.raises(PayoutTermsError):
        ledger.request("p2", Decimal("200.01"))
    assert ledger.request("p2", Decimal(200)).withdrawable == 0
