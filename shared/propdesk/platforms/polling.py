"""How often an account on a platform without push is polled: every tick (a minute) while it is near a loss
limit or its feed is stale, otherwise once every `every_minutes`, each account in its own minute of that
cycle (a hash of its id), so a platform's accounts are spread evenly over the cycle instead of all polled at
once.

Near a limit: the largest used share of any loss limit at the last evaluation (`RiskSnapshot.usage`) is at
least `near_limit_share` (half the allowance by default; the engine warns at its own, higher share). Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

DEFAULT_NEAR_LIMIT_SHARE = Decimal("0.5")
DEFAULT_EVERY_MINUTES = 5


@dataclass(frozen=True, slots=True)
class PollingCadence:
    near_limit_share: Decimal = DEFAULT_NEAR_LIMIT_SHARE
    every_minutes: int = DEFAULT_EVERY_MINUTES

    def __post_init__(self) -> None:
        if self.every_minutes < 1:
            raise ValueError("every_minutes must be at least 1")

    def near_limit(self, usage: Iterable[Mapping[str, Any]]) -> bool:
        return used_share(usage) >= self.near_limit_share

    def due(self, account_id: str, usage: Iterable[Mapping[str, Any]], at: datetime, stale: bool) -> bool:
        """Whether the account is polled at the tick `at` (a whole minute)."""
        if stale or self.near_limit(usage):
            return True
        minute = int(at.timestamp() // 60)
        return (minute - slot(account_id, self.every_minutes)) % self.every_minutes == 0


def used_share(usage: Iterable[Mapping[str, Any]]) -> Decimal:
    """The largest used share of the account's loss limits (0 with none)."""
    largest = Decimal(0)
    for limit in usage:
        try:
            share = Decimal(str(limit.get("used_share", "0")))
        except InvalidOperation:
            continue
        largest = max(largest, share)
    return largest


def slot(account_id: str, cycle: int) -> int:
    """The account's minute within a cycle of `cycle` minutes (stable across processes)."""
    return int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16) % cycle
