"""Payout cycles as calendar days (FundedNext Stellar Lite: the first cycle is the funding day and the 20 days
after it, then every 14 days): a cycle May 1-21 with $3,000 profit pays $2,400 at 80%, and the next cycle is
May 22 - Jun 4. Days are the program's days, inclusive at both ends.

Uses the policy's `first_payout_after_days` (the first cycle's length) and `days_between_payouts` (every later
cycle's). The request rules themselves are `eligibility`'s (which counts from the last request); this module
names the windows a firm's statement and the trader's calendar show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from propdesk.payouts.policy import PayoutPolicy, PayoutTermsError


@dataclass(frozen=True, slots=True)
class PayoutCycle:
    number: int  # 1-based
    first_day: date
    last_day: date  # inclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day <= self.last_day


def payout_cycle(policy: PayoutPolicy, funded_on: date, number: int) -> PayoutCycle:
    """Cycle `number` of an account funded on `funded_on`."""
    first, every = policy.first_payout_after_days, policy.days_between_payouts
    if number < 1:
        raise PayoutTermsError("payout cycles are numbered from 1", "number")
    if first < 1 or (number > 1 and every < 1):
        raise PayoutTermsError("a payout cycle lasts at least one day", "days_between_payouts")
    start = funded_on if number == 1 else funded_on + timedelta(days=first + (number - 2) * every)
    length = first if number == 1 else every
    return PayoutCycle(number, start, start + timedelta(days=length - 1))


def cycle_on(policy: PayoutPolicy, funded_on: date, day: date) -> PayoutCycle:
    """The cycle that holds `day` (the first cycle for days before funding)."""
    first, every = policy.first_payout_after_days, policy.days_between_payouts
    elapsed = (day - funded_on).days
    if elapsed < first or every < 1:
        return payout_cycle(policy, funded_on, 1)
    return payout_cycle(policy, funded_on, 2 + (elapsed - first) // every)
