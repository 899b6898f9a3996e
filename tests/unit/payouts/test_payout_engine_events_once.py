"""The engine's withdrawal and deposit of a payout are stored once, whatever the retries: the trading-event
log keys an event by its time and id (the in-memory log keys it so too), so a step retried later must stamp
the event with the same time, the time the payout reached `withdrawn` (the withdrawal) or `failed` (the
deposit). A step that dies anywhere (the payout table or the event log unreachable) is retried by the state
machine (a rail's webhook is delivered again)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.payouts.payout_workflow_world import Execution, PayoutDesk


def approved(desk: PayoutDesk) -> str:
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    flow = desk.workflow()
    for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve):
        assert step(payout_id).outcome in ("passed", "approved")
    return payout_id


def withdrawn_at(desk: PayoutDesk, payout_id: str) -> object:
    payout = desk.payouts.get(payout_id)
    assert payout is not None
    return next(step.at for step in payout.timeline if step.status == "withdrawn")


def assert_booked_once(desk: PayoutDesk, payout_id: str) -> None:
    withdrawals = desk.engine_log.of_type("acc-1", "withdrawal")
    expected = [("1000.00", withdrawn_at(desk, payout_id))]
    assert [(e.payload["amount"], e.time) for e in withdrawals] == expected
    desk.engine_catches_up()
    assert desk.engine_balance == desk.platform_balance == Decimal(100000)


def test_a_withdraw_retried_later_on_a_booked_payout_stores_no_second_withdrawal() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    assert desk.workflow().withdraw(payout_id).outcome == "withdrawn"
    desk.clock.advance(timedelta(minutes=3))

    assert desk.workflow().withdraw(payout_id).outcome == "withdrawn"

    assert_booked_once(desk, payout_id)


def test_a_withdraw_that_died_before_writing_withdrawn_stores_one_withdrawal_when_retried() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    desk.payouts.fail_next_update = 1  # the platform booked it, then the payout table was unreachable

    with pytest.raises(ConnectionError):
        desk.workflow().withdraw(payout_id)
    desk.clock.advance(timedelta(minutes=3))

    assert desk.workflow().withdraw(payout_id).outcome == "withdrawn"
    assert_booked_once(desk, payout_id)


def test_a_withdraw_that_died_before_telling_the_engine_tells_it_when_retried() -> None:
    desk = PayoutDesk()
    payout_id = approved(desk)
    desk.engine_log.fail_next = 1  # `withdrawn` written, then the event log was unreachable

    with pytest.raises(ConnectionError):
        desk.workflow().withdraw(payout_id)
    desk.clock.advance(timedelta(minutes=3))

    assert desk.workflow().withdraw(payout_id).outcome == "withdrawn"
    assert_booked_once(desk, payout_id)


def failed_payment(desk: PayoutDesk) -> str:
    """A payout withdrawn whose payment the rail failed: the next step is the compensation."""
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    assert Execution(desk, payout_id).run() == "WaitForPayment"
    desk.rail.fail(next(iter(desk.rail.payments)))
    return payout_id


def assert_put_back_once(desk: PayoutDesk, payout_id: str) -> None:
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "failed"
    deposits = desk.engine_log.of_type("acc-1", "deposit")
    assert [(e.payload["amount"], e.time) for e in deposits] == [("1000.00", payout.status_at)]
    assert len(desk.engine_log.of_type("acc-1", "withdrawal")) == 1
    desk.engine_catches_up()
    assert desk.engine_balance == desk.platform_balance == Decimal(101000)


@pytest.mark.parametrize("dies", ["payout table", "event log"])
def test_a_compensation_retried_after_dying_stores_one_deposit(dies: str) -> None:
    desk = PayoutDesk()
    payout_id = failed_payment(desk)
    if dies == "payout table":
        desk.payouts.fail_next_update = 1  # the platform put it back, then `failed` could not be written
    else:
        desk.engine_log.fail_next = 1  # `failed` written, then the event log was unreachable

    with pytest.raises(ConnectionError):
        desk.workflow().compensate(payout_id, "the payment failed")
    desk.clock.advance(timedelta(minutes=3))

    assert desk.workflow().compensate(payout_id, "the payment failed").outcome == "compensated"
    desk.clock.advance(timedelta(minutes=3))
    assert desk.workflow().compensate(payout_id, "the payment failed").outcome == "compensated"
    assert_put_back_once(desk, payout_id)


def paid_then_returned_by_the_rail(desk: PayoutDesk) -> tuple[str, str]:
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    assert Execution(desk, payout_id).run() == "WaitForPayment"
    reference = next(iter(desk.rail.payments))
    desk.rail.settle(reference)
    desk.deliver_webhooks()
    assert Execution(desk, payout_id, state="Settle").run() == "paid"
    return payout_id, reference


def test_a_return_put_back_after_dying_before_writing_failed_stores_one_deposit() -> None:
    desk = PayoutDesk()
    payout_id, _ = paid_then_returned_by_the_rail(desk)
    desk.payouts.fail_next_update = 1
    paid = desk.payouts.get(payout_id)
    assert paid is not None

    with pytest.raises(ConnectionError):
        desk.workflow().put_back_returned(paid)  # the webhook answers 5xx: the rail delivers again
    desk.clock.advance(timedelta(minutes=3))

    assert desk.workflow().put_back_returned(paid) == "returned"
    assert_put_back_once(desk, payout_id)


def test_a_return_delivered_again_after_the_event_log_was_down_tells_the_engine_once() -> None:
    desk = PayoutDesk()
    payout_id, reference = paid_then_returned_by_the_rail(desk)
    desk.engine_log.fail_next = 1
    paid = desk.payouts.get(payout_id)
    assert paid is not None

    with pytest.raises(ConnectionError):
        desk.workflow().put_back_returned(paid)
    desk.clock.advance(timedelta(minutes=3))
    desk.rail.return_payment(reference)  # the rail delivers the return again
    desk.deliver_webhooks()

    assert desk.webhook_answers[-1] == "ignored"
    assert_put_back_once(desk, payout_id)
