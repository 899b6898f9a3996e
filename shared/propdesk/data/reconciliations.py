"""The latest reconciliation of each account with its platform (`propdesk.platforms.reconciliation.
FeedHealth`): `ACCOUNT#{id}` / `PLATFORM_FIGURES`, one item per account, overwritten by each check.
`stale_since`
keeps the first check that found the data stale until a check finds it current again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from propdesk.data import keys
from propdesk.data.models import PlatformFiguresItem
from propdesk.platforms.reconciliation import ReconciliationResult


@dataclass(frozen=True, slots=True)
class PlatformFiguresView:
    """What the account view shows of the latest reconciliation."""

    outcome: str
    checked_at: datetime
    held: bool
    stale: bool
    stale_since: datetime | None
    differences: list[dict[str, Any]]


class ReconciliationRepository:
    def record(self, result: ReconciliationResult) -> None:
        previous = self.latest(result.account_id)
        stale_since = None
        if result.stale:
            stale_since = previous.stale_since if previous and previous.stale_since else result.checked_at
        PlatformFiguresItem(
            keys.account_pk(result.account_id),
            keys.PLATFORM_FIGURES_SK,
            entity="platform_figures",
            account_id=result.account_id,
            outcome=result.outcome,
            checked_at=result.checked_at,
            held=result.held,
            stale=result.stale,
            stale_since=stale_since,
            differences=[
                {"figure": d.figure, "ours": d.ours, "theirs": d.theirs, "allowed": d.allowed}
                for d in result.differences
            ],
            platform_balance=None if result.theirs is None else str(result.theirs.balance),
            platform_equity=None if result.theirs is None else str(result.theirs.equity),
        ).save()

    def latest(self, account_id: str) -> PlatformFiguresView | None:
        try:
            item = PlatformFiguresItem.get(keys.account_pk(account_id), keys.PLATFORM_FIGURES_SK)
        except PlatformFiguresItem.DoesNotExist:
            return None
        return PlatformFiguresView(
            outcome=item.outcome,
            checked_at=item.checked_at,
            held=bool(item.held),
            stale=bool(item.stale),
            stale_since=item.stale_since,
            differences=list(item.differences or []),
        )
