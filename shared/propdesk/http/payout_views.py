"""Payouts and their eligibility → the response models (money with its cents, times ISO-8601)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from propdesk.http.schemas import payouts as out
from propdesk.payouts import Assessment, Payout
from propdesk.payouts.eligibility import format_money
from propdesk.records import Account


def eligibility_view(account: Account, assessment: Assessment, now: datetime) -> out.Eligibility:
    quote = assessment.quote
    return out.Eligibility(
        account_id=account.account_id,
        currency=account.currency,
        evaluated_at=now,
        eligible=assessment.eligible,
        max_amount=format_money(quote.withdrawable),
        amount=format_money(quote.amount),
        trader_share=format_money(quote.trader_share),
        earliest_at=assessment.earliest_at,
        rules=[
            out.RuleVerdict(
                rule=check.rule,
                met=check.met,
                reason_code=check.refusal.code if check.refusal and not check.met else None,
                explanation=check.explanation,
                figures=dict(check.figures),
            )
            for check in assessment.checks
        ],
        extras={extra.kind: format_money(extra.amount) for extra in assessment.extras_owed},
        extra_reasons={extra.kind: extra.explanation for extra in assessment.extras},
    )


def payout_view(payout: Payout) -> out.PayoutOut:
    return out.PayoutOut(
        payout_id=payout.payout_id,
        account_id=payout.account_id,
        status=payout.status,
        currency=payout.currency,
        amount=_money(payout.amount),
        trader_share=_money(payout.trader_share),
        firm_share=_money(payout.firm_share),
        requested_at=payout.requested_at,
        decided_at=payout.decided_at,
        decision_reason=payout.decision_reason,
        status_at=payout.status_at,
        timeline=[out.PayoutStep(status=step.status, at=step.at) for step in payout.timeline],
        paid_amount=_money(payout.paid_amount) if payout.paid_amount is not None else None,
        fees=_money(payout.fees) if payout.fees is not None else None,
        extras={extra.kind: _money(extra.amount) for extra in payout.extras},
        extra_reasons={extra.kind: extra.explanation for extra in payout.extras},
        rail=payout.rail,
        destination=payout.destination,
        failure_reason=payout.failure_reason,
    )


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"
