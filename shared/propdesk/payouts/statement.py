"""The statement of a paid payout: the profit taken off the account, how it was split, what was added (fee
refund, challenge-phase share, breach share), the rail's fees charged to the trader, what was paid and where
(the destination masked: a statement is mailed and stored, never the destination in clear).

    paid = trader's share + extras - fees charged to the trader

Every figure comes from the arithmetic already done (`split_payout`, `extras`); nothing is rounded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from propdesk.payouts.model import Extra
from propdesk.payouts.policy import PayoutTermsError
from propdesk.payouts.split import ZERO, SplitResult

EXTRA_LABELS = {
    "fee_refund": "fee refund",
    "challenge_share": "challenge-phase profit share",
    "breach_share": "share of profit before the breach",
}


class MaskedDestination(Protocol):
    """Anything that can show where money went without revealing it (`propdesk.rails` destinations)."""

    @property
    def masked(self) -> str: ...


@dataclass(frozen=True, slots=True)
class StatementLine:
    label: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PayoutStatement:
    payout_id: str
    account_id: str
    currency: str
    gross_profit: Decimal
    split: str  # how the split was applied, in words
    trader_share: Decimal
    firm_share: Decimal
    extras: tuple[Extra, ...]  # only those owed (amount above 0)
    fees: Decimal  # the rail's fees charged to the trader
    paid: Decimal
    destination: str  # masked
    rail: str
    reference: str  # the rail's reference of the payment
    paid_at: datetime

    @property
    def fee_refund(self) -> Decimal:
        return sum((e.amount for e in self.extras if e.kind == "fee_refund"), ZERO)

    @property
    def lines(self) -> tuple[StatementLine, ...]:
        return (
            StatementLine("gross profit", self.gross_profit),
            StatementLine("firm's share", self.firm_share),
            StatementLine("trader's share", self.trader_share),
            *(StatementLine(EXTRA_LABELS.get(e.kind, e.kind), e.amount) for e in self.extras),
            StatementLine("fees", -self.fees),
            StatementLine("paid", self.paid),
        )


def payout_statement(
    *,
    payout_id: str,
    account_id: str,
    currency: str,
    split: SplitResult,
    extras: Sequence[Extra],
    fees: Decimal,
    destination: MaskedDestination,
    rail: str,
    reference: str,
    paid_at: datetime,
) -> PayoutStatement:
    """The statement; refused (field `fees`) when the fees would leave less than nothing to pay."""
    if fees < ZERO:
        raise PayoutTermsError(f"fees must not be negative, got {fees}", "fees")
    owed = tuple(extra for extra in extras if extra.amount > ZERO)
    gross_to_trader = split.trader_share + sum((e.amount for e in owed), ZERO)
    if fees > gross_to_trader:
        raise PayoutTermsError(
            f"fees of {fees} exceed the {gross_to_trader} owed to the trader: nothing would be paid", "fees"
        )
    return PayoutStatement(
        payout_id=payout_id,
        account_id=account_id,
        currency=currency,
        gross_profit=split.amount,
        split=split.explanation,
        trader_share=split.trader_share,
        firm_share=split.firm_share,
        extras=owed,
        fees=fees,
        paid=gross_to_trader - fees,
        destination=destination.masked,
        rail=rail,
        reference=reference,
        paid_at=paid_at,
    )
