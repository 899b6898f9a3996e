"""An evaluation's milestones: a loss limit 80% used, a breach (what the rule says, the figures, when, on the
trader's clock), a phase passed, the evaluation passed (funded), and the next account open (the next phase's,
or the funded one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from propdesk.mail.formatting import exact_money, local_time, money, percent, rule_name
from propdesk.mail.letter import Firm, Letter, Template
from propdesk.mail.purchases import PLATFORM_NAMES
from propdesk.ports import EmailContent

WARNING = Template("limit_warning", 1)
BREACH = Template("breach", 1)
PHASE_PASSED = Template("phase_passed", 1)
FUNDED = Template("funded", 1)
PHASE_STARTED = Template("phase_started", 1)
FUNDED_ACCOUNT = Template("funded_account_opened", 1)

BREACH_EFFECTS = {
    "fail": "The account has failed: trading on it is disabled.",
    "pause": "Trading on the account is paused until the next trading day starts; it has not failed.",
    "exclude_profit": "The account stays active, but the profit of the trade concerned does not count.",
    "flag": "The account stays active; the firm's risk team will review the trade.",
}
BREACH_SUBJECTS = {
    "fail": "failed",
    "pause": "paused until the next trading day",
    "exclude_profit": "a trade's profit does not count",
    "flag": "a trade is under review",
}


@dataclass(frozen=True, slots=True)
class LimitWarning:
    account_id: str
    rule: str
    used_share: Decimal
    floor: Decimal
    equity: Decimal
    currency: str
    trading_day: str


def limit_warning(warning: LimitWarning, firm: Firm) -> EmailContent:
    rule, used = rule_name(warning.rule), percent(warning.used_share)
    return (
        Letter(WARNING, f"Account {warning.account_id}: {used} of your {rule} used")
        .para(
            f"On trading day {warning.trading_day} your account {warning.account_id} has used {used} of "
            f"its {rule}. If equity falls to {exact_money(warning.floor, warning.currency)}, the limit is "
            "breached."
        )
        .facts(
            [
                ("Equity now", exact_money(warning.equity, warning.currency)),
                ("Limit (lowest equity allowed)", exact_money(warning.floor, warning.currency)),
                ("Share of the limit used", used),
            ]
        )
        .para("This is a warning only: nothing has happened to the account.")
        .render(firm)
    )


@dataclass(frozen=True, slots=True)
class BreachNotice:
    account_id: str
    rule: str
    effect: str
    limit: Decimal
    value: Decimal
    currency: str
    explanation: str
    breached_at: datetime


def breach(notice: BreachNotice, zone: str | None, firm: Firm) -> EmailContent:
    rule, when = rule_name(notice.rule), local_time(notice.breached_at, zone)
    outcome = BREACH_SUBJECTS.get(notice.effect, "rule breached")
    return (
        Letter(BREACH, f"Account {notice.account_id}: {rule} breached ({outcome})")
        .para(f"Your account {notice.account_id} breached its {rule} at {when}.")
        .para(notice.explanation)
        .facts(
            [
                ("Rule", rule),
                ("Limit", _figure(notice.limit, notice.currency, notice.rule)),
                ("Value at the breach", _figure(notice.value, notice.currency, notice.rule)),
                ("When", when),
            ]
        )
        .para(BREACH_EFFECTS.get(notice.effect, "The firm's risk team will review the account."))
        .para("If you believe this is wrong, tell the firm's support the account and the time above.")
        .render(firm)
    )


def _figure(amount: Decimal, currency: str, rule: str) -> str:
    """Loss limits are money; count rules (days, trades, positions) are plain numbers."""
    if rule in ("daily_loss", "max_loss", "max_trade_loss", "profit_target"):
        return exact_money(amount, currency)
    return f"{amount.normalize():f}"


@dataclass(frozen=True, slots=True)
class PhasePassed:
    account_id: str
    program_name: str
    next_program_name: str


def phase_passed(passed: PhasePassed, firm: Firm) -> EmailContent:
    return (
        Letter(PHASE_PASSED, f"You passed {passed.program_name}")
        .para(
            f"Congratulations: account {passed.account_id} met every objective of {passed.program_name}. "
            f"Your next phase is {passed.next_program_name}; its account and login follow once it is open."
        )
        .render(firm)
    )


@dataclass(frozen=True, slots=True)
class Funded:
    account_id: str
    program_name: str


def funded(passed: Funded, firm: Firm) -> EmailContent:
    return (
        Letter(FUNDED, f"You passed {passed.program_name}: you qualify for a funded account")
        .para(
            f"Congratulations: account {passed.account_id} met every objective of {passed.program_name}, the "
            "last phase of your evaluation. You qualify for a funded account."
        )
        .para(
            "Next, we verify your identity (KYC): you will receive a link to do it online. Once it is "
            "approved, your funded account is opened and its login is sent to you."
        )
        .render(firm)
    )


@dataclass(frozen=True, slots=True)
class NextAccount:
    """The account a passed one continues in: where and how to log in (never a password: that is in the
    platform login e-mail sent when the account was created), and the account it replaces."""

    account_id: str
    previous_account_id: str
    program_name: str
    phase: int
    platform: str
    server: str
    login: str


def phase_started(opened: NextAccount, firm: Firm) -> EmailContent:
    platform = PLATFORM_NAMES.get(opened.platform, opened.platform)
    return (
        Letter(PHASE_STARTED, f"Your {opened.program_name} account {opened.account_id} is open")
        .para(
            f"Your next phase has started: account {opened.account_id} ({opened.program_name}, phase "
            f"{opened.phase}) is open on {platform} with a fresh balance."
        )
        .facts(_next_account_facts(opened, platform))
        .para(_login_and_previous(opened, platform))
        .render(firm)
    )


def funded_account_opened(opened: NextAccount, firm: Firm) -> EmailContent:
    platform = PLATFORM_NAMES.get(opened.platform, opened.platform)
    return (
        Letter(FUNDED_ACCOUNT, f"Your funded account {opened.account_id} is open")
        .para(
            f"Congratulations: your funded account {opened.account_id} ({opened.program_name}) is open on "
            f"{platform}. Trade it under the funded program's rules; your share of its profits can be paid "
            "out under the firm's payout policy."
        )
        .facts(_next_account_facts(opened, platform))
        .para(_login_and_previous(opened, platform))
        .render(firm)
    )


def _next_account_facts(opened: NextAccount, platform: str) -> list[tuple[str, str]]:
    return [
        ("Account", opened.account_id),
        ("Program", opened.program_name),
        ("Platform", platform),
        ("Server", opened.server),
        ("Login", opened.login),
    ]


def _login_and_previous(opened: NextAccount, platform: str) -> str:
    return (
        f'Your password came in a separate e-mail, "Your {platform} login for account {opened.account_id}". '
        f"Account {opened.previous_account_id} is now closed for trading; its history stays in your "
        "dashboard."
    )


SCALED = Template("account_scaled", 1)


@dataclass(frozen=True, slots=True)
class Scaled:
    account_id: str
    balance_before: Decimal
    balance_after: Decimal
    daily_loss: Decimal
    max_loss: Decimal
    split_percent: Decimal
    currency: str
    next_review_on: str
    explanation: str


def scaled(notice: Scaled, firm: Firm) -> EmailContent:
    """The scaling plan grew the account: its new size, loss limits and split, and the next review."""
    currency = notice.currency
    return (
        Letter(SCALED, f"Account {notice.account_id} grows to {money(notice.balance_after, currency)}")
        .para(f"Your account met every criterion of the scaling plan: {notice.explanation}.")
        .facts(
            [
                ("Account", notice.account_id),
                ("Size before", money(notice.balance_before, currency)),
                ("Size now", money(notice.balance_after, currency)),
                ("Daily loss limit", money(notice.daily_loss, currency)),
                ("Maximum loss limit", money(notice.max_loss, currency)),
                ("Your profit share", f"{notice.split_percent.normalize():f}%"),
                ("Next review", notice.next_review_on),
            ]
        )
        .render(firm)
    )
