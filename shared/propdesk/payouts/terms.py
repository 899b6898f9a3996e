"""The account's profit split: the program's split unless an add-on bought with the order or the scaling plan
raised it.

An upgrade is a percent the trader's share is raised *to* (FTMO's scaling: 90%; a "90% split" add-on). It
never lowers a split: each tier of the program's split becomes the higher of its own percent and the best
upgrade's, so a tiered split (Topstep: 100% of the first 10,000 withdrawn, then 90%) keeps its 100% tier
under a 90% upgrade. Tier bounds are unchanged: they apply to the account's cumulative withdrawn profit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from propdesk.payouts.policy import HUNDRED, PayoutTermsError, SplitTier

UpgradeSource = Literal["add_on", "scaling"]


@dataclass(frozen=True, slots=True)
class SplitUpgrade:
    """A raise of the trader's share to `percent`, from an add-on bought with the order or from scaling."""

    source: UpgradeSource
    percent: Decimal
    label: str = ""  # e.g. the add-on's name, or "scaling review of 2026-09-01"

    def __post_init__(self) -> None:
        if not Decimal(0) < self.percent <= HUNDRED:
            raise PayoutTermsError("an upgraded split is above 0% and at most 100%", "percent")


@dataclass(frozen=True, slots=True)
class AccountSplit:
    """The split the account's payouts use, and why."""

    split: tuple[SplitTier, ...]
    program_split: tuple[SplitTier, ...]
    raised_by: SplitUpgrade | None  # the upgrade that raised at least one tier (None: the program's split)

    @property
    def explanation(self) -> str:
        if self.raised_by is None:
            return "the program's split applies: no add-on or scaling raised it"
        source = "the add-on" if self.raised_by.source == "add_on" else "scaling"
        label = f" ({self.raised_by.label})" if self.raised_by.label else ""
        return f"{source}{label} raised the split to at least {self.raised_by.percent}% on every tier"


def account_split(
    program_split: tuple[SplitTier, ...], upgrades: Sequence[SplitUpgrade] = ()
) -> AccountSplit:
    """Each tier at the higher of its own percent and the best upgrade's (the earliest of equal upgrades)."""
    best: SplitUpgrade | None = None
    for upgrade in upgrades:
        if best is None or upgrade.percent > best.percent:
            best = upgrade
    if best is None:
        return AccountSplit(program_split, program_split, None)
    raised = tuple(SplitTier(max(tier.percent, best.percent), tier.up_to) for tier in program_split)
    return AccountSplit(raised, program_split, best if raised != program_split else None)
