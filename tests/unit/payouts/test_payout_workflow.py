"""The payout workflow's steps over in-memory stores, driven as the state machine drives them: approval
automatic or by finance (two different members above the second amount, never the requester), the
withdrawal on the platform and in the engine, the payment confirmed by the rail's signed webhook, and the
compensation of a failure after the withdrawal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.access import Identity, OwnAccountError
from propdesk.domain_events import PayoutPaid
from propdesk.errors import ConflictError
from propdesk.payouts.holds import PayoutHold
from propdesk.payouts.requests import DecidePayout

from tests.unit.payouts.payout_workflow_world import FINANCE, FINANCE_2, NOW, TRADER, Execution, PayoutDesk


def paid_through_the_webhook(desk: PayoutDesk, execution: Execution) -> str:
    assert execution.run() == "WaitForPayment"
    reference = next(iter(desk.rail.payments))
    desk.rail.settle(reference)
    desk.deliver_webhooks()
    return execution.run()


def test_a_small_payout_is_approved_automatically_withdrawn_and_paid_when_the_rail_confirms() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    desk.rail.outbox.duplicate_next(3)  # every webhook delivered twice

    ended = paid_through_the_webhook(desk, Execution(desk, payout_id))

    payout = desk.payouts.get(payout_id)
    assert payout is not None and ended == "paid" and payout.status == "paid"
    assert [step.status for step in payout.timeline] == ["approved", "withdrawn", "paying", "paid"]
    assert payout.decided_by == "system:payout-workflow" and payout.paid_amount == Decimal("800.00")
    assert desk.platform_balance == Decimal(100000)  # 1,000 made, 1,000 withdrawn
    assert [e.payload["amount"] for e in desk.engine_log.of_type("acc-1", "withdrawal")] == ["1000.00"]
    assert desk.webhook_answers.count("resumed") == 1 and len(desk.rail.payments) == 1
    paid = desk.publisher.of_type("payout.paid")
    assert len(paid) == 1 and isinstance(paid[0], PayoutPaid)
    statement = paid[0]
    assert (statement.gross_profit, statement.trader_share, statement.firm_share) == (
        Decimal(1000), Decimal(800), Decimal(200),
    )  # fmt: skip
    assert statement.paid == Decimal(800) and statement.destination.startswith("0x5290")
    assert "0x52908400098527886E0F7030069857D2E4169EE7" not in repr(payout)
    assert desk.payouts.open_by_account == {}  # the account may request again


def test_a_payout_above_the_automatic_amount_waits_for_finance_whose_approval_resumes_it() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)

    assert execution.run() == "WaitForApproval"
    desk.service().decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))

    assert paid_through_the_webhook(desk, execution) == "paid"
    assert desk.payouts.get(payout_id).decided_by == FINANCE.subject  # type: ignore[union-attr]


def test_finance_rejecting_ends_the_workflow_with_nothing_withdrawn() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    execution.run()

    desk.service().decide(DecidePayout(payout_id, "reject", "suspicious", FINANCE, NOW))

    assert execution.run() == "Rejected"
    assert desk.platform_balance == Decimal(105000) and desk.engine_log.events == {}


def test_finance_deciding_before_the_workflow_waits_is_picked_up_without_waiting() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    desk.service().decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))

    assert paid_through_the_webhook(desk, Execution(desk, payout_id)) == "paid"


def test_finance_cannot_approve_a_payout_they_requested() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    trader_in_finance = Identity(TRADER.subject, frozenset({"trader", "finance"}))

    with pytest.raises(OwnAccountError) as refused:
        desk.service().decide(DecidePayout(payout_id, "approve", "mine", trader_in_finance, NOW))

    assert (refused.value.code, refused.value.field) == ("own_account", "payout_id")


def test_above_the_second_amount_two_different_finance_members_approve() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(20000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    execution.run()
    service = desk.service()

    first = service.decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))
    with pytest.raises(ConflictError):
        service.decide(DecidePayout(payout_id, "approve", "again", FINANCE, NOW))
    assert first.payout.status == "requested" and execution.run() == "WaitForApproval"
    second = service.decide(DecidePayout(payout_id, "approve", "checked too", FINANCE_2, NOW))

    assert second.payout.status == "approved" and second.payout.approvals == ("finance-1", "finance-2")
    assert [e.action for e in desk.payouts.audit] == ["payout.first_approval", "payout.approved"] + [
        e.action for e in desk.payouts.audit[2:]
    ]
    assert paid_through_the_webhook(desk, execution) == "paid"


def test_a_failed_payment_puts_the_withdrawal_back_on_the_account_and_in_the_engine() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    execution.run()

    desk.rail.fail(next(iter(desk.rail.payments)))
    desk.deliver_webhooks()

    assert execution.run() == "compensated"
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "failed" and payout.failure_reason
    assert desk.platform_balance == Decimal(101000)
    assert len(desk.engine_log.of_type("acc-1", "deposit")) == 1
    failed = desk.publisher.of_type("payout.failed")
    assert len(failed) == 1 and failed[0].compensated  # type: ignore[attr-defined]
    desk.engine_catches_up()
    assert desk.service().preview("acc-1", TRADER, NOW, None).assessment.quote.withdrawable == Decimal(1000)


def test_without_a_verified_destination_the_withdrawal_is_put_back() -> None:
    desk = PayoutDesk()
    desk.destinations.kept.clear()
    desk.trade(Decimal(1000))

    assert Execution(desk, desk.request()).run() == "compensated"
    assert desk.platform_balance == Decimal(101000) and desk.rail.payments == {}


def test_a_payment_the_rail_may_still_make_is_never_compensated() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    Execution(desk, payout_id).run()

    outcome = desk.workflow().compensate(payout_id, "the wait timed out")

    assert outcome.outcome == "unsafe" and desk.payouts.get(payout_id).status == "paying"  # type: ignore[union-attr]
    assert desk.platform_balance == Decimal(100000)


@pytest.mark.parametrize("cause", ["hold", "kyc"])
def test_an_open_hold_or_an_unverified_trader_refuses_the_payout_before_any_money_moves(cause: str) -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    if cause == "hold":
        desk.holds.place(PayoutHold("acc-1", "abuse", "flag-1", "hedging", NOW))
    else:
        desk.facts.kyc[TRADER.subject] = "pending"

    assert Execution(desk, payout_id).run() == "refused"
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "rejected"
    assert payout.decision_reason in ("payout_on_hold", "kyc_required", "kyc_not_approved")
    assert desk.platform_balance == Decimal(101000) and desk.payouts.open_by_account == {}


def test_profit_lost_after_approval_refuses_the_withdrawal() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    flow = desk.workflow()
    for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve):
        step(payout_id)
    desk.trade(Decimal(-600))

    assert flow.withdraw(payout_id).outcome == "refused"
    assert desk.platform_balance == Decimal(100400) and execution.desk.engine_log.events == {}


def test_a_request_right_after_a_payout_cannot_claim_its_profit_before_the_engine_sees_it() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    paid_through_the_webhook(desk, Execution(desk, desk.request()))
    desk.clock.advance(timedelta(days=1))

    preview = desk.service().preview("acc-1", TRADER, desk.clock.now(), None)

    assert preview.assessment.quote.withdrawable == Decimal(0)


def test_every_step_repeated_changes_nothing() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    paid_through_the_webhook(desk, execution)
    flow = desk.workflow()
    before = (desk.payouts.get(payout_id), desk.platform_balance, len(desk.publisher.published))

    repeats = [
        flow.assess(payout_id), flow.approve(payout_id), flow.withdraw(payout_id),
        flow.settle(payout_id, ""), flow.compensate(payout_id, "late"),
    ]  # fmt: skip

    assert [r.outcome for r in repeats] == ["stopped", "approved", "withdrawn", "paid", "paid"]
    assert (desk.payouts.get(payout_id), desk.platform_balance, len(desk.publisher.published)) == before
    assert len(desk.engine_log.events) == 1


def test_a_payout_event_lost_to_the_bus_goes_out_when_the_step_is_repeated() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    execution.run()
    desk.rail.settle(next(iter(desk.rail.payments)))
    desk.deliver_webhooks()
    desk.publisher.fail_next = 1

    with pytest.raises(RuntimeError):
        execution.run()
    assert desk.workflow().settle(payout_id, "").outcome == "paid"
    assert len(desk.publisher.of_type("payout.paid")) == 1


def test_the_timeline_shows_each_status_with_its_time() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    execution.run()
    desk.clock.advance(timedelta(minutes=5))
    paid_through_the_webhook(desk, execution)

    payout = desk.payouts.get(payout_id)
    assert payout is not None
    assert [(s.status, s.at - NOW) for s in payout.timeline] == [
        ("approved", timedelta(0)), ("withdrawn", timedelta(0)), ("paying", timedelta(0)),
        ("paid", timedelta(minutes=5)),
    ]  # fmt: skip
    assert replace(payout, timeline=()).status_at == payout.requested_at


def test_a_withdrawal_the_platform_refuses_fails_the_payout_without_the_platforms_words() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    desk.platform.reject_next = 1  # the platform answers 400 with its own text

    assert Execution(desk, payout_id).run() == "failed"

    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.failure_reason == "the platform refused the withdrawal"
    [failed] = desk.publisher.of_type("payout.failed")
    assert "answered 400" not in failed.model_dump_json()  # the trader's view and mail never show it


def test_finance_repeating_a_decision_whose_answer_was_lost_resumes_the_waiting_workflow() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    assert execution.run() == "WaitForApproval"
    dying = desk.service()

    def dies(payout: object) -> bool:
        raise TimeoutError("the API's function timed out after writing the decision")

    dying.resume_approval = dies  # type: ignore[method-assign]
    with pytest.raises(TimeoutError):
        dying.decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))
    assert execution.run() == "WaitForApproval"  # approved, but nobody resumed the workflow

    again = desk.service().decide(DecidePayout(payout_id, "approve", "checked", FINANCE, NOW))

    assert (again.replayed, again.payout.status) == (True, "approved")
    with pytest.raises(ConflictError):  # another member, another decision: a conflict
        desk.service().decide(DecidePayout(payout_id, "reject", "no", FINANCE_2, NOW))
    assert paid_through_the_webhook(desk, execution) == "paid"
    assert [e.action for e in desk.payouts.audit].count("payout.approved") == 1
