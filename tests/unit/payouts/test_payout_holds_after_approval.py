"""A hold placed after the screen (an abuse flag, a reconciliation difference, staff) stops the payout at the
withdrawal, whoever approved it: finance's approval does not outlive a hold. The payout is rejected as the
screen rejects it (`payout_on_hold`, generic to the trader), audited, `payout.rejected` tells the trader,
and nothing leaves the account (a denial that stops it while the platform books the withdrawal gets the
booking put back). A payout already withdrawn is past stopping: its retries go on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propdesk.abuse.payout_denial import PayoutDenial
from propdesk.domain_events import PayoutRejected
from propdesk.payouts.holds import HoldSource, PayoutHold
from propdesk.payouts.requests import DecidePayout
from propdesk.platforms.port import AccountRef

from tests.unit.payouts.payout_workflow_world import FINANCE, NOW, Execution, PayoutDesk

HOLDS: dict[HoldSource, PayoutHold] = {
    "abuse": PayoutHold("acc-1", "abuse", "flag-1", "hedging across accounts", NOW),
    "reconciliation": PayoutHold("acc-1", "reconciliation", "rec-1", "balance differs by 250.00", NOW),
    "staff": PayoutHold("acc-1", "staff", "action-1", "chargeback on the fee", NOW),
}


def assert_stopped_on_hold(desk: PayoutDesk, payout_id: str) -> None:
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "rejected"
    assert payout.decision_reason == "payout_on_hold"
    assert payout.failure_reason == "the account's payouts are under review"  # never the hold's source
    assert desk.platform_balance == Decimal(105000) and desk.engine_log.events == {}
    assert desk.payouts.open_by_account == {} and desk.rail.payments == {}
    rejected = desk.publisher.of_type("payout.rejected")
    assert len(rejected) == 1 and isinstance(rejected[0], PayoutRejected)
    assert rejected[0].reason == "payout_on_hold"
    assert [entry.action for entry in desk.payouts.audit][-1] == "payout.rejected"


@pytest.mark.parametrize("source", list(HOLDS))
def test_a_hold_placed_while_finance_decides_stops_the_approved_payout_before_the_withdrawal(
    source: HoldSource,
) -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    assert execution.run() == "WaitForApproval"

    desk.holds.place(HOLDS[source])
    desk.service().decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))

    assert execution.run() == "refused"
    assert_stopped_on_hold(desk, payout_id)


def test_a_hold_placed_after_an_automatic_approval_stops_the_withdrawal() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request(Decimal(1000))
    flow = desk.workflow()
    for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve):
        assert step(payout_id).outcome in ("passed", "approved")

    desk.holds.place(HOLDS["abuse"])
    outcome = flow.withdraw(payout_id)

    assert (outcome.outcome, outcome.reason) == ("refused", "payout_on_hold")
    assert flow.withdraw(payout_id).outcome == "stopped"  # a retry changes nothing
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "rejected"
    assert desk.platform_balance == Decimal(105000) and desk.engine_log.events == {}
    assert len(desk.publisher.of_type("payout.rejected")) == 1


def test_a_hold_lifted_before_the_withdrawal_lets_the_payout_through() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    assert execution.run() == "WaitForApproval"
    desk.holds.place(HOLDS["abuse"])
    desk.service().decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))
    desk.holds.lift("acc-1", "abuse", "flag-1")  # the flag dismissed

    assert execution.run() == "WaitForPayment"
    assert desk.platform_balance == Decimal(100000)


def test_a_hold_placed_after_the_withdrawal_does_not_undo_it() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    flow = desk.workflow()
    for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve, flow.withdraw):
        step(payout_id)

    desk.holds.place(HOLDS["reconciliation"])

    assert flow.withdraw(payout_id).outcome == "withdrawn"  # past stopping: a retry still answers withdrawn
    assert desk.payouts.get(payout_id).status == "withdrawn"  # type: ignore[union-attr]


def test_a_denial_that_wins_the_race_with_the_withdrawal_gets_the_platforms_booking_put_back() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    flow = desk.workflow()
    for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve):
        step(payout_id)
    denial = PayoutDenial(
        desk.payouts, desk.publisher, desk.callback, desk._new_id, desk.started_withdrawals()
    )
    booking = desk.platform.adjust_balance

    def booked_then_denied(account: AccountRef, amount: Decimal, reference: str, comment: str) -> str:
        deal = booking(account, amount, reference, comment)
        if reference.endswith(":withdrawal"):  # the flag's deny decision lands between booking and writing
            desk.holds.place(HOLDS["abuse"])
            assert denial.deny("acc-1", "flag-1", NOW).refused == (payout_id,)
        return deal

    desk.platform.adjust_balance = booked_then_denied  # type: ignore[method-assign]
    outcome = flow.withdraw(payout_id)

    assert outcome.outcome == "stopped"
    assert desk.payouts.get(payout_id).status == "rejected"  # type: ignore[union-attr]
    assert desk.platform_balance == Decimal(101000) and desk.engine_log.events == {}
