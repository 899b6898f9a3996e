"""The trader's share of a payout under a (possibly tiered) profit split: exact, rounded down to the cent
(the firm never pays out more than the split allows), never negative and never above the amount."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from propdesk.payouts.policy import HUNDRED, PayoutTermsError, SplitTier

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


@dataclass(frozen=True, slots=True)
class SplitSlice:
    """The part of a payout's profit that fell in one tier, and the trader's exact (unrounded) share of it."""

    percent: Decimal
    profit: Decimal
    exact_share: Decimal


@dataclass(frozen=True, slots=True)
class SplitResult:
    """One payout's profit divided between the trader and the firm.

    `trader_share` is rounded down to the cent once, after summing the tiers; `firm_share` is the rest, so
    `trader_share + firm_share == amount` always holds and the firm never pays more than the split allows.
    """

    amount: Decimal
    withdrawn_before: Decimal
    trader_share: Decimal
    firm_share: Decimal
    slices: tuple[SplitSlice, ...]

    @property
    def explanation(self) -> str:
        parts = [f"{_pct(s.percent)} of {s.profit}" for s in self.slices]
        detail = " + ".join(parts) if parts else "nothing"
        return (
            f"of {self.amount} profit ({self.withdrawn_before} withdrawn before): the trader gets {detail} = "
            f"{self.trader_share} (rounded down to the cent), the firm the rest, {self.firm_share}"
        )


def split_payout(amount: Decimal, withdrawn_before: Decimal, split: tuple[SplitTier, ...]) -> SplitResult:
    """Divide `amount` (whole cents, not negative) between trader and firm. Each slice of the amount is paid
    at the tier its cumulative position falls in: tiers apply to the account's total withdrawn profit."""
    if amount < ZERO or amount != amount.quantize(CENT):
        raise PayoutTermsError(f"a payout amount is whole cents and not negative, got {amount}", "amount")
    start = max(withdrawn_before, ZERO)
    end = start + amount
    slices: list[SplitSlice] = []
    lower = ZERO
    for tier in split:
        upper = tier.up_to
        slice_start = max(start, lower)
        slice_end = end if upper is None else min(end, upper)
        if slice_end > slice_start:
            profit = slice_end - slice_start
            slices.append(SplitSlice(tier.percent, profit, profit * tier.percent / HUNDRED))
        if upper is None or end <= upper:
            break
        lower = upper
    share = trader_share(amount, withdrawn_before, split)
    return SplitResult(amount, start, share, amount - share, tuple(slices))


def _pct(percent: Decimal) -> str:
    return f"{percent.normalize():f}%" if percent == percent.to_integral_value() else f"{percent}%"
