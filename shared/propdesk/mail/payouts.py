"""A payout's progress: requested, approved, rejected (with the reason finance gave), paid (with the
statement: gross profit, the shares, fees, fee refund and other extras, what was paid and where), failed
(with the reason, and whether the amount went back onto the account)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from propdesk.mail.formatting import money
from propdesk.mail.letter import Firm, Letter, Template
from propdesk.ports import EmailContent

PAYOUT_STATUS = Template("payout_status", 1)

SUBJECTS = {
    "requested": "We received your payout request",
    "approved": "Your payout is approved",
    "rejected": "Your payout request was not approved",
    "paid": "Your payout is on its way",
    "failed": "Your payout could not be paid",
}
NEXT = {
    "requested": "The firm's finance team reviews it; you will hear from us when it is decided.",
    "approved": "The payment is being prepared; you will hear from us when it is sent.",
    "rejected": "Your profit stays on the account; ask for a payout again once the reason is resolved.",
    "paid": "It reaches you in the time your payment method takes.",
    "failed": "Nothing was lost: the amount is back on your account and you may ask for a payout again.",
}
EXTRA_LABELS = {
    "fee_refund": "Fee refund",
    "challenge_share": "Challenge-phase profit share",
    "breach_share": "Share of profit before the breach",
}


@dataclass(frozen=True, slots=True)
class PaidStatement:
    """The figures of a paid payout (`payout.paid`); `destination` is masked."""

    gross_profit: Decimal
    firm_share: Decimal
    extras: tuple[tuple[str, Decimal], ...]  # (kind, amount), in the event's order
    fees: Decimal
    paid: Decimal
    destination: str
    rail: str
    reference: str


@dataclass(frozen=True, slots=True)
class PayoutNotice:
    status: str
    payout_id: str
    account_id: str
    trader_share: Decimal
    currency: str
    reason: str | None = None
    statement: PaidStatement | None = None  # paid payouts only
    compensated: bool = False  # failed payouts: the withdrawn amount was put back
    extras: tuple[tuple[str, Decimal], ...] = ()  # (kind, amount) paid on top of the share


def payout_status(notice: PayoutNotice, firm: Firm) -> EmailContent:
    currency = notice.currency
    rows = [("Payout", notice.payout_id), ("Account", notice.account_id)]
    statement = notice.statement
    if statement is None:
        rows.append(("Your share", money(notice.trader_share, currency)))
        rows += [(EXTRA_LABELS.get(kind, kind), money(amount, currency)) for kind, amount in notice.extras]
    else:
        rows += [
            ("Gross profit", money(statement.gross_profit, currency)),
            ("Firm's share", money(statement.firm_share, currency)),
            ("Your share", money(notice.trader_share, currency)),
            *((EXTRA_LABELS.get(kind, kind), money(amount, currency)) for kind, amount in statement.extras),
            ("Fees", money(statement.fees, currency)),
            ("Paid", money(statement.paid, currency)),
            ("Paid to", statement.destination),
            ("Reference", f"{statement.rail} {statement.reference}".strip()),
        ]
    rows.append(("Status", notice.status))
    if notice.reason and notice.status in ("rejected", "failed"):
        rows.append(("Reason", notice.reason))
    after = NEXT.get(notice.status, "We will keep you informed.")
    if notice.status == "failed" and not notice.compensated:
        after = "Nothing left your account; you may ask for a payout again."
    return (
        Letter(PAYOUT_STATUS, SUBJECTS.get(notice.status, f"Your payout is {notice.status}"))
        .facts(rows)
        .para(after)
        .render(firm)
    )
