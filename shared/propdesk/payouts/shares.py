"""The challenge-phase share and the breach share: the program's terms for them and when each is paid.

A funded program's `payouts` object may grant either (both optional; a program without them pays neither):

    "challenge_share": {"percent_of_target": "15"},
    "breach_share": {"percent": "50", "rules": ["daily_loss"], "require_stop_loss": true,
                     "max_trade_loss_percent": "1"}

`breach_share.rules` defaults to `["daily_loss"]`, `require_stop_loss` to true, `max_trade_loss_percent` to
"1" (`null`: no such condition). A section that cannot be read raises `PayoutPolicyError` naming the field
(`payouts.challenge_share.percent_of_target`...), which publishing a program answers with 422.

When each is paid (the amounts are `propdesk.payouts.extras`: rounded down to the cent once, never negative):

- **Challenge-phase share, once per funded account, with its first payout.** The challenge is the account's
  predecessor in its chain (`propdesk.life`: the phase whose pass opened this account); its target is its
  program version's `profit_target` over its initial balance, and what it made is its engine profit (closed
  balance + withdrawn - initial - excluded). It rides on the first payout of the funded account that counts
  (approved, on its way or paid): a payout that was rejected, failed or came back did not pay it, so the next
  one does; once one that counts carried it, never again. Nothing for a funded account sold on its own
  (no predecessor) or a challenge without a profit target.
- **Breach share, once, on a funded account failed by a qualifying breach.** The breach is the first
  standing (not overridden) breach that failed the account; the profit is the closed balance left after it
  less the initial balance (profit paid out before is gone from the balance, so it is never shared twice).
  It is the *only* payout such an account may request: no profit leaves the account (`amount` 0, no split,
  no fee refund), the share is paid on its own, with the challenge share if no earlier payout carried it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.payouts.extras import (
    BreachShare,
    BreachShareTerms,
    ChallengeShareTerms,
    Condition,
    TradeRisk,
    breach_share,
    challenge_share,
)
from propdesk.payouts.model import WITHDRAWN_STATUSES, Extra, Payout
from propdesk.payouts.policy import PayoutPolicy, PayoutPolicyError, PayoutTermsError, flat_split, policy_for

ZERO = Decimal(0)
DEFAULT_BREACH_RULES = ("daily_loss",)
DEFAULT_MAX_TRADE_LOSS_PERCENT = "1"


@dataclass(frozen=True, slots=True)
class ShareTerms:
    """What the program grants on top of the split (None: not granted)."""

    challenge: ChallengeShareTerms | None = None
    breach: BreachShareTerms | None = None


def share_terms(document: Mapping[str, Any]) -> ShareTerms:
    """The program's challenge and breach share terms; `PayoutPolicyError` naming the field at fault."""
    section = document.get("payouts")
    if not isinstance(section, Mapping):
        return ShareTerms()
    return ShareTerms(
        _challenge_terms(section.get("challenge_share")), _breach_terms(section.get("breach_share"))
    )


def check_payout_terms(document: Mapping[str, Any]) -> None:
    """Every `payouts` key the payout service reads, checked on publishing (and by `propdesk evaluate`):
    the split, schedule and refund keys (`policy_for`) and the two shares; `PayoutPolicyError` naming the
    field."""
    policy_for(document, _ANY_FIRM_DEFAULT)
    share_terms(document)


_ANY_FIRM_DEFAULT = PayoutPolicy(flat_split(Decimal(80)), ZERO, 0, 0)  # only the program's own keys are read


def _challenge_terms(raw: Any) -> ChallengeShareTerms | None:
    if raw is None:
        return None
    prefix = "payouts.challenge_share"
    if not isinstance(raw, Mapping):
        raise PayoutPolicyError(f"{prefix} must be an object", prefix)
    percent = _percent(raw, "percent_of_target", prefix)
    try:
        return ChallengeShareTerms(percent)
    except PayoutTermsError as error:
        raise _named(error, prefix) from None


def _breach_terms(raw: Any) -> BreachShareTerms | None:
    if raw is None:
        return None
    prefix = "payouts.breach_share"
    if not isinstance(raw, Mapping):
        raise PayoutPolicyError(f"{prefix} must be an object", prefix)
    rules = raw.get("rules", list(DEFAULT_BREACH_RULES))
    if (
        not isinstance(rules, list)
        or not rules
        or not all(isinstance(rule, str) and rule.strip() for rule in rules)
    ):
        raise PayoutPolicyError(f"{prefix}.rules must be a non-empty list of rule types", f"{prefix}.rules")
    stop_loss = raw.get("require_stop_loss", True)
    if not isinstance(stop_loss, bool):
        raise PayoutPolicyError(
            f"{prefix}.require_stop_loss must be true or false", f"{prefix}.require_stop_loss"
        )
    limit = (
        None
        if "max_trade_loss_percent" in raw and raw["max_trade_loss_percent"] is None
        else _percent(raw, "max_trade_loss_percent", prefix, DEFAULT_MAX_TRADE_LOSS_PERCENT)
    )
    percent = _percent(raw, "percent", prefix)
    try:
        return BreachShareTerms(percent, frozenset(rules), stop_loss, limit)
    except PayoutTermsError as error:
        raise _named(error, prefix) from None


def _percent(section: Mapping[str, Any], name: str, prefix: str, default: Any = None) -> Decimal:
    field = f"{prefix}.{name}"
    raw = section.get(name, default)
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise PayoutPolicyError(f"{field} must be a decimal string above 0 and at most 100", field)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise PayoutPolicyError(f"{field} must be a decimal string above 0 and at most 100", field) from None
    if not value.is_finite() or not ZERO < value <= Decimal(100):
        raise PayoutPolicyError(f"{field} must be above 0 and at most 100, got {raw}", field)
    return value


def _named(error: PayoutTermsError, prefix: str) -> PayoutPolicyError:
    field = f"{prefix}.{error.field}" if error.field else prefix
    return PayoutPolicyError(f"{field}: {error.message}", field)


# ---- the figures each share is computed from


@dataclass(frozen=True, slots=True)
class ChallengeResult:
    """The challenge a funded account continues: its profit target (None: it had none) and what it made."""

    account_id: str
    target: Decimal | None
    profit_made: Decimal


@dataclass(frozen=True, slots=True)
class BreachFacts:
    """The breach that failed a funded account, the closed balance left after it and the account's trades."""

    rule: str
    initial_balance: Decimal
    balance_after: Decimal
    trades: Sequence[TradeRisk]


def profit_target(document: Mapping[str, Any], initial_balance: Decimal) -> Decimal | None:
    """The program version's profit target in money, as the engine reads it (None: no target)."""
    from propdesk.engine.program import Program  # the engine (~25 ms of import): only for a chain's challenge
    from propdesk.engine.rules.profit_target import ProfitTarget

    program = Program.from_dict({**document, "initial_balance": str(initial_balance)})
    return next((rule.target for rule in program.rules if isinstance(rule, ProfitTarget)), None)


def failing_breach(breaches: Iterable[Mapping[str, Any]]) -> str | None:
    """The rule of the first standing breach that failed the account (the engine's verdict), if any."""
    for breach in breaches:
        if breach.get("effect") == "fail" and not breach.get("overridden"):
            return str(breach.get("rule"))
    return None


# ---- owed now?


def paid_before(history: Iterable[Payout], kind: str) -> bool:
    """Whether a payout that counts (approved, on its way or paid) carried this extra already."""
    return any(
        extra.kind == kind and extra.amount > ZERO
        for payout in history
        if payout.status in WITHDRAWN_STATUSES
        for extra in payout.extras
    )


def challenge_share_owed(
    terms: ChallengeShareTerms | None, challenge: ChallengeResult | None, history: Sequence[Payout]
) -> Extra | None:
    """The challenge share the account's next payout carries (None: the program grants none or there was
    no challenge with a target); 0 with the reason when it is not owed."""
    if terms is None or challenge is None or challenge.target is None:
        return None
    if paid_before(history, "challenge_share"):
        return Extra("challenge_share", ZERO, "paid with an earlier payout: the challenge share is paid once")
    return challenge_share(terms, challenge.target, challenge.profit_made)


def breach_share_owed(
    terms: BreachShareTerms | None, breach: BreachFacts | None, history: Sequence[Payout]
) -> BreachShare | None:
    """The breach share a failed funded account may request (None: the program grants none or the account
    was not failed by a breach); its conditions each with their verdict, `not_paid_before` among them."""
    if terms is None or breach is None:
        return None
    share = breach_share(terms, breach.rule, breach.initial_balance, breach.balance_after, breach.trades)
    if not paid_before(history, "breach_share"):
        return share
    once = Condition(
        "not_paid_before", False, "the breach share was paid with an earlier payout: it is paid once"
    )
    return BreachShare(Extra("breach_share", ZERO, f"no share of the profit is owed: {once.explanation}"),
                       (*share.conditions, once))  # fmt: skip
