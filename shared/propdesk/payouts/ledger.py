"""What is withdrawable, as a ledger: the profit since the last withdrawal, less what open requests reserve.

A withdrawal takes its amount off the account's closed balance (the engine's `withdrawal` event), so the
profit it paid is no longer above the initial balance and cannot be asked for again; a later loss must be
made good before new profit appears. An open request reserves its amount until it is withdrawn or rejected,
so two requests never claim the same profit. A withdrawal re-checks the profit at that moment (trading may
have lost some since the request) and is refused rather than paying profit that is gone.

    withdrawable = max(closed balance - initial balance - excluded profit - reserved, 0), in whole cents
                   (rounded down)

This is the model the payout request and the payout workflow follow; its promise, "the same profit is never
paid twice across any sequence of trades, requests, rejections and withdrawals", is a property test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from propdesk.payouts.policy import PayoutTermsError
from propdesk.payouts.split import ZERO, money


@dataclass(frozen=True, slots=True)
class Reservation:
    payout_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ProfitLedger:
    initial_balance: Decimal
    closed_balance: Decimal
    excluded_profit: Decimal = ZERO  # profit the rules do not pay (news trades)
    reservations: tuple[Reservation, ...] = ()
    withdrawn: Decimal = ZERO  # everything withdrawn so far

    @property
    def profit(self) -> Decimal:
        """The profit since the last withdrawal that the rules pay (may be negative after losses)."""
        return self.closed_balance - self.initial_balance - self.excluded_profit

    @property
    def reserved(self) -> Decimal:
        return sum((r.amount for r in self.reservations), ZERO)

    @property
    def withdrawable(self) -> Decimal:
        return money(max(self.profit - self.reserved, ZERO))

    def close_trade(self, profit: Decimal) -> ProfitLedger:
        return replace(self, closed_balance=self.closed_balance + profit)

    def request(self, payout_id: str, amount: Decimal) -> ProfitLedger:
        """Reserve `amount` for a new request; refused above what is withdrawable."""
        if any(r.payout_id == payout_id for r in self.reservations):
            raise PayoutTermsError(f"payout {payout_id} is open already", "payout_id")
        if amount <= ZERO or amount != money(amount):
            raise PayoutTermsError(f"a payout is a positive amount of whole cents, got {amount}", "amount")
        if amount > self.withdrawable:
            raise PayoutTermsError(
                f"at most {self.withdrawable} is withdrawable, {amount} was asked", "amount"
            )
        return replace(self, reservations=(*self.reservations, Reservation(payout_id, amount)))

    def reject(self, payout_id: str) -> ProfitLedger:
        self._reservation(payout_id)
        return replace(self, reservations=tuple(r for r in self.reservations if r.payout_id != payout_id))

    def withdraw(self, payout_id: str) -> ProfitLedger:
        """Take the request's amount off the balance; refused when the profit no longer covers it (the request
        stays open: the workflow rejects it)."""
        reservation = self._reservation(payout_id)
        others = self.reserved - reservation.amount
        if reservation.amount > self.profit - others:
            raise PayoutTermsError(
                f"the profit left ({money(self.profit - others)}) no longer covers payout {payout_id} "
                f"({reservation.amount})",
                "amount",
            )
        return replace(
            self,
            closed_balance=self.closed_balance - reservation.amount,
            reservations=tuple(r for r in self.reservations if r.payout_id != payout_id),
            withdrawn=self.withdrawn + reservation.amount,
        )

    def _reservation(self, payout_id: str) -> Reservation:
        for reservation in self.reservations:
            if reservation.payout_id == payout_id:
                return reservation
        raise PayoutTermsError(f"payout {payout_id} is not open", "payout_id")
