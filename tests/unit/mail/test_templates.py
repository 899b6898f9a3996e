"""The e-mails traders receive, read as they read them: each says what happened, with the figures, in the
trader's zone, and nothing personal beyond what the message needs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.mail import evaluation, kyc, payouts, purchases
from propdesk.mail.letter import Firm
from propdesk.ports import EmailContent

FIRM = Firm("Acme Funding", "https://app.acme.example")
BREACHED_AT = datetime(2026, 3, 2, 13, 30, 5, tzinfo=UTC)


def breach_notice(**changes: object) -> evaluation.BreachNotice:
    notice = evaluation.BreachNotice(
        account_id="acc-7",
        rule="daily_loss",
        effect="fail",
        limit=Decimal("95000.00"),
        value=Decimal("94000.00"),
        currency="USD",
        explanation="Equity 94,000.00 USD fell below the daily loss floor of 95,000.00 USD (5% of the "
        "balance at the day's start).",
        breached_at=BREACHED_AT,
    )
    return dataclasses.replace(notice, **changes)  # type: ignore[arg-type]


def test_the_breach_email_explains_the_rule_the_figures_and_the_time_in_the_traders_zone() -> None:
    mail = evaluation.breach(breach_notice(), "Europe/London", FIRM)

    assert mail.subject == "Account acc-7: daily loss limit breached (failed)"
    assert "fell below the daily loss floor of 95,000.00 USD" in mail.text
    assert "  Limit: 95,000.00 USD" in mail.text
    assert "  Value at the breach: 94,000.00 USD" in mail.text
    assert "at 2 March 2026, 13:30 (Europe/London)" in mail.text
    assert "The account has failed: trading on it is disabled." in mail.text


def test_the_breach_time_follows_the_traders_zone_across_the_date_line() -> None:
    mail = evaluation.breach(breach_notice(), "Pacific/Auckland", FIRM)
    assert "3 March 2026, 02:30 (Pacific/Auckland)" in mail.text


@pytest.mark.parametrize("zone", [None, "", "Mars/Olympus_Mons"])
def test_a_trader_without_a_known_zone_reads_the_time_in_utc(zone: str | None) -> None:
    mail = evaluation.breach(breach_notice(), zone, FIRM)
    assert "2 March 2026, 13:30 (UTC)" in mail.text


def test_a_pause_breach_says_trading_resumes_with_the_next_trading_day() -> None:
    mail = evaluation.breach(breach_notice(effect="pause"), None, FIRM)
    assert "(paused until the next trading day)" in mail.subject
    assert "paused until the next trading day starts; it has not failed" in mail.text


def test_a_count_rule_shows_its_figures_as_numbers_not_money() -> None:
    mail = evaluation.breach(
        breach_notice(rule="max_trades_per_day", limit=Decimal("10"), value=Decimal("11")), None, FIRM
    )
    assert "  Limit: 10\n" in mail.text
    assert "  Value at the breach: 11\n" in mail.text


def test_the_warning_email_names_the_share_used_the_floor_and_the_equity() -> None:
    warning = evaluation.LimitWarning(
        "acc-7", "max_loss", Decimal("0.8"), Decimal("90000.00"), Decimal("92000.5"), "USD", "2026-03-02"
    )
    mail = evaluation.limit_warning(warning, FIRM)

    assert mail.subject == "Account acc-7: 80% of your maximum loss limit used"
    assert "If equity falls to 90,000.00 USD, the limit is breached." in mail.text
    assert "  Equity now: 92,000.50 USD" in mail.text
    assert "nothing has happened to the account" in mail.text


def test_the_receipt_names_the_program_the_amount_the_order_and_how_it_was_paid() -> None:
    receipt = purchases.Receipt(
        "ord_42", "2-Step 100K: Phase 1", Decimal("540"), "EUR", "stripe", BREACHED_AT
    )
    mail = purchases.purchase_receipt(receipt, "Europe/Prague", FIRM)

    assert mail.subject == "Receipt for your 2-Step 100K: Phase 1 challenge"
    assert "  Amount paid: 540.00 EUR" in mail.text
    assert "  Order: ord_42" in mail.text
    assert "  Paid with: card (Stripe)" in mail.text
    assert "  Paid on: 2 March 2026, 14:30 (Europe/Prague)" in mail.text


def test_the_credentials_email_gives_server_login_and_the_one_time_password() -> None:
    login = purchases.PlatformLogin("acc-7", "match-trader", "MatchTrader-Demo", "700001", "x7-Q!", None)
    mail = purchases.platform_credentials(login, FIRM)

    assert mail.subject == "Your Match-Trader login for account acc-7"
    assert "  Server: MatchTrader-Demo\n  Login: 700001\n  One-time password: x7-Q!" in mail.text
    assert "x7-Q!" in mail.html
    assert "x7-Q!" not in repr(login)


def test_without_a_password_the_credentials_email_explains_the_platforms_reset() -> None:
    login = purchases.PlatformLogin(
        "acc-7", "match-trader", "MatchTrader-Demo", "700001", None, "https://mtr.acme.example"
    )
    mail = purchases.platform_credentials(login, FIRM)

    assert "password" not in mail.subject.lower()
    assert "One-time password" not in mail.text
    assert 'set one with "Forgot password" at https://mtr.acme.example' in mail.text
    assert "Log in to Match-Trader: https://mtr.acme.example" in mail.text


def test_passing_a_phase_names_the_next_one_and_passing_the_last_explains_what_follows() -> None:
    phase = evaluation.phase_passed(evaluation.PhasePassed("acc-7", "Phase 1", "Phase 2"), FIRM)
    assert phase.subject == "You passed Phase 1"
    assert "Your next phase is Phase 2" in phase.text

    last = evaluation.funded(evaluation.Funded("acc-8", "Phase 2"), FIRM)
    assert "you qualify for a funded account" in last.subject
    assert "we verify your identity (KYC)" in last.text


def next_account(account_id: str = "acc-9") -> evaluation.NextAccount:
    return evaluation.NextAccount(
        account_id, "acc-7", "2-Step: Phase 2", 2, "match-trader", "MT-Demo", "700042"
    )


def test_the_next_phase_email_gives_the_new_accounts_server_and_login_and_closes_the_old_one() -> None:
    mail = evaluation.phase_started(next_account(), FIRM)

    assert mail.subject == "Your 2-Step: Phase 2 account acc-9 is open"
    assert "phase 2) is open on Match-Trader with a fresh balance" in mail.text
    assert "  Server: MT-Demo\n  Login: 700042" in mail.text
    assert '"Your Match-Trader login for account acc-9"' in mail.text
    assert "Account acc-7 is now closed for trading" in mail.text


def test_the_funded_account_email_says_it_is_funded_and_how_to_log_in() -> None:
    mail = evaluation.funded_account_opened(
        dataclasses.replace(next_account("acc-10"), program_name="Funded", phase=3), FIRM
    )

    assert mail.subject == "Your funded account acc-10 is open"
    assert "your funded account acc-10 (Funded) is open on Match-Trader" in mail.text
    assert "  Login: 700042" in mail.text
    assert "password" not in mail.text.replace("Your password came in a separate e-mail", "")


def test_the_identity_check_emails_ask_thank_and_decline() -> None:
    step = kyc.KycStep("acc-7", "https://verify.example/s/1")
    asked = kyc.kyc_requested(step, False, FIRM)
    again = kyc.kyc_requested(step, True, FIRM)
    approved = kyc.kyc_decided(step, "approved", FIRM)
    declined = kyc.kyc_decided(step, "declined", FIRM)

    assert "Verify your identity: https://verify.example/s/1" in asked.text
    assert again.subject == "Please verify your identity again"
    assert approved.subject == "Your identity is verified"
    assert "a person will look at your case" in declined.text


def test_a_rejected_payout_gives_finances_reason_and_an_approved_one_what_happens_next() -> None:
    rejected = payouts.payout_status(
        payouts.PayoutNotice("rejected", "pay_1", "acc-7", Decimal("800"), "USD", "Consistency rule not met"),
        FIRM,
    )
    approved = payouts.payout_status(
        payouts.PayoutNotice("approved", "pay_1", "acc-7", Decimal("800"), "USD", "checked"), FIRM
    )
    assert "  Reason: Consistency rule not met" in rejected.text
    assert "  Your share: 800.00 USD" in approved.text
    assert "Reason" not in approved.text  # finance's note on an approval is internal


def all_templates() -> list[Callable[[str], EmailContent]]:
    """Every template, rendering a value the test chooses where the message shows one."""
    return [
        lambda v: evaluation.breach(breach_notice(account_id=v), None, FIRM),
        lambda v: evaluation.limit_warning(
            evaluation.LimitWarning(v, "daily_loss", Decimal("0.8"), Decimal(1), Decimal(2), "USD", "d"), FIRM
        ),
        lambda v: evaluation.phase_passed(evaluation.PhasePassed(v, "P1", "P2"), FIRM),
        lambda v: evaluation.funded(evaluation.Funded(v, "P2"), FIRM),
        lambda v: evaluation.phase_started(next_account(v), FIRM),
        lambda v: evaluation.funded_account_opened(next_account(v), FIRM),
        lambda v: purchases.purchase_receipt(
            purchases.Receipt(v, "P", Decimal(1), "USD", "stripe", BREACHED_AT), None, FIRM
        ),
        lambda v: purchases.platform_credentials(purchases.PlatformLogin(v, "match-trader", "S", "L"), FIRM),
        lambda v: kyc.kyc_requested(kyc.KycStep(v), False, FIRM),
        lambda v: kyc.kyc_decided(kyc.KycStep(v), "approved", FIRM),
        lambda v: kyc.kyc_decided(kyc.KycStep(v), "declined", FIRM),
        lambda v: payouts.payout_status(payouts.PayoutNotice("paid", "p", v, Decimal(1), "USD"), FIRM),
    ]


@pytest.mark.parametrize("render", all_templates())
def test_every_email_has_a_subject_text_and_html_a_name_and_a_version(
    render: Callable[[str], EmailContent],
) -> None:
    mail = render("acc-1")
    assert mail.subject and mail.text.endswith("Acme Funding\n")
    assert mail.html.startswith("<!doctype html>") and "Acme Funding" in mail.html
    assert mail.template and mail.version >= 1
    assert "Your dashboard: https://app.acme.example" in mail.text


@pytest.mark.parametrize("render", all_templates())
def test_every_email_escapes_what_it_shows_in_html(render: Callable[[str], EmailContent]) -> None:
    mail = render('<script>alert("x")</script>')
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html


def test_each_template_has_its_own_name() -> None:
    names = [render("a").template for render in all_templates()]
    assert len(set(names)) == len(names)
