"""Properties of the payout arithmetic: the trader's share is never negative and never above the amount,
splits at 100% pay everything, and shares add up across consecutive payouts (no tier is paid twice)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from propdesk.payouts import SplitTier, trader_share
from propdesk.payouts.split import CENT

amounts = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000000"), places=2)
positive = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500000"), places=2)
percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)


@st.composite
def splits(draw: st.DrawFn) -> tuple[SplitTier, ...]:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=200_000), max_size=3)))
    tiers = [SplitTier(draw(percents), Decimal(bound)) for bound in bounds]
    return (*tiers, SplitTier(draw(percents)))


@given(amounts, amounts, splits())
def test_the_share_is_never_negative_and_never_above_the_amount(
    amount: Decimal, before: Decimal, split: tuple[SplitTier, ...]
) -> None:
    share = trader_share(amount, before, split)

    assert Decimal(0) <= share
    assert share <= max(amount, Decimal(0))
    assert share == share.quantize(CENT)


@given(positive, amounts)
def test_a_100_percent_split_pays_the_whole_amount(amount: Decimal, before: Decimal) -> None:
    assert trader_share(amount, before, (SplitTier(Decimal(100)),)) == amount


@given(positive, positive, splits())
def test_two_payouts_pay_what_one_payout_of_their_sum_pays_to_the_cent(
    first: Decimal, second: Decimal, split: tuple[SplitTier, ...]
) -> None:
    whole = trader_share(first + second, Decimal(0), split)
    parts = trader_share(first, Decimal(0), split) + trader_share(second, first, split)

    assert whole - Decimal("0.02") <= parts <= whole
