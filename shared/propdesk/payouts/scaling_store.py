"""The scaling plan's decisions as kept (`ScalingStore`: `propdesk.data.scaling`), and what a kept decision
means for the account's payouts (`split_upgrade`): the split the latest decision left. Kept apart from the
reviews (`propdesk.payouts.scaling_reviews`), which publish `account.scaled`, so that the payout functions
reading the split cannot build that event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from propdesk.domain_events import stable_id
from propdesk.payouts.scaling import AccountTerms
from propdesk.payouts.terms import SplitUpgrade
from propdesk.records import AuditEntry


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A cycle's decision as kept: the account's terms after it (equal to before unless scaled)."""

    account_id: str
    cycle_ends_on: date
    scaled: bool
    after: AccountTerms
    explanation: str
    decided_at: datetime
    grown_at: datetime | None = None  # when the growth reached the platform (the engine's `scale` time)


def scaling_id(account_id: str, cycle_ends_on: date) -> str:
    """The decision's id: the id of its `account.scaled` event, the platform's top-up reference
    (`<id>:scaling`) and the engine's `scale` event's `scaling_id`."""
    return stable_id("account.scaled", account_id, cycle_ends_on.isoformat())


class ScalingStore(Protocol):
    def latest(self, account_id: str) -> StoredDecision | None:
        """The account's decision of its latest reviewed cycle."""
        ...

    def record(self, decision: StoredDecision, entry: AuditEntry) -> bool:
        """Keep the decision and its audit entry together, once per account and cycle (False: decided
        already)."""
        ...


class ScalingLookup(Protocol):
    def latest(self, account_id: str) -> StoredDecision | None: ...


def split_upgrade(decision: StoredDecision | None) -> SplitUpgrade | None:
    """The split a scaled account's payouts use (None: never scaled)."""
    if decision is None or decision.after.split_percent <= 0:
        return None
    label = f"scaling review of {decision.cycle_ends_on.isoformat()}"
    return SplitUpgrade("scaling", decision.after.split_percent, label)
