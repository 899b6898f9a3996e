"""After a purchase: the receipt, and the trading platform's login for the account it bought."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from propdesk.mail.formatting import local_time, money
from propdesk.mail.letter import Firm, Letter, Template
from propdesk.ports import EmailContent

RECEIPT = Template("purchase_receipt", 1)
CREDENTIALS = Template("platform_credentials", 1)

PAID_WITH = {"stripe": "card (Stripe)", "coinbase": "crypto (Coinbase Commerce)"}
PLATFORM_NAMES = {
    "match-trader": "Match-Trader",
    "ctrader": "cTrader",
    "tradelocker": "TradeLocker",
    "dxtrade": "DXtrade",
    "mt5": "MetaTrader 5",
}


@dataclass(frozen=True, slots=True)
class Receipt:
    order_id: str
    program_name: str
    amount: Decimal
    currency: str
    provider: str
    paid_at: datetime


def purchase_receipt(receipt: Receipt, zone: str | None, firm: Firm) -> EmailContent:
    return (
        Letter(RECEIPT, f"Receipt for your {receipt.program_name} challenge")
        .para(
            f"Thank you: your payment for {receipt.program_name} was received. Your trading account is being "
            "opened now; its login follows in a separate e-mail."
        )
        .facts(
            [
                ("Order", receipt.order_id),
                ("Program", receipt.program_name),
                ("Amount paid", money(receipt.amount, receipt.currency)),
                ("Paid with", PAID_WITH.get(receipt.provider, receipt.provider)),
                ("Paid on", local_time(receipt.paid_at, zone)),
            ]
        )
        .render(firm)
    )


@dataclass(frozen=True, slots=True)
class PlatformLogin:
    """What a trader needs to log in to the platform. `one_time_password` exists only in memory, between the
    platform creating the user and this e-mail (never in repr, a log, an event or a table); without it the
    message explains how to set a password with the platform's reset."""

    account_id: str
    platform: str
    server: str
    login: str
    one_time_password: str | None = field(default=None, repr=False)
    login_url: str | None = None


def platform_credentials(login: PlatformLogin, firm: Firm) -> EmailContent:
    platform = PLATFORM_NAMES.get(login.platform, login.platform)
    letter = Letter(CREDENTIALS, f"Your {platform} login for account {login.account_id}").para(
        f"Your trading account {login.account_id} is open on {platform}. Log in with the e-mail address this "
        "message was sent to and:"
    )
    rows = [("Server", login.server), ("Login", login.login)]
    if login.one_time_password:
        rows.append(("One-time password", login.one_time_password))
    letter.facts(rows)
    if login.one_time_password:
        letter.para(
            "The password works once: choose your own when you first log in. This e-mail is the only place "
            "it was ever written down, so delete it once you have changed the password."
        )
    else:
        where = f"at {login.login_url}" if login.login_url else f"on the {platform} login page"
        letter.para(
            f"Use the {platform} password you already have. If you have none yet, or do not remember it, set "
            f'one with "Forgot password" {where}: {platform} e-mails you a link to choose it.'
        )
    return letter.link(f"Log in to {platform}", login.login_url).render(firm)
