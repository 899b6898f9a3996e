"""Our own balance operations that the platform may have booked before the engine knows them (reconciliation
accounts for them instead of calling them a difference).

Two of our effects book on the platform first and tell the engine after, so for a while the platform's balance
is ours plus (or minus) that booking, for a reason we know:

- **a scaling top-up** (`propdesk.payouts.scaling_growth`): the account is resized, the platform topped up by
  the growth (`<decision>:scaling`), then the engine gets its `scale`. In flight while the kept scaling
  decision sized the account above the engine's size (the risk state's `initial`): `+growth`.
- **a payout's withdrawal** (`propdesk.payouts.workflow`): the payout records that its withdrawal started,
  the platform books it (`<payout>:withdrawal`), the payout becomes `withdrawn`, then the engine gets the
  withdrawal. In flight while the account's open payout is approved with its withdrawal started, withdrawn
  or paying (the engine's stream may lag the step): `-amount`.
- **a payout's compensation** (the payment failed after the withdrawal): the platform books the amount back
  (`<payout>:compensation`), the payout becomes `failed`, then the engine gets a deposit. In flight for
  `COMPENSATION_IN_FLIGHT` after the payout failed: `+amount` (the engine's stream applies it in seconds).

Each is either booked on the platform or not yet, so reconciliation accepts the platform's figures when they
match ours moved by exactly some of these bookings (`propdesk.platforms.reconciliation.compare_in_flight`),
and only those: any other amount, or a booking nobody is making, is still a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

from propdesk.payouts.model import Payout
from propdesk.payouts.put_back import compensation_reference, withdrawal_reference
from propdesk.payouts.scaling_store import StoredDecision, scaling_id
from propdesk.ports import Clock
from propdesk.records import Account, RiskSnapshot

WITHDRAWAL_IN_FLIGHT = frozenset({"approved", "withdrawn", "paying"})
COMPENSATION_IN_FLIGHT = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class InFlightBooking:
    reference: str  # what the platform books it under (`own_bookings`)
    amount: Decimal  # its effect on the platform's balance: + a top-up, - a withdrawal
    what: str  # for staff

    def describe(self) -> str:
        return f"{self.what} ({self.amount:+.2f}, {self.reference})"


class InFlightBookings(Protocol):
    def in_flight(self, account: Account, snapshot: RiskSnapshot | None) -> tuple[InFlightBooking, ...]:
        """Our bookings on the account that the platform may show and our figures may not yet."""
        ...


class AccountPayouts(Protocol):
    def all_for_account(self, account_id: str) -> list[Payout]: ...


class LatestScaling(Protocol):
    def latest(self, account_id: str) -> StoredDecision | None: ...


class KnownBookings:
    """`InFlightBookings` from the account's payouts and its latest scaling decision."""

    def __init__(self, payouts: AccountPayouts, scaling: LatestScaling, clock: Clock) -> None:
        self._payouts = payouts
        self._scaling = scaling
        self._clock = clock

    def in_flight(self, account: Account, snapshot: RiskSnapshot | None) -> tuple[InFlightBooking, ...]:
        found: list[InFlightBooking] = []
        growth = self._growth(account, snapshot)
        if growth is not None:
            found.append(growth)
        for payout in self._payouts.all_for_account(account.account_id):
            booking = self._withdrawal(payout) or self._compensation(payout)
            if booking is not None:
                found.append(booking)
        return tuple(found)

    def _growth(self, account: Account, snapshot: RiskSnapshot | None) -> InFlightBooking | None:
        engine_size = snapshot.state.get("initial") if snapshot is not None else None
        if engine_size is None:
            return None
        growth = account.initial_balance - Decimal(str(engine_size))
        if growth <= 0:
            return None
        decision = self._scaling.latest(account.account_id)
        if decision is None or not decision.scaled or decision.after.balance != account.initial_balance:
            return None  # the size moved for no scaling we know of: a difference for a person to see
        reference = f"{scaling_id(account.account_id, decision.cycle_ends_on)}:scaling"
        return InFlightBooking(reference, growth, "scaling top-up not yet in the engine")

    @staticmethod
    def _withdrawal(payout: Payout) -> InFlightBooking | None:
        if payout.amount <= 0 or payout.withdrawal_started_at is None:
            return None
        if payout.status not in WITHDRAWAL_IN_FLIGHT:
            return None
        reference = withdrawal_reference(payout.payout_id)
        return InFlightBooking(reference, -payout.amount, "payout withdrawal not yet in the engine")

    def _compensation(self, payout: Payout) -> InFlightBooking | None:
        """A payout that failed after `withdrawn` (its amount put back) within `COMPENSATION_IN_FLIGHT`."""
        if payout.status != "failed" or payout.amount <= 0:
            return None
        if not any(step.status == "withdrawn" for step in payout.timeline):
            return None
        if self._clock.now() - payout.status_at > COMPENSATION_IN_FLIGHT:
            return None
        reference = compensation_reference(payout.payout_id)
        return InFlightBooking(reference, payout.amount, "payout compensation not yet in the engine")
