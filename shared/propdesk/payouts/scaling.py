"""A scaling plan (FTMO's): at the end of every review cycle (4 months) the account's figures over the cycle
are checked; when every criterion is met the account's balance grows (25%, up to a maximum such as $2M), its
loss limits follow the new balance and its split becomes the plan's (90%).

FTMO: "≥10% net profit over the cycle, ≥2 rewards paid and a positive balance": a $400k account becomes
$500k, with daily loss $25k (5%) and max loss $50k (10%).

Pure: the caller passes the account's terms and its cycles' figures; `review` decides one cycle, `replay`
decides a history of cycles in order (each against the terms the previous decision left).

Where the plan is ambiguous the choice is a parameter:
- `growth_of`: the 25% is of the account's current size (`current`: 400k → 500k → 625k) or of its original
  size (`original`: 100k → 125k → 150k).
- net profit is the closed P&L made during the cycle, withdrawn profit included (a reward paid does not undo
  the profit that earned it), as a percent of the account's size during the cycle.
- a positive balance: the closed balance at the review is above the account's size.
Rounding: the growth and the new balance are rounded down to the cent; loss limits (percent of the new
balance) to the cent half up, as the engine rounds every limit.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from propdesk.money import to_cents
from propdesk.payouts.policy import HUNDRED, PayoutTermsError

CENT = Decimal("0.01")
ZERO = Decimal(0)
GrowthBase = Literal["current", "original"]


@dataclass(frozen=True, slots=True)
class ScalingPlan:
    cycle_months: int = 4
    min_net_profit_percent: Decimal = Decimal(10)
    min_rewards_paid: int = 2
    require_positive_balance: bool = True
    growth_percent: Decimal = Decimal(25)
    growth_of: GrowthBase = "current"
    max_balance: Decimal = Decimal(2_000_000)
    split_percent: Decimal = Decimal(90)  # the trader's share once scaled

    def __post_init__(self) -> None:
        if self.cycle_months < 1:
            raise PayoutTermsError("a scaling cycle lasts at least one month", "cycle_months")
        if self.min_rewards_paid < 0:
            raise PayoutTermsError("min_rewards_paid must not be negative", "min_rewards_paid")
        for name in ("growth_percent", "split_percent"):
            value = getattr(self, name)
            if not ZERO < value <= HUNDRED:
                raise PayoutTermsError(f"{name} is above 0 and at most 100", name)
        if self.max_balance <= ZERO:
            raise PayoutTermsError("max_balance must be positive", "max_balance")


@dataclass(frozen=True, slots=True)
class AccountTerms:
    """What scaling changes: the account's size, its loss limits (percents of the size) and its split."""

    balance: Decimal  # the account's size (its initial balance as the rules see it)
    original_balance: Decimal  # the size it was bought at
    daily_loss_percent: Decimal
    max_loss_percent: Decimal
    split_percent: Decimal

    @property
    def daily_loss(self) -> Decimal:
        return to_cents(self.balance * self.daily_loss_percent / HUNDRED)

    @property
    def max_loss(self) -> Decimal:
        return to_cents(self.balance * self.max_loss_percent / HUNDRED)


@dataclass(frozen=True, slots=True)
class ScalingCycle:
    """The account's figures over one review cycle (the first and last day, inclusive)."""

    starts_on: date
    ends_on: date
    net_profit: Decimal  # closed P&L made during the cycle, withdrawn profit included
    rewards_paid: int  # payouts paid during the cycle
    balance_at_review: Decimal  # the closed balance when the cycle ends


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    met: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class ScalingDecision:
    cycle: ScalingCycle
    before: AccountTerms
    after: AccountTerms  # equal to `before` unless scaled
    criteria: tuple[Criterion, ...]
    growth: Decimal  # what the balance grew by (0 unless scaled)
    next_review_on: date

    @property
    def scaled(self) -> bool:
        return self.after != self.before

    @property
    def explanation(self) -> str:
        if self.scaled:
            return (
                f"every criterion was met: the account grows by {self.growth} from {self.before.balance} to "
                f"{self.after.balance} (daily loss {self.after.daily_loss}, max loss {self.after.max_loss}) "
                f"and the split becomes {self.after.split_percent}%"
            )
        unmet = [c.explanation for c in self.criteria if not c.met]
        if unmet:
            return "not scaled: " + "; ".join(unmet)
        return f"not scaled: the account is at the plan's maximum ({self.before.balance})"


def review(plan: ScalingPlan, terms: AccountTerms, cycle: ScalingCycle) -> ScalingDecision:
    """Decide one cycle: grow the account when every criterion is met and it is below the maximum."""
    criteria = _criteria(plan, terms, cycle)
    next_review = add_months(cycle.ends_on, plan.cycle_months)
    if not all(c.met for c in criteria) or terms.balance >= plan.max_balance:
        return ScalingDecision(cycle, terms, terms, criteria, ZERO, next_review)
    base = terms.balance if plan.growth_of == "current" else terms.original_balance
    wanted = (base * plan.growth_percent / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
    new_balance = min(terms.balance + wanted, plan.max_balance)
    after = replace(terms, balance=new_balance, split_percent=max(terms.split_percent, plan.split_percent))
    return ScalingDecision(cycle, terms, after, criteria, new_balance - terms.balance, next_review)


def replay(
    plan: ScalingPlan, terms: AccountTerms, cycles: Sequence[ScalingCycle]
) -> tuple[ScalingDecision, ...]:
    """Every cycle decided in order, each against the terms the previous decision left."""
    decisions = []
    for cycle in cycles:
        decision = review(plan, terms, cycle)
        decisions.append(decision)
        terms = decision.after
    return tuple(decisions)


def _criteria(plan: ScalingPlan, terms: AccountTerms, cycle: ScalingCycle) -> tuple[Criterion, ...]:
    percent = cycle.net_profit * HUNDRED / terms.balance if terms.balance > ZERO else ZERO
    shown = percent.quantize(CENT, rounding=ROUND_DOWN)
    profit = Criterion(
        "net_profit",
        percent >= plan.min_net_profit_percent,
        f"net profit over the cycle {cycle.net_profit} is {shown}% of {terms.balance} "
        f"(at least {plan.min_net_profit_percent}% needed)",
    )
    rewards = Criterion(
        "rewards_paid",
        cycle.rewards_paid >= plan.min_rewards_paid,
        f"{cycle.rewards_paid} reward(s) paid during the cycle (at least {plan.min_rewards_paid} needed)",
    )
    criteria = [profit, rewards]
    if plan.require_positive_balance:
        above = cycle.balance_at_review - terms.balance
        criteria.append(
            Criterion(
                "positive_balance",
                above > ZERO,
                f"the balance at the review, {cycle.balance_at_review}, is {above} over the account's size",
            )
        )
    return tuple(criteria)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days (Jan 31 + 1 → Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
