"""What a program pays on top of, or instead of, a funded payout's split: the fee refund with the Nth payout,
the challenge-phase profit share, and the share of profit made before a breach.

Each is a pure function of the program's terms (parameters, never guesses: firms word these differently) and
the account's figures, answering the amount (whole cents, rounded down once, never negative) with the reason.

- Fee refund (FTMO: with the first reward; FundedNext: with the third withdrawal): the fee paid for the
  account, paid on top of the trader's share with payout number N or, if that one was skipped, the first
  payout after it, and only once.
- Challenge-phase share (FundedNext: 15% of the *target*, not of the profit made): paid when the challenge's
  profit target was reached; a $10,000 target with $12,000 made pays $1,500.
- Breach with profit (FundedNext: 50% of the profit made before a daily-loss breach, if every trade had a
  stop loss and none lost more than 1%): the profit is the closed balance left after the breach minus the
  initial balance (+$12,000 then a breach leaving +$7,000 pays $3,500).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from propdesk.payouts.model import WITHDRAWN_STATUSES, Extra, Payout
from propdesk.payouts.policy import HUNDRED, PayoutTermsError

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _down(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def _percent(value: Decimal, field: str) -> Decimal:
    if not ZERO < value <= HUNDRED:
        raise PayoutTermsError(f"{field} is above 0 and at most 100, got {value}", field)
    return value


def _not_negative(value: Decimal, field: str) -> Decimal:
    if value < ZERO:
        raise PayoutTermsError(f"{field} must not be negative, got {value}", field)
    return value


# ---- the fee refund


@dataclass(frozen=True, slots=True)
class FeeRefundTerms:
    with_payout_number: int  # 1: the first reward (FTMO); 3: the third withdrawal (FundedNext)

    def __post_init__(self) -> None:
        if self.with_payout_number < 1:
            raise PayoutTermsError("the refund comes with payout number 1 or later", "with_payout_number")


def payout_number(history: Iterable[Payout]) -> int:
    """The number the next payout will have: 1 + the payouts withdrawn (approved or paid) before it."""
    return 1 + sum(1 for payout in history if payout.status in WITHDRAWN_STATUSES)


def refunded_before(history: Iterable[Payout]) -> bool:
    """Whether a payout that counts (approved, on its way or paid) carried the fee refund already: a payout
    that failed or came back did not refund it, so the next one does."""
    return any(payout.fee_refund > ZERO for payout in history if payout.status in WITHDRAWN_STATUSES)


def fee_refund(terms: FeeRefundTerms, fee_paid: Decimal, number: int, refunded_before: bool) -> Extra:
    """The refund owed with payout `number` (1-based): the fee paid, once, from payout N on."""
    _not_negative(fee_paid, "fee_paid")
    wanted = terms.with_payout_number
    if refunded_before:
        return Extra("fee_refund", ZERO, "the fee was refunded with an earlier payout: it is refunded once")
    if number < wanted:
        return Extra(
            "fee_refund", ZERO, f"the fee is refunded with payout number {wanted}; this is number {number}"
        )
    amount = _down(fee_paid)
    return Extra(
        "fee_refund",
        amount,
        f"payout number {number} refunds the fee paid for the account ({amount}), on top of the share",
    )


# ---- the challenge-phase profit share


@dataclass(frozen=True, slots=True)
class ChallengeShareTerms:
    percent_of_target: Decimal  # FundedNext: 15

    def __post_init__(self) -> None:
        _percent(self.percent_of_target, "percent_of_target")


def challenge_share(terms: ChallengeShareTerms, target: Decimal, profit_made: Decimal) -> Extra:
    """`percent_of_target` of the challenge's profit target, owed when the target was reached."""
    _not_negative(target, "target")
    percent = terms.percent_of_target
    if profit_made < target:
        return Extra(
            "challenge_share",
            ZERO,
            f"the challenge made {profit_made} of its {target} target: no share of the target is owed",
        )
    amount = _down(target * percent / HUNDRED)
    return Extra(
        "challenge_share",
        amount,
        f"{percent}% of the {target} target (not of the {profit_made} made) = {amount}",
    )


# ---- profit made before a breach


@dataclass(frozen=True, slots=True)
class BreachShareTerms:
    percent: Decimal  # FundedNext: 50
    rules: frozenset[str] = frozenset({"daily_loss"})  # the breaches that qualify
    require_stop_loss: bool = True  # every trade had a stop loss
    # No trade lost more than this % of the initial balance (None: no such condition).
    max_trade_loss_percent: Decimal | None = Decimal(1)

    def __post_init__(self) -> None:
        _percent(self.percent, "percent")
        if self.max_trade_loss_percent is not None:
            _percent(self.max_trade_loss_percent, "max_trade_loss_percent")


@dataclass(frozen=True, slots=True)
class TradeRisk:
    """A closed trade as the breach share looks at it: whether it carried a stop loss, and its net profit."""

    position_id: str
    had_stop_loss: bool
    profit: Decimal


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    met: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class BreachShare:
    extra: Extra
    conditions: tuple[Condition, ...]

    @property
    def eligible(self) -> bool:
        return all(condition.met for condition in self.conditions)


def breach_share(
    terms: BreachShareTerms,
    breached_rule: str,
    initial_balance: Decimal,
    balance_after_breach: Decimal,
    trades: Sequence[TradeRisk],
) -> BreachShare:
    """`percent` of the profit left after a qualifying breach, when every condition is met; each condition is
    reported with its verdict."""
    conditions = [_rule_qualifies(terms, breached_rule)]
    if terms.require_stop_loss:
        conditions.append(_every_trade_had_a_stop_loss(trades))
    if terms.max_trade_loss_percent is not None:
        conditions.append(_no_trade_lost_too_much(terms.max_trade_loss_percent, initial_balance, trades))
    profit = balance_after_breach - initial_balance
    conditions.append(
        Condition(
            "profit_left",
            profit > ZERO,
            f"the closed balance after the breach, {balance_after_breach}, is {profit} over the initial "
            f"{initial_balance}",
        )
    )
    unmet = [condition for condition in conditions if not condition.met]
    if unmet:
        reasons = "; ".join(condition.explanation for condition in unmet)
        return BreachShare(
            Extra("breach_share", ZERO, f"no share of the profit is owed: {reasons}"), tuple(conditions)
        )
    amount = _down(profit * terms.percent / HUNDRED)
    explanation = f"{terms.percent}% of the {profit} profit left after the {breached_rule} breach = {amount}"
    return BreachShare(Extra("breach_share", amount, explanation), tuple(conditions))


def _rule_qualifies(terms: BreachShareTerms, rule: str) -> Condition:
    qualifying = ", ".join(sorted(terms.rules))
    met = rule in terms.rules
    verdict = "qualifies" if met else "does not qualify"
    return Condition("breach_qualifies", met, f"a {rule} breach {verdict} (qualifying: {qualifying})")


def _every_trade_had_a_stop_loss(trades: Sequence[TradeRisk]) -> Condition:
    missing = [trade.position_id for trade in trades if not trade.had_stop_loss]
    if not missing:
        return Condition("stop_loss_on_every_trade", True, f"all {len(trades)} trades had a stop loss")
    return Condition(
        "stop_loss_on_every_trade",
        False,
        f"{len(missing)} trade(s) had no stop loss: {', '.join(missing[:5])}",
    )


def _no_trade_lost_too_much(
    percent: Decimal, initial_balance: Decimal, trades: Sequence[TradeRisk]
) -> Condition:
    limit = initial_balance * percent / HUNDRED
    worst = min((trade.profit for trade in trades), default=ZERO)
    met = -worst <= limit
    verdict = "within" if met else "beyond"
    return Condition(
        "trade_loss_within_limit",
        met,
        f"the worst trade lost {max(-worst, ZERO)}, {verdict} {percent}% of the initial balance ({limit})",
    )
