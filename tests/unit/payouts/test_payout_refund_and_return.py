"""What a payout pays on top of the split, and money that comes back: the fee refund rides with the Nth payout
(once, on the statement, in what the rail pays), and a payment the rail returns after `paid` goes back onto
the account once (platform and engine), audited, the trader told, never counted twice."""

from __future__ import annotations

from decimal import Decimal

from propdesk.domain_events import PayoutFailed, PayoutPaid
from propdesk.mail.letter import Firm
from propdesk.mail.payouts import payout_status
from propdesk.payouts.approval import ApprovalPolicy
from propdesk.payouts.policy import PayoutPolicyError, policy_for
from propdesk.services.mailer import payout_notice

from tests.unit.payouts.payout_workflow_world import FIRM, NOW, TRADER, Execution, PayoutDesk

FEE = Decimal("540.00")


def refunding_desk(with_payout: int, automatic_below: Decimal = Decimal(5000)) -> PayoutDesk:
    desk = PayoutDesk(approval=ApprovalPolicy(automatic_below, Decimal(10000)))
    desk.facts.documents[("funded-100k", 1)] = {
        "kind": "funded", "payouts": {"fee_refund_with_payout": with_payout},
    }  # fmt: skip
    desk.facts.fees["acc-1"] = FEE
    return desk


def payment_of(desk: PayoutDesk, payout_id: str) -> str:
    return next(ref for ref, p in desk.rail.payments.items() if p["payout_id"] == payout_id)


def paid(desk: PayoutDesk, payout_id: str) -> str:
    execution = Execution(desk, payout_id)
    assert execution.run() == "WaitForPayment"
    desk.rail.settle(payment_of(desk, payout_id))
    desk.deliver_webhooks()
    return execution.run()


def pay_one(desk: PayoutDesk, profit: Decimal) -> str:
    desk.trade(profit)
    payout_id = desk.request()
    assert paid(desk, payout_id) == "paid"
    desk.engine_catches_up()
    return payout_id


def test_the_first_payout_refunds_the_fee_on_top_of_the_share_and_the_statement_shows_it() -> None:
    desk = refunding_desk(1)

    payout_id = pay_one(desk, Decimal(1000))

    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.fee_refund == FEE
    assert payout.to_pay == Decimal("1340.00") and payout.paid_amount == Decimal("1340.00")
    assert [p["amount"] for p in desk.rail.payments.values()] == ["1340.00"]
    event = desk.publisher.of_type("payout.paid")[0]
    assert isinstance(event, PayoutPaid)
    assert (event.trader_share, event.fee_refund, event.extras, event.paid) == (
        Decimal(800), FEE, {"fee_refund": FEE}, Decimal("1340.00"),
    )  # fmt: skip
    assert desk.platform_balance == Decimal(100000)  # only the profit left the account, not the refund


def test_the_fee_is_refunded_once() -> None:
    desk = refunding_desk(1)
    pay_one(desk, Decimal(1000))

    second = pay_one(desk, Decimal(1000))

    payout = desk.payouts.get(second)
    assert payout is not None and payout.extras == () and payout.paid_amount == Decimal("800.00")


def test_fundednext_refunds_with_the_third_payout_and_not_before() -> None:
    desk = refunding_desk(3)

    first, second, third = (pay_one(desk, Decimal(1000)) for _ in range(3))

    refunds = [desk.payouts.get(pid).fee_refund for pid in (first, second, third)]  # type: ignore[union-attr]
    assert refunds == [Decimal(0), Decimal(0), FEE]


def test_a_failed_payout_does_not_use_up_the_refund() -> None:
    desk = refunding_desk(1)
    desk.trade(Decimal(1000))
    failed_id = desk.request()
    execution = Execution(desk, failed_id)
    execution.run()
    desk.rail.fail(next(iter(desk.rail.payments)))
    desk.deliver_webhooks()
    assert execution.run() == "compensated"
    desk.engine_catches_up()

    again = desk.request()

    payout = desk.payouts.get(again)
    assert payout is not None and payout.fee_refund == FEE


def test_an_unknown_fee_refunds_nothing_rather_than_a_guess() -> None:
    desk = refunding_desk(1)
    del desk.facts.fees["acc-1"]

    payout_id = pay_one(desk, Decimal(1000))

    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.extras == () and payout.paid_amount == Decimal("800.00")


def test_the_refund_counts_toward_the_amount_finance_must_approve() -> None:
    desk = refunding_desk(1, Decimal(1000))  # automatic under 1,000: an 800 share and a 540 refund is 1,340
    desk.trade(Decimal(1000))
    payout_id = desk.request()

    assert Execution(desk, payout_id).run() == "WaitForApproval"


def test_a_program_names_the_refunds_payout_number_as_a_whole_number_from_1() -> None:
    assert policy_for({"payouts": {"fee_refund_with_payout": 3}}, FIRM).fee_refund_with_payout == 3
    assert policy_for({}, FIRM).fee_refund_with_payout is None
    for wrong in (0, "1", True):
        try:
            policy_for({"payouts": {"fee_refund_with_payout": wrong}}, FIRM)
        except PayoutPolicyError:
            continue
        raise AssertionError(f"{wrong!r} was accepted")


def test_the_paid_mail_carries_the_statement_with_the_refund() -> None:
    desk = refunding_desk(1)
    pay_one(desk, Decimal(1000))
    event = desk.publisher.of_type("payout.paid")[0]
    assert isinstance(event, PayoutPaid)

    mail = payout_status(payout_notice(event), Firm("Desk"))

    text = mail.text
    for expected in ("Gross profit", "1,000.00 USD", "Firm's share", "200.00 USD", "Fee refund", "540.00 USD",
                     "Paid", "1,340.00 USD", event.destination):  # fmt: skip
        assert expected in text, expected
    assert "0x52908400098527886E0F7030069857D2E4169EE7" not in text


def returned_after_paid() -> tuple[PayoutDesk, str]:
    desk = PayoutDesk()
    payout_id = pay_one(desk, Decimal(1000))
    assert desk.platform_balance == Decimal(100000)
    desk.rail.return_payment(payment_of(desk, payout_id))
    desk.deliver_webhooks()
    return desk, payout_id


def test_a_payment_returned_after_paid_goes_back_onto_the_account_and_the_trader_is_told() -> None:
    desk, payout_id = returned_after_paid()

    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "failed"
    assert [step.status for step in payout.timeline][-2:] == ["paid", "failed"]
    assert payout.failure_reason and "returned" in payout.failure_reason
    assert desk.platform_balance == Decimal(101000)
    assert [e.payload["amount"] for e in desk.engine_log.of_type("acc-1", "deposit")] == ["1000.00"]
    failed = desk.publisher.of_type("payout.failed")
    assert len(failed) == 1 and isinstance(failed[0], PayoutFailed) and failed[0].compensated
    assert desk.webhook_answers[-1] == "returned"
    assert any(entry.action == "payout.failed" for entry in desk.payouts.audit)
    mail = payout_status(payout_notice(failed[0]), Firm("Desk"))
    assert "back on your account" in mail.text


def test_a_return_delivered_again_puts_nothing_back_twice() -> None:
    desk, payout_id = returned_after_paid()
    desk.rail.return_payment(payment_of(desk, payout_id))  # the rail emits it again
    desk.deliver_webhooks()

    assert desk.platform_balance == Decimal(101000)
    assert len(desk.engine_log.of_type("acc-1", "deposit")) == 1
    assert len(desk.publisher.of_type("payout.failed")) == 1
    assert desk.webhook_answers[-1] == "ignored"


def test_the_returned_profit_is_withdrawable_again_and_paid_once() -> None:
    desk, _ = returned_after_paid()
    desk.engine_catches_up()

    assert desk.service().preview("acc-1", TRADER, NOW, None).assessment.quote.withdrawable == Decimal(1000)
    again = desk.request()
    assert paid(desk, again) == "paid"
    desk.engine_catches_up()

    assert desk.platform_balance == Decimal(100000)
    assert desk.service().preview("acc-1", TRADER, NOW, None).assessment.quote.withdrawable == Decimal(0)


def test_a_return_that_overtakes_the_settling_of_paid_is_delivered_again_then_put_back() -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    execution = Execution(desk, payout_id)
    assert execution.run() == "WaitForPayment"
    reference = payment_of(desk, payout_id)
    desk.rail.settle(reference)
    desk.rail.return_payment(reference)
    desk.deliver_webhooks()  # paid resumes the workflow; the return finds it still settling

    assert desk.webhook_answers[-1] == "settling"
    assert execution.run() == "paid"
    desk.rail.return_payment(reference)  # the rail delivers the return again
    desk.deliver_webhooks()

    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "failed" and desk.platform_balance == Decimal(101000)
