"""Who approves a payout: nobody under the firm's first amount (the workflow approves it), one finance member
up to the second, two different finance members above it. Amounts compare the trader's share (the money
that leaves the firm). Finance never decides a payout they requested themselves: their own account
(`propdesk.access.refuse_own_account`, 403 `own_account`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from propdesk.access import OwnAccountError

SYSTEM_APPROVER = "system:payout-workflow"
Approvers = Literal[0, 1, 2]


# Finance deciding a payout they requested: the separation-of-duties refusal of every staff action.
SelfApprovalError = OwnAccountError


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    auto_approve_below: Decimal = Decimal(1000)  # a trader's share below it is approved by the workflow
    two_person_above: Decimal = Decimal(10000)  # above it two different finance members approve

    def __post_init__(self) -> None:
        if self.auto_approve_below < 0 or self.two_person_above < self.auto_approve_below:
            raise ValueError("0 <= auto_approve_below <= two_person_above")

    def approvers(self, trader_share: Decimal) -> Approvers:
        """How many finance members must approve a payout of this trader's share."""
        if trader_share < self.auto_approve_below:
            return 0
        return 2 if trader_share > self.two_person_above else 1
