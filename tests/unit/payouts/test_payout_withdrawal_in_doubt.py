"""A `withdraw` step that dies after the platform booked the withdrawal leaves a booking the payout does not
know of. Whatever ends the payout before the retry writes `withdrawn` (a hold, an abuse denial, a failure)
looks the booking up on the platform by our reference and puts it back, once; a withdrawal the platform never
booked is not "put back" (no money is made). The engine hears of neither."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from propdesk.abuse.payout_denial import PayoutDenial
from propdesk.payouts.holds import PayoutHold
from propdesk.payouts.put_back import LateWithdrawals
from propdesk.platforms.port import AccountRef, PlatformUnavailableError
from propdesk.records import PlatformReference

from tests.unit.payouts.payout_workflow_world import NOW, PayoutDesk

HOLD = PayoutHold("acc-1", "reconciliation", "rec-1", "balance differs by 250.00", NOW)


class StepDiedError(Exception):
    """The Lambda running the step died (a timeout, a crash) after the platform answered."""


def approved(desk: PayoutDesk) -> str:
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    flow = desk.workflow()
    for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve):
        step(payout_id)
    return payout_id


def withdraw_dies_after_booking(desk: PayoutDesk, payout_id: str, booked: bool = True) -> None:
    """The step asks the platform, which books (or, `booked=False`, never gets the request), and dies."""
    booking = desk.platform.adjust_balance

    def dies(account: AccountRef, amount: Decimal, reference: str, comment: str) -> str:
        if booked:
            booking(account, amount, reference, comment)
        raise StepDiedError(reference)

    desk.platform.adjust_balance = dies  # type: ignore[method-assign]
    with pytest.raises(StepDiedError):
        desk.workflow().withdraw(payout_id)
    desk.platform.adjust_balance = booking  # type: ignore[method-assign]


def balance_deals(desk: PayoutDesk) -> list[str]:
    book = desk.market.account(desk.platform_account)
    assert book is not None
    return [deal.reference for deal in book.deals if deal.reference]


def test_the_payout_records_that_its_withdrawal_started_before_the_platform_is_asked() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)

    withdraw_dies_after_booking(desk, payout_id, booked=False)

    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "approved" and payout.withdrawal_started_at == NOW
    assert "payout.withdrawal_started" in [entry.action for entry in desk.payouts.audit]


def test_a_hold_that_rejects_the_retry_puts_back_the_withdrawal_the_platform_booked() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    withdraw_dies_after_booking(desk, payout_id)
    assert desk.platform_balance == Decimal(100000)  # the money left the account
    desk.holds.place(HOLD)

    outcome = desk.workflow().withdraw(payout_id)  # the state machine's retry

    assert outcome.outcome == "refused"
    assert desk.payouts.get(payout_id).status == "rejected"  # type: ignore[union-attr]
    assert desk.platform_balance == Decimal(101000)  # back on the account
    assert balance_deals(desk) == [f"{payout_id}:withdrawal", f"{payout_id}:compensation"]
    assert desk.engine_log.events == {}  # the engine never heard of the withdrawal: nothing to undo

    assert desk.workflow().withdraw(payout_id).outcome == "stopped"  # a later retry: nothing more
    assert desk.platform_balance == Decimal(101000) and len(balance_deals(desk)) == 2


def test_an_abuse_denial_before_the_retry_puts_back_the_withdrawal_the_platform_booked() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    withdraw_dies_after_booking(desk, payout_id)
    denial = PayoutDenial(
        desk.payouts, desk.publisher, desk.callback, desk._new_id, desk.started_withdrawals()
    )

    denied = denial.deny("acc-1", "flag-1", NOW)
    again = denial.deny("acc-1", "flag-1", NOW)  # the decision carried out again after a crash

    assert denied.refused == again.refused == (payout_id,)
    assert desk.payouts.get(payout_id).status == "rejected"  # type: ignore[union-attr]
    assert desk.platform_balance == Decimal(101000)
    assert desk.workflow().withdraw(payout_id).outcome == "stopped"  # the state machine's retry
    assert balance_deals(desk) == [f"{payout_id}:withdrawal", f"{payout_id}:compensation"]
    assert desk.engine_log.events == {}


def test_a_failure_of_the_retry_puts_back_the_withdrawal_the_platform_booked() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    withdraw_dies_after_booking(desk, payout_id)
    desk.platform.reject_next = 1  # the platform refuses the retry outright

    outcome = desk.workflow().withdraw(payout_id)

    assert outcome.outcome == "failed"
    assert desk.payouts.get(payout_id).status == "failed"  # type: ignore[union-attr]
    assert desk.platform_balance == Decimal(101000)
    assert desk.workflow().compensate(payout_id, "the withdrawal kept failing").outcome == "compensated"
    assert balance_deals(desk) == [f"{payout_id}:withdrawal", f"{payout_id}:compensation"]
    assert desk.engine_log.events == {}


def test_a_withdrawal_the_platform_never_booked_is_not_put_back() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    withdraw_dies_after_booking(desk, payout_id, booked=False)
    desk.holds.place(HOLD)

    assert desk.workflow().withdraw(payout_id).outcome == "refused"

    assert desk.platform_balance == Decimal(101000) and balance_deals(desk) == []


def test_a_platform_down_while_putting_back_is_retried_until_the_money_is_back() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    withdraw_dies_after_booking(desk, payout_id)
    desk.holds.place(HOLD)
    desk.platform.fail_next = 1  # the look-up fails: the step raises, the state machine retries

    with pytest.raises(PlatformUnavailableError):
        desk.workflow().withdraw(payout_id)
    assert desk.payouts.get(payout_id).status == "rejected"  # type: ignore[union-attr]
    assert desk.workflow().withdraw(payout_id).outcome == "stopped"

    assert desk.platform_balance == Decimal(101000)
    assert balance_deals(desk) == [f"{payout_id}:withdrawal", f"{payout_id}:compensation"]


def test_a_withdrawal_the_platform_books_after_every_look_up_is_put_back_when_reconciliation_asks() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    withdraw_dies_after_booking(desk, payout_id, booked=False)  # the platform queued the request
    desk.holds.place(HOLD)
    assert desk.workflow().withdraw(payout_id).outcome == "refused"  # looked up: nothing booked yet
    ref = desk.refs.refs["acc-1"]
    desk.platform.adjust_balance(ref, Decimal(-1000), f"{payout_id}:withdrawal", "the queued request, late")
    assert desk.platform_balance == Decimal(100000)
    account = replace(
        desk.accounts.accounts["acc-1"],
        platform=PlatformReference("match-trader", ref.platform_account_id, ref.login, ref.group),
    )
    late = LateWithdrawals(desk.payouts, desk.clock)

    assert late.put_back(account, desk.platform) == (payout_id,)
    assert late.put_back(account, desk.platform) == ()  # asked again: already back, nothing booked

    assert desk.platform_balance == Decimal(101000)
    assert balance_deals(desk) == [f"{payout_id}:withdrawal", f"{payout_id}:compensation"]
    assert desk.engine_log.events == {}


def test_reconciliation_asks_nothing_of_payouts_that_are_not_in_doubt() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    desk.platform.fail_next = 1  # a look-up would fail: none may happen
    account = replace(
        desk.accounts.accounts["acc-1"],
        platform=PlatformReference("match-trader", desk.platform_account, "login", "funded-100k"),
    )

    assert LateWithdrawals(desk.payouts, desk.clock).put_back(account, desk.platform) == ()
    assert desk.payouts.get(payout_id).status == "approved"  # type: ignore[union-attr]
