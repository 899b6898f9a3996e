"""What the payout workflow needs besides the payout stores (`propdesk.payouts.store`): where an account lives
on its trading platform, the engine's event log, the trader's payout destination.

Implemented in `propdesk.data` (`PlatformRefReader`, `TradingEventRepository`, `PayoutDestinationRepository`)
and in memory under `tests/doubles`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from propdesk.platforms.port import AccountRef
from propdesk.rails.destinations import PayoutDestination
from propdesk.records import StoredEvent


class PlatformRefs(Protocol):
    def platform_ref(self, account_id: str) -> AccountRef | None:
        """Where the account lives on its platform (None: not provisioned there)."""
        ...


class TradingEventLog(Protocol):
    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        """Store the engine event once (False: an event with its key is there already)."""
        ...


class DestinationStore(Protocol):
    """One payout destination per trader; writing replaces it (the route demands a recent sign-in)."""

    def get(self, trader_id: str) -> PayoutDestination | None: ...

    def put(self, destination: PayoutDestination) -> None: ...
