"""May the trader withdraw now, and how much? One check per payout rule, each with its verdict, an
explanation and the exact figures behind it, so the trader sees before asking what stands in the way ("the
next payout opens on ...", "the best day must be at most $X; you need $Y more"). The payout request is
refused with exactly the unmet checks' reasons: the preview and the request are one evaluation.

Withdrawable profit = closed balance - initial balance - profit excluded by news rules, never negative, in
whole cents. The requested `amount` (default: all of it) is the profit taken off the account; the trader's
share of it follows the program's split. State refusals (the account, KYC, the schedule, consistency) answer
409; amount refusals 422 (only the first: an amount fails one way at a time).

A funded account failed by a breach, in a program that grants a breach share (`propdesk.payouts.shares`), is
assessed for that share alone (`assess_breach_share`): KYC, no open payout, no hold, and the share's own
conditions; nothing leaves the account and no amount may be asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from propdesk.engine.days import TradingDay
from propdesk.payouts.consistency import (
    DEFAULT_TRADING_DAY,
    ClosedTrade,
    ConsistencyCheck,
    check_consistency,
    period_start,
)
from propdesk.payouts.extras import BreachShare
from propdesk.payouts.holds import PayoutHold
from propdesk.payouts.model import OPEN_STATUSES, WITHDRAWN_STATUSES, Extra, Payout
from propdesk.payouts.policy import PayoutPolicy, SplitTier
from propdesk.payouts.split import CENT, ZERO, money, trader_share

RefusalKind = Literal["state", "amount"]
Figures = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str
    kind: RefusalKind = "state"
    field: str | None = None


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One payout rule's verdict; `refusal` is what a request gets while the rule is unmet."""

    rule: str
    met: bool
    explanation: str
    figures: Figures
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class PayoutSituation:
    """What the rules look at, read by the caller from the account, its risk state, KYC and history."""

    account_status: str
    funded: bool
    kyc_status: str | None  # None: the trader never started KYC
    opened_at: datetime
    initial_balance: Decimal
    closed_balance: Decimal
    excluded_profit: Decimal
    open_positions: int
    history: Sequence[Payout]
    # Closes since `consistency_since` (more are ignored); read only when the policy has a consistency rule.
    closed_trades: Sequence[ClosedTrade] = ()
    holds: Sequence[PayoutHold] = ()
    trading_day: TradingDay = DEFAULT_TRADING_DAY

    @property
    def withdrawable(self) -> Decimal:
        return money(max(self.closed_balance - self.initial_balance - self.excluded_profit, ZERO))

    @property
    def withdrawn_before(self) -> Decimal:
        return sum((p.amount for p in self.history if p.status in WITHDRAWN_STATUSES), ZERO)

    @property
    def consistency_since(self) -> datetime:
        return period_start(self.opened_at, self.history)


@dataclass(frozen=True, slots=True)
class Quote:
    withdrawable: Decimal
    amount: Decimal
    trader_share: Decimal
    firm_share: Decimal


@dataclass(frozen=True, slots=True)
class Assessment:
    checks: tuple[RuleCheck, ...]
    refusals: tuple[Refusal, ...]
    quote: Quote
    earliest_at: datetime  # the first instant at which every time rule is met (in the past once they are)
    next_eligible_at: datetime | None  # when the schedule allows the next request (None: it does now)
    consistency: ConsistencyCheck | None
    # What the payout carries on top of the trader's share, each with its reason (0: considered, not owed).
    extras: tuple[Extra, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.refusals

    @property
    def extras_owed(self) -> tuple[Extra, ...]:
        return tuple(extra for extra in self.extras if extra.amount > ZERO)


def assess(
    situation: PayoutSituation, policy: PayoutPolicy, now: datetime, requested: Decimal | None = None
) -> Assessment:
    """Check every rule (not just the first that fails) and price the payout."""
    withdrawable = situation.withdrawable
    amount = withdrawable if requested is None else requested
    share = trader_share(amount, situation.withdrawn_before, policy.split)
    quote = Quote(withdrawable, amount, share, amount - share)
    first_opens = situation.opened_at + timedelta(days=policy.first_payout_after_days)
    last_request = _last_request(situation.history)
    next_opens = None if last_request is None else last_request + timedelta(days=policy.days_between_payouts)
    earliest = max(first_opens, next_opens or first_opens)
    consistency = _consistency(situation, policy, now)
    state_checks = [
        _funded(situation),
        _active(situation),
        *([_kyc(situation)] if policy.require_kyc else []),
        *([_flat(situation)] if policy.require_flat else []),
        _no_open_payout(situation),
        _not_on_hold(situation),
        _first_payout_wait(situation, policy, first_opens, now),
        _payout_interval(policy, last_request, next_opens, now),
        *([_consistent(consistency)] if consistency is not None else []),
    ]
    amount_checks = [_profit(situation, quote), _amount(quote, requested), _minimum(quote, policy)]
    refusals = [check.refusal for check in state_checks if not check.met and check.refusal]
    first_amount = next((check.refusal for check in amount_checks if not check.met and check.refusal), None)
    if first_amount is not None:
        refusals.append(first_amount)
    return Assessment(
        checks=(*state_checks, *amount_checks),
        refusals=tuple(refusals),
        quote=quote,
        earliest_at=earliest,
        next_eligible_at=earliest if earliest > now else None,
        consistency=consistency,
    )


def assess_breach_share(
    situation: PayoutSituation,
    policy: PayoutPolicy,
    now: datetime,
    requested: Decimal | None,
    share: BreachShare,
) -> Assessment:
    """The only payout a funded account failed by a breach may ask for: its breach share, paid on its own
    (no profit leaves the account: amount, trader's and firm's shares are 0). Every condition of the share
    is a rule here with its verdict."""
    state_checks = [
        _funded(situation),
        *([_kyc(situation)] if policy.require_kyc else []),
        _no_open_payout(situation),
        _not_on_hold(situation),
        *(
            RuleCheck(
                f"breach_share_{condition.name}", condition.met, condition.explanation, {},
                Refusal("breach_share_not_owed", condition.explanation),
            )
            for condition in share.conditions
        ),
    ]  # fmt: skip
    amount_checks = [_breach_share_only(requested)]
    refusals = [check.refusal for check in (*state_checks, *amount_checks) if not check.met and check.refusal]
    return Assessment(
        checks=(*state_checks, *amount_checks),
        refusals=tuple(refusals),
        quote=Quote(ZERO, ZERO, ZERO, ZERO),
        earliest_at=now,
        next_eligible_at=None,
        consistency=None,
    )


def _breach_share_only(requested: Decimal | None) -> RuleCheck:
    figures = {"requested": None if requested is None else format_money(requested)}
    if requested is None or requested == ZERO:
        explanation = (
            "the account was failed by a breach: only its breach share is paid, no profit is withdrawn"
        )
        return RuleCheck("breach_share_only", True, explanation, figures)
    message = "the account was failed by a breach: it pays only its breach share, ask without an amount"
    refusal = Refusal("breach_share_only", message, "amount", "amount")
    return RuleCheck("breach_share_only", False, message, figures, refusal)


# ---- the account


def _funded(situation: PayoutSituation) -> RuleCheck:
    figures = {"funded": _flag(situation.funded)}
    if situation.funded:
        return RuleCheck("funded", True, "the account is a funded account", figures)
    message = "only funded accounts earn payouts"
    return RuleCheck("funded", False, message, figures, Refusal("account_not_funded", message))


def _active(situation: PayoutSituation) -> RuleCheck:
    status = situation.account_status
    figures = {"account_status": status}
    if status == "active":
        return RuleCheck("account_active", True, "the account is active", figures)
    message = f"the account is {status}, not active"
    return RuleCheck("account_active", False, message, figures, Refusal("account_not_active", message))


def _kyc(situation: PayoutSituation) -> RuleCheck:
    status = situation.kyc_status or "not started"
    figures = {"kyc_status": situation.kyc_status}
    if situation.kyc_status == "approved":
        return RuleCheck("kyc_approved", True, "identity verification is approved", figures)
    message = f"identity verification is {status}, not approved"
    return RuleCheck("kyc_approved", False, message, figures, Refusal("kyc_not_approved", message))


def _flat(situation: PayoutSituation) -> RuleCheck:
    count = situation.open_positions
    figures = {"open_positions": str(count)}
    if not count:
        explanation = "no position is open: the profit is closed profit"
        return RuleCheck("no_open_positions", True, explanation, figures)
    message = f"close the {count} open position(s) first"
    return RuleCheck("no_open_positions", False, message, figures, Refusal("positions_open", message))


def _no_open_payout(situation: PayoutSituation) -> RuleCheck:
    pending = next((p for p in situation.history if p.status in OPEN_STATUSES), None)
    if pending is None:
        figures: dict[str, str | None] = {"pending_payout_id": None, "pending_status": None}
        return RuleCheck("no_open_payout", True, "no other payout of the account is open", figures)
    figures = {"pending_payout_id": pending.payout_id, "pending_status": pending.status}
    message = f"payout {pending.payout_id} is {pending.status} and not paid yet"
    return RuleCheck("no_open_payout", False, message, figures, Refusal("payout_pending", message))


def _not_on_hold(situation: PayoutSituation) -> RuleCheck:
    # Generic on purpose: which detector or reconciliation placed a hold is for staff, never for the trader.
    held = bool(situation.holds)
    figures = {"on_hold": _flag(held)}
    if not held:
        return RuleCheck("not_on_hold", True, "no review holds the account's payouts", figures)
    message = "payouts on this account are on hold while a review is pending"
    return RuleCheck("not_on_hold", False, message, figures, Refusal("payout_on_hold", message))


# ---- the schedule


def _last_request(history: Sequence[Payout]) -> datetime | None:
    requests = [p.requested_at for p in history if p.status != "rejected"]
    return max(requests) if requests else None


def _first_payout_wait(
    situation: PayoutSituation, policy: PayoutPolicy, opens: datetime, now: datetime
) -> RuleCheck:
    required = policy.first_payout_after_days
    passed = _whole_days(now - situation.opened_at)
    figures = {
        "funded_at": situation.opened_at.isoformat(),
        "days_since_funding": str(passed),
        "required_days": str(required),
        "opens_at": opens.isoformat(),
    }
    when = f"the first payout may be requested from {opens.isoformat()}"
    detail = f"{required} days after funding; {passed} have passed"
    if now >= opens:
        return RuleCheck("first_payout_wait", True, f"{when} ({detail})", figures)
    refusal = Refusal("too_soon_after_funding", when)
    return RuleCheck("first_payout_wait", False, f"{when} ({detail})", figures, refusal)


def _payout_interval(
    policy: PayoutPolicy, last_request: datetime | None, opens: datetime | None, now: datetime
) -> RuleCheck:
    required = policy.days_between_payouts
    if last_request is None or opens is None:
        figures: dict[str, str | None] = {
            "last_request_at": None, "days_since_last_request": None, "required_days": str(required),
            "opens_at": None,
        }  # fmt: skip
        return RuleCheck("payout_interval", True, "no earlier payout request: no interval to wait", figures)
    passed = _whole_days(now - last_request)
    figures = {
        "last_request_at": last_request.isoformat(),
        "days_since_last_request": str(passed),
        "required_days": str(required),
        "opens_at": opens.isoformat(),
    }
    when = f"the next payout may be requested from {opens.isoformat()}"
    detail = f"{required} days after the last request; {passed} have passed"
    if now >= opens:
        return RuleCheck("payout_interval", True, f"{when} ({detail})", figures)
    refusal = Refusal("too_soon_after_last_payout", when)
    return RuleCheck("payout_interval", False, f"{when} ({detail})", figures, refusal)


def _whole_days(elapsed: timedelta) -> int:
    return max(elapsed.days, 0)


# ---- consistency


def _consistency(situation: PayoutSituation, policy: PayoutPolicy, now: datetime) -> ConsistencyCheck | None:
    if policy.consistency_percent is None:
        return None
    trades, day = situation.closed_trades, situation.trading_day
    return check_consistency(policy.consistency_percent, trades, day, situation.consistency_since, now)


def _consistent(check: ConsistencyCheck) -> RuleCheck:
    best = check.best_day
    since = check.period_start.isoformat()
    figures = {
        "percent": format_decimal(check.percent),
        "period_start": since,
        "trading_days": str(len(check.days)),
        "best_day_starts_at": best.starts_at.isoformat() if best else None,
        "best_day_profit": format_money(check.best_profit),
        "total_profit": format_money(check.total),
        "max_best_day": format_money(check.max_best_day),
        "needed_more": format_money(check.needed_more),
    }
    percent = f"{format_decimal(check.percent)}%"
    if best is None:
        explanation = f"no trading day since {since} made a profit, so no day stands out"
        if check.met:
            return RuleCheck("consistency", True, explanation, figures)
    else:
        day = best.starts_at.isoformat()
        explanation = (
            f"the best day since {since} (the trading day from {day}) made {format_money(best.profit)} of "
            f"{format_money(check.total)} total profit; the best day must be at most {percent} of the total "
            f"({format_money(check.max_best_day)})"
        )
        if check.met:
            return RuleCheck("consistency", True, explanation, figures)
    message = f"{explanation}: you need {format_money(check.needed_more)} more profit for it to fit"
    return RuleCheck("consistency", False, message, figures, Refusal("consistency_not_met", message))


# ---- the amount


def _profit(situation: PayoutSituation, quote: Quote) -> RuleCheck:
    figures = {
        "withdrawable": format_money(quote.withdrawable),
        "closed_balance": format_money(situation.closed_balance),
        "initial_balance": format_money(situation.initial_balance),
        "excluded_profit": format_money(situation.excluded_profit),
    }
    arithmetic = (
        f"closed balance {figures['closed_balance']} - initial {figures['initial_balance']} - profit "
        f"excluded by news rules {figures['excluded_profit']}"
    )
    if quote.withdrawable > ZERO:
        return RuleCheck("profit", True, f"{figures['withdrawable']} is withdrawable ({arithmetic})", figures)
    message = "the account has no closed profit to withdraw"
    refusal = Refusal("no_profit", message, "amount", "amount")
    return RuleCheck("profit", False, f"{message} ({arithmetic})", figures, refusal)


def _amount(quote: Quote, requested: Decimal | None) -> RuleCheck:
    figures = {
        "requested": None if requested is None else format_money(requested),
        "withdrawable": format_money(quote.withdrawable),
    }
    if requested is None:
        explanation = f"all that is withdrawable ({figures['withdrawable']}) is asked for"
        return RuleCheck("amount_within_profit", True, explanation, figures)
    if requested <= quote.withdrawable:
        explanation = f"{figures['requested']} of the {figures['withdrawable']} withdrawable is asked for"
        return RuleCheck("amount_within_profit", True, explanation, figures)
    message = f"at most {quote.withdrawable} can be withdrawn, {requested} was asked"
    refusal = Refusal("amount_above_withdrawable", message, "amount", "amount")
    return RuleCheck("amount_within_profit", False, message, figures, refusal)


def _minimum(quote: Quote, policy: PayoutPolicy) -> RuleCheck:
    figures = {
        "amount": format_money(quote.amount),
        "trader_share": format_money(quote.trader_share),
        "firm_share": format_money(quote.firm_share),
        "split": describe_split(policy.split),
        "minimum": format_money(policy.minimum_amount),
    }
    if quote.trader_share >= policy.minimum_amount:
        explanation = (
            f"the trader's share {figures['trader_share']} (of {figures['amount']} at {figures['split']}) "
            f"reaches the minimum {figures['minimum']}"
        )
        return RuleCheck("minimum_amount", True, explanation, figures)
    message = f"the trader's share would be {quote.trader_share}, the minimum is {policy.minimum_amount}"
    refusal = Refusal("below_minimum", message, "amount", "amount")
    return RuleCheck("minimum_amount", False, message, figures, refusal)


# ---- figures as text


def format_money(amount: Decimal) -> str:
    """At least two decimals, never rounded: an amount with more digits is shown with all of them."""
    exact = amount if amount != amount.quantize(CENT) else amount.quantize(CENT)
    return format(exact, "f")


def format_decimal(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def describe_split(split: tuple[SplitTier, ...]) -> str:
    """`80%`, or `100% up to 10000 withdrawn, then 90%`."""
    parts = [
        f"{format_decimal(tier.percent)}%" + ("" if tier.up_to is None else f" up to {tier.up_to} withdrawn")
        for tier in split
    ]
    return ", then ".join(parts)


def _flag(value: bool) -> str:
    return "true" if value else "false"
