"""A program's payout terms: the profit split (flat or tiered), the minimum payout and the schedule.

A program document may carry a `payouts` object; whatever it leaves out comes from the firm's defaults
(`PayoutsApiSettings`). Example (Topstep-like: 100% of the first 10,000 withdrawn, then 90%):

    "payouts": {"profit_split": [{"up_to": "10000", "percent": "100"}, {"percent": "90"}],
                "minimum_amount": "150", "first_payout_after_days": 14, "days_between_payouts": 14,
                "consistency_percent": "30"}

`profit_split_percent: "80"` is the flat form. `fee_refund_with_payout: 1` (optional) refunds the fee paid for
the account with payout number 1 (FTMO; FundedNext: 3), on top of the trader's share. `consistency_percent`
(optional) is the consistency rule at payout (see `propdesk.payouts.consistency`). `challenge_share` and
`breach_share` (optional) are read by `propdesk.payouts.shares`. Only accounts of a program whose `kind` is
`funded` earn payouts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.errors import InvalidInputError

HUNDRED = Decimal(100)
FUNDED_KIND = "funded"


class PayoutPolicyError(ValueError):
    """A program's `payouts` section that cannot be read; names the field (in the message, and as `field`
    where the raiser knows it exactly; else `payouts`)."""

    def __init__(self, message: str, field: str = "payouts") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PayoutTermsError(InvalidInputError):
    """A figure given to the payout arithmetic that breaks its preconditions (a negative amount, fractions of
    a cent, a percent above 100...); `field` names it."""

    code = "invalid_payout_figure"


@dataclass(frozen=True, slots=True)
class SplitTier:
    """The trader's `percent` of profit withdrawn while the account's total withdrawn stays at most `up_to`
    (None: no upper bound, the last tier)."""

    percent: Decimal
    up_to: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PayoutPolicy:
    split: tuple[SplitTier, ...]
    minimum_amount: Decimal  # the trader's share of one payout must reach it
    first_payout_after_days: int  # counted from the day the funded account opened
    days_between_payouts: int  # counted from the previous request that was not rejected
    require_kyc: bool = True
    require_flat: bool = True  # no open positions: the profit paid is closed profit
    # Best day since the last withdrawn payout at most this % of the profit since then (None: no such rule).
    consistency_percent: Decimal | None = None
    # The fee paid for the account is refunded with this payout number (None: never refunded).
    fee_refund_with_payout: int | None = None

    def __post_init__(self) -> None:
        _check_split(self.split)
        if self.minimum_amount < 0:
            raise PayoutPolicyError("payouts.minimum_amount must not be negative")
        if self.first_payout_after_days < 0 or self.days_between_payouts < 0:
            raise PayoutPolicyError("payout schedule days must not be negative")
        if self.consistency_percent is not None and not Decimal(0) < self.consistency_percent <= HUNDRED:
            raise PayoutPolicyError("payouts.consistency_percent must be above 0 and at most 100")
        if self.fee_refund_with_payout is not None and self.fee_refund_with_payout < 1:
            raise PayoutPolicyError("payouts.fee_refund_with_payout must be 1 or more")


def flat_split(percent: Decimal) -> tuple[SplitTier, ...]:
    return (SplitTier(percent),)


def is_funded(document: Mapping[str, Any]) -> bool:
    return document.get("kind") == FUNDED_KIND


def policy_for(document: Mapping[str, Any], firm_default: PayoutPolicy) -> PayoutPolicy:
    """The program's payout terms over the firm's defaults."""
    section = document.get("payouts")
    if section is None:
        return firm_default
    if not isinstance(section, Mapping):
        raise PayoutPolicyError("payouts must be an object")
    policy = firm_default
    if "profit_split_percent" in section:
        policy = replace(policy, split=flat_split(_decimal(section, "profit_split_percent")))
    if "profit_split" in section:
        policy = replace(policy, split=_tiers(section["profit_split"]))
    if "minimum_amount" in section:
        policy = replace(policy, minimum_amount=_decimal(section, "minimum_amount"))
    if "first_payout_after_days" in section:
        policy = replace(policy, first_payout_after_days=_whole(section, "first_payout_after_days"))
    if "days_between_payouts" in section:
        policy = replace(policy, days_between_payouts=_whole(section, "days_between_payouts"))
    if "require_kyc" in section:
        policy = replace(policy, require_kyc=_flag(section, "require_kyc"))
    if "require_flat" in section:
        policy = replace(policy, require_flat=_flag(section, "require_flat"))
    if "consistency_percent" in section:
        policy = replace(policy, consistency_percent=_decimal(section, "consistency_percent"))
    if "fee_refund_with_payout" in section:
        policy = replace(policy, fee_refund_with_payout=_whole(section, "fee_refund_with_payout"))
    return policy


def _tiers(raw: Any) -> tuple[SplitTier, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise PayoutPolicyError("payouts.profit_split must be a non-empty list of tiers")
    tiers = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise PayoutPolicyError(f"payouts.profit_split[{index}] must be an object")
        up_to = _decimal(item, "up_to", f"profit_split[{index}].") if item.get("up_to") is not None else None
        tiers.append(SplitTier(_decimal(item, "percent", f"profit_split[{index}]."), up_to))
    return tuple(tiers)


def _check_split(split: tuple[SplitTier, ...]) -> None:
    if not split:
        raise PayoutPolicyError("payouts.profit_split needs at least one tier")
    previous = Decimal(0)
    for index, tier in enumerate(split):
        if not Decimal(0) < tier.percent <= HUNDRED:
            raise PayoutPolicyError(f"payouts.profit_split[{index}].percent must be above 0 and at most 100")
        last = index == len(split) - 1
        if (tier.up_to is None) != last:
            raise PayoutPolicyError("payouts.profit_split: only the last tier has no up_to")
        if tier.up_to is not None:
            if tier.up_to <= previous:
                raise PayoutPolicyError(f"payouts.profit_split[{index}].up_to must grow from tier to tier")
            previous = tier.up_to


def _decimal(section: Mapping[str, Any], name: str, prefix: str = "") -> Decimal:
    raw = section.get(name)
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise PayoutPolicyError(f"payouts.{prefix}{name} must be a decimal string")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise PayoutPolicyError(f"payouts.{prefix}{name} must be a decimal string") from None
    if not value.is_finite():
        raise PayoutPolicyError(f"payouts.{prefix}{name} must be finite")
    return value


def _whole(section: Mapping[str, Any], name: str) -> int:
    raw = section.get(name)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise PayoutPolicyError(f"payouts.{name} must be a whole number of days, 0 or more")
    return raw


def _flag(section: Mapping[str, Any], name: str) -> bool:
    raw = section.get(name)
    if not isinstance(raw, bool):
        raise PayoutPolicyError(f"payouts.{name} must be true or false")
    return raw
