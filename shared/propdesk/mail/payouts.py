"""A payout's progress: requested, approved, rejected (with the reason finance gave), paid."""

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
}
NEXT = {
    "requested": "The firm's finance team reviews it; you will hear from us when it is decided.",
    "approved": "The payment is being prepared; you will hear from us when it is sent.",
    "rejected": "Your profit stays on the account; ask for a payout again once the reason is resolved.",
    "paid": "It reaches you in the time your payment method takes.",
}


@dataclass(frozen=True, slots=True)
class PayoutNotice:
    status: str
    payout_id: str
    account_id: str
    trader_share: Decimal
    currency: str
    reason: str | None = None


def payout_status(notice: PayoutNotice, firm: Firm) -> EmailContent:
    rows = [
        ("Payout", notice.payout_id),
        ("Account", notice.account_id),
        ("Your share", money(notice.trader_share, notice.currency)),
        ("Status", notice.status),
    ]
    if notice.reason and notice.status == "rejected":
        rows.append(("Reason", notice.reason))
    return (
        Letter(PAYOUT_STATUS, SUBJECTS.get(notice.status, f"Your payout is {notice.status}"))
        .facts(rows)
        .para(NEXT.get(notice.status, "We will keep you informed."))
        .render(firm)
    )
