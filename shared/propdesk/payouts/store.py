"""What the payout service needs from storage, as protocols: the DynamoDB implementations are
`propdesk.data.payouts.PayoutRepository` (the payouts) and `propdesk.data.payout_facts.PayoutFactsReader`
(what a payout is decided on).

A request is stored once: its id derives from the `Idempotency-Key`, so a repeat collides with the payout
stored first, and an account holds at most one open payout (requested or approved), even under concurrent
requests. A decision is written once, on the condition that the payout is still requested. Every later
change (`update`) is written on the condition that the stored revision is the one it was made from, so two
workers never both move a payout; the open-payout lock is released when the payout stops being open.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from propdesk.payouts.consistency import ClosedTrade
from propdesk.payouts.extras import TradeRisk
from propdesk.payouts.holds import PayoutHold
from propdesk.payouts.model import Payout, PayoutStatus
from propdesk.records import AuditEntry, KycStatus, Page, RiskSnapshot


class OpenPayoutError(Exception):
    """The account has an open payout (requested or approved) already: `open_payout_id` (when known)."""

    def __init__(self, open_payout_id: str | None) -> None:
        super().__init__(f"the account has an open payout ({open_payout_id})")
        self.open_payout_id = open_payout_id


class PayoutDecidedError(Exception):
    """The payout was decided meanwhile (its status is no longer `requested`)."""


class PayoutMovedError(PayoutDecidedError):
    """The payout changed since it was read (its revision moved on)."""


class PayoutStore(Protocol):
    def get(self, payout_id: str) -> Payout | None:
        """A strongly consistent read."""
        ...

    def history(self, account_id: str, limit: int = 50, cursor: str | None = None) -> Page[Payout]:
        """The account's payouts, newest first."""
        ...

    def all_for_account(self, account_id: str) -> list[Payout]:
        """Every payout of the account, newest first."""
        ...

    def in_status(self, status: PayoutStatus, limit: int = 50, cursor: str | None = None) -> Page[Payout]:
        """Payouts in one status, oldest request first (a work queue)."""
        ...

    def create(self, payout: Payout) -> Payout:
        """Store a new request and take the account's open-payout lock, both or neither. A payout stored under
        this id already is returned instead (a repeat); OpenPayoutError when another payout is open."""
        ...

    def decide(self, decided: Payout, entry: AuditEntry) -> None:
        """Write the decision and its audit entry if the payout is still requested (else PayoutDecidedError);
        a rejection releases the account's open-payout lock."""
        ...

    def mark_published(self, payout_id: str, status: PayoutStatus) -> None:
        """Record that the domain event of `status` went out (unless the payout moved on meanwhile)."""
        ...

    def update(self, changed: Payout, entry: AuditEntry | None = None) -> None:
        """Write `changed` (with its audit entry) if the stored revision is `changed.revision - 1`, else
        `PayoutMovedError`; release the account's open-payout lock when `changed` is no longer open."""
        ...

    def hold_token(self, payout_id: str, step: str, token: str) -> bool:
        """Keep a waiting workflow task's token for `step` ("approval", "payment"); False (nothing kept)
        when the payout is missing. Keeping it does not change the revision."""
        ...

    def token(self, payout_id: str, step: str) -> str | None:
        """The token a waiting `step` holds (a strongly consistent read)."""
        ...

    def link_rail_payment(self, rail: str, reference: str, payout_id: str) -> None:
        """Remember which payout the rail's payment `reference` pays (idempotent)."""
        ...

    def payout_for_rail_payment(self, rail: str, reference: str) -> str | None:
        """The payout the rail's payment pays, for webhooks that do not carry our id (Wise)."""
        ...


class PayoutFacts(Protocol):
    """What a payout request is decided on, besides the account and its payouts."""

    def program_document(self, program_id: str, version: int) -> dict[str, Any] | None:
        """The program version's document (None when that version is not stored)."""
        ...

    def kyc_status(self, trader_id: str) -> KycStatus | None:
        """The trader's KYC case's status; None when they have none."""
        ...

    def risk_snapshot(self, account_id: str) -> RiskSnapshot | None: ...

    def closed_trades(self, account_id: str, since: datetime) -> list[ClosedTrade]:
        """Every position closed at or after `since`, oldest first, with its net profit."""
        ...

    def payout_holds(self, account_id: str) -> list[PayoutHold]:
        """The holds on the account's payouts now (abuse flags, reconciliation, staff)."""
        ...

    def fee_paid(self, account_id: str, trader_id: str) -> Decimal | None:
        """What the trader paid for the account: the order that opened the first account of its chain
        (phase 1 → phase 2 → funded); None when no such order is known."""
        ...

    def previous_account(self, account_id: str) -> str | None:
        """The account this one continues in its chain (the challenge whose pass opened it); None for the
        first account of a chain."""
        ...

    def trade_risks(self, account_id: str) -> list[TradeRisk]:
        """Every closed position of the account, oldest first: whether it was opened with a stop loss, and
        its net profit (the breach share's conditions)."""
        ...
