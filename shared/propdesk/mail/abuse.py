"""A decision on a review of the trader's trading (`abuse.flag_decided`): a warning, payouts denied, accounts
closed. It names the trader's own accounts and the decision, never what was found, by which check or with
whom (the firm explains a decision with its evidence when the trader asks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from propdesk.mail.letter import Firm, Letter, Template
from propdesk.ports import EmailContent

TRADING_REVIEW = Template("trading_review", 1)
SUBJECTS = {
    "warn": "A review of your trading: a warning",
    "deny_payout": "A review of your trading: payouts denied",
    "fail_accounts": "A review of your trading: accounts closed",
}
WHAT = {
    "warn": "This is a warning: nothing changes on your accounts now. Trading the same way again may lead to "
    "payouts being denied or the accounts being closed.",
    "deny_payout": "Payouts on these accounts are denied: payout requests that were waiting have been "
    "refused, and new requests are not accepted while the decision stands.",
    "fail_accounts": "These accounts are closed: they failed and trading on them is disabled.",
}


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    decision: Literal["warn", "deny_payout", "fail_accounts"]
    account_ids: Sequence[str]


def trading_review(decided: ReviewDecision, firm: Firm) -> EmailContent:
    accounts = ", ".join(decided.account_ids)
    about = f"your accounts {accounts}" if len(decided.account_ids) > 1 else f"your account {accounts}"
    return (
        Letter(TRADING_REVIEW, SUBJECTS[decided.decision])
        .para(
            f"The firm reviewed the trading on {about or 'your accounts'} and found activity its trading "
            "rules do not allow."
        )
        .para(WHAT[decided.decision])
        .para("If you think this is a mistake, contact the firm's support: a person will explain it.")
        .render(firm)
    )
