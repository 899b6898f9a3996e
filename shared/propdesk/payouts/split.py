"""The trader's share of a payout under a (possibly tiered) profit split: exact, rounded down to the cent
(the firm never pays out more than the split allows), never negative and never above the amount."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from propdesk.payouts.policy import HUNDRED, SplitTier

CENT = Decimal("0.01")
ZERO = Decimal(0)


def trader_share(amount: Decimal, withdrawn_before: Decimal, split: tuple[SplitTier, ...]) -> Decimal:
    """The trader's part of withdrawing `amount` of profit from an account that has had `withdrawn_before`
    withdrawn (approved or paid) already: each slice of the amount is paid at the tier it falls in."""
    if amount <= ZERO:
        return ZERO
    start = max(withdrawn_before, ZERO)
    end = start + amount
    share = ZERO
    lower = ZERO
    for tier in split:
        upper = tier.up_to
        slice_start = max(start, lower)
        slice_end = end if upper is None else min(end, upper)
        if slice_end > slice_start:
            share += (slice_end - slice_start) * tier.percent / HUNDRED
        if upper is None or end <= upper:
            break
        lower = upper
    return min(share, amount).quantize(CENT, rounding=ROUND_DOWN)


def money(amount: Decimal) -> Decimal:
    """An amount as paid: whole cents, rounded down."""
    return amount.quantize(CENT, rounding=ROUND_DOWN)
