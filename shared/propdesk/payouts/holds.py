"""Payout holds: something outside the payout rules stops an account's payouts until it is cleared.

Abuse detection places a hold while a flag naming the account is open; reconciliation places one while the
platform's balance or equity differs from ours beyond the tolerance; staff may place one by hand. Each source
places and lifts its own holds by reference (a flag id, a reconciliation id), so placing twice or lifting
twice is harmless. An account with any hold is refused payouts with one generic reason: the trader is told
that a review is pending, never which detector or figure caused it (staff read the hold's `reason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

HoldSource = Literal["abuse", "reconciliation", "staff"]
HOLD_SOURCES: tuple[HoldSource, ...] = ("abuse", "reconciliation", "staff")


@dataclass(frozen=True, slots=True)
class PayoutHold:
    account_id: str
    source: HoldSource
    reference: str  # what the source knows the hold by: a flag id, a reconciliation id, a staff action id
    reason: str  # for staff only; never shown to the trader
    placed_at: datetime


class PayoutHolds(Protocol):
    """Where holds are kept (the data layer implements it)."""

    def holds_on(self, account_id: str) -> list[PayoutHold]:
        """Every hold on the account now, oldest first."""
        ...

    def place(self, hold: PayoutHold) -> bool:
        """Keep the hold; False when a hold with its (account, source, reference) is already there."""
        ...

    def lift(self, account_id: str, source: HoldSource, reference: str) -> bool:
        """Remove that hold; False when there was none."""
        ...
