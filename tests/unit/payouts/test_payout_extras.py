"""The breach share's conditions, the fee refund's once-only rule, the payout statement and the withdrawable
ledger, in the words of the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.payouts import Payout, SplitTier
from propdesk.payouts.extras import (
    BreachShareTerms,
    Extra,
    FeeRefundTerms,
    TradeRisk,
    breach_share,
    fee_refund,
    payout_number,
)
from propdesk.payouts.ledger import ProfitLedger
from propdesk.payouts.model import PayoutStatus
from propdesk.payouts.policy import PayoutTermsError
from propdesk.payouts.split import split_payout
from propdesk.payouts.statement import payout_statement

PAID_AT = datetime(2026, 6, 5, 12, tzinfo=UTC)
FUNDEDNEXT = BreachShareTerms(Decimal(50))
PROTECTED = [TradeRisk("p1", True, Decimal(12000)), TradeRisk("p2", True, Decimal(-900))]


class Wallet:
    masked = "0x52908400…8b1f"


def test_a_breach_of_another_rule_pays_no_share() -> None:
    share = breach_share(FUNDEDNEXT, "max_loss", Decimal(100000), Decimal(107000), PROTECTED)

    assert not share.eligible and share.extra.amount == 0
    assert [c.name for c in share.conditions if not c.met] == ["breach_qualifies"]


def test_a_trade_without_a_stop_loss_forfeits_the_breach_share() -> None:
    trades = [*PROTECTED, TradeRisk("p3", False, Decimal(10))]

    share = breach_share(FUNDEDNEXT, "daily_loss", Decimal(100000), Decimal(107010), trades)

    assert share.extra.amount == 0
    assert "p3" in share.extra.explanation


def test_a_trade_that_lost_more_than_1_percent_of_the_initial_balance_forfeits_the_breach_share() -> None:
    at_limit = [TradeRisk("p1", True, Decimal(8000)), TradeRisk("p2", True, Decimal(-1000))]
    beyond = [TradeRisk("p1", True, Decimal(8000)), TradeRisk("p2", True, Decimal("-1000.01"))]

    assert breach_share(FUNDEDNEXT, "daily_loss", Decimal(100000), Decimal(107000), at_limit).eligible
    assert not breach_share(FUNDEDNEXT, "daily_loss", Decimal(100000), Decimal(107000), beyond).eligible


def test_the_breach_share_conditions_are_parameters() -> None:
    lenient = BreachShareTerms(Decimal(40), frozenset({"daily_loss", "max_loss"}), False, None)
    trades = [TradeRisk("p1", False, Decimal(-9000))]

    share = breach_share(lenient, "max_loss", Decimal(100000), Decimal(105000), trades)

    assert share.extra.amount == Decimal("2000.00")


def test_a_breach_that_left_no_profit_pays_nothing() -> None:
    assert (
        breach_share(FUNDEDNEXT, "daily_loss", Decimal(100000), Decimal(99000), PROTECTED).extra.amount == 0
    )


def test_the_payout_number_counts_withdrawn_payouts_only() -> None:
    def payout(status: PayoutStatus) -> Payout:
        one = Decimal(1)
        return Payout("p", "a", "t", status, "USD", one, one, Decimal(0), PAID_AT)

    assert payout_number([]) == 1
    assert payout_number([payout("paid"), payout("rejected"), payout("approved")]) == 3


def test_a_skipped_refund_payout_refunds_with_the_next_one_but_never_twice() -> None:
    terms = FeeRefundTerms(3)

    assert fee_refund(terms, Decimal(99), 5, refunded_before=False).amount == Decimal(99)
    assert fee_refund(terms, Decimal(99), 6, refunded_before=True).amount == 0
    with pytest.raises(PayoutTermsError) as refused:
        FeeRefundTerms(0)
    assert refused.value.field == "with_payout_number"


def test_a_statement_shows_the_split_the_extras_the_fees_and_the_masked_destination() -> None:
    split = split_payout(Decimal(3000), Decimal(0), (SplitTier(Decimal(80)),))
    refund = Extra("fee_refund", Decimal("99.00"), "first reward")

    statement = payout_statement(
        payout_id="pay-1", account_id="acc-1", currency="USD", split=split,
        extras=[refund, Extra("challenge_share", Decimal(0), "not reached")], fees=Decimal("1.50"),
        destination=Wallet(), rail="bridge", reference="tr_1", paid_at=PAID_AT,
    )  # fmt: skip

    assert statement.paid == Decimal("2497.50")  # 2400 + 99 - 1.50
    assert statement.fee_refund == Decimal("99.00")
    assert statement.destination == "0x52908400…8b1f"
    assert [line.label for line in statement.lines] == [
        "gross profit", "firm's share", "trader's share", "fee refund", "fees", "paid"
    ]  # fmt: skip


def test_fees_above_what_the_trader_is_owed_are_refused_naming_the_fees() -> None:
    split = split_payout(Decimal(10), Decimal(0), (SplitTier(Decimal(80)),))

    with pytest.raises(PayoutTermsError) as refused:
        payout_statement(
            payout_id="pay-1", account_id="acc-1", currency="USD", split=split, extras=[],
            fees=Decimal("8.01"), destination=Wallet(), rail="wise", reference="1", paid_at=PAID_AT,
        )  # fmt: skip
    assert refused.value.field == "fees"


def test_a_withdrawal_takes_the_profit_off_the_balance_so_it_cannot_be_asked_for_again() -> None:
    ledger = ProfitLedger(Decimal(100000), Decimal(103000))

    ledger = ledger.request("p1", Decimal(3000))
    assert ledger.withdrawable == 0
    ledger = ledger.withdraw("p1")

    assert (ledger.closed_balance, ledger.withdrawable, ledger.withdrawn) == (
        Decimal(100000), Decimal(0), Decimal(3000)
    )  # fmt: skip
    with pytest.raises(PayoutTermsError):
        ledger.request("p2", Decimal("0.01"))


def test_a_loss_after_a_withdrawal_is_made_good_before_new_profit_is_withdrawable() -> None:
    ledger = (
        ProfitLedger(Decimal(100000), Decimal(100000)).close_trade(Decimal(-500)).close_trade(Decimal(800))
    )

    assert ledger.withdrawable == Decimal("300.00")


def test_a_withdrawal_is_refused_when_trading_lost_the_requested_profit_meanwhile() -> None:
    ledger = (
        ProfitLedger(Decimal(100000), Decimal(101000)).request("p1", Decimal(1000)).close_trade(Decimal(-1))
    )

    with pytest.raises(PayoutTermsError) as refused:
        ledger.withdraw("p1")
    assert refused.value.field == "amount"
    assert ledger.reject("p1").withdrawable == Decimal("999.00")


def test_a_split_amount_must_be_whole_cents() -> None:
    with pytest.raises(PayoutTermsError) as refused:
        split_payout(Decimal("10.001"), Decimal(0), (SplitTier(Decimal(80)),))
    assert refused.value.field == "amount"
