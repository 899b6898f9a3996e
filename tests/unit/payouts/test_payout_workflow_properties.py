"""The payout workflow's promises over any sequence of trades, requests, approvals, withdrawals, payments that
succeed or fail, webhooks delivered twice or out of order, outages and the engine lagging behind:

- the same profit is never paid twice: what has left the account never exceeds the highest trading profit
  the account ever had (each withdrawal takes only profit above the balance after the last one);
- no money is lost: the platform's balance is always the initial balance plus trading less the payouts
  whose withdrawal stands (a failed payout's withdrawal is put back); the engine agrees once it catches up;
- a payout is paid at most once on the rail, and a paid payout's parts sum to its amount, none negative.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st
from propdesk.errors import DomainError
from propdesk.payouts.requests import DecidePayout

from tests.unit.payouts.payout_workflow_world import FINANCE, FINANCE_2, INITIAL, NOW, Execution, PayoutDesk

operations = st.lists(
    st.one_of(
        st.tuples(st.just("trade"), st.integers(-300_000, 600_000)),
        st.tuples(st.just("request"), st.one_of(st.none(), st.integers(10_000, 1_500_000))),
        st.tuples(st.just("finance"), st.integers(0, 1)),
        st.tuples(st.just("settle"), st.integers(0, 3)),
        st.tuples(st.just("fail"), st.integers(0, 3)),
        st.tuples(st.just("webhooks"), st.integers(0, 2)),
        st.tuples(st.just("catch_up"), st.just(0)),
        st.tuples(st.just("platform_down"), st.integers(1, 8)),
        st.tuples(st.just("rail_down"), st.integers(1, 8)),
    ),
    min_size=3,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_the_same_profit_is_never_paid_twice_and_no_money_is_lost(
    steps: list[tuple[str, int | None]],
) -> None:
    desk = PayoutDesk()
    desk.trade(Decimal(5000))  # start in profit: most sequences then request, pay and fail payouts
    executions: list[Execution] = []
    traded = peak = Decimal(5000)
    for name, value in steps:
        if name == "trade":
            profit = Decimal(value or 0) / 100
            desk.trade(profit)
            traded += profit
            peak = max(peak, traded)
        elif name == "request":
            try:
                payout_id = desk.request(None if value is None else Decimal(value) / 100)
            except DomainError:
                continue  # refused: nothing to check beyond the invariants
            executions.append(Execution(desk, payout_id))
        elif name == "finance":
            for payout in desk.payouts.in_status("requested").items:
                for member in (FINANCE, FINANCE_2)[: 1 + (value or 0)]:
                    with contextlib.suppress(DomainError):  # the same member twice, a moved payout
                        desk.service().decide(DecidePayout(payout.payout_id, "approve", "ok", member, NOW))
        elif name in ("settle", "fail"):
            pending = [r for r, p in desk.rail.payments.items() if p["status"] == "pending"]
            if pending:
                reference = pending[(value or 0) % len(pending)]
                desk.rail.settle(reference) if name == "settle" else desk.rail.fail(reference)
        elif name == "webhooks":  # the rail's deliveries: doubled, held back, released in reverse order
            if value == 0:
                desk.rail.outbox.duplicate_next(5)
            elif value == 1:
                desk.rail.outbox.hold()
            else:
                desk.rail.outbox.release(reverse=True)
        elif name == "catch_up":
            desk.engine_catches_up()
        elif name == "platform_down":
            desk.platform.fail_next = value or 0
        elif name == "rail_down":
            desk.rail.unavailable = value or 0
        desk.deliver_webhooks()  # what the rail's outbox holds back stays back
        for execution in executions:  # the state machine goes on by itself as far as it can
            try:
                execution.run()
            except Exception as error:  # an outage past the retries: this run of the state machine failed
                assert "down" in str(error) or "503" in str(error) or "injected" in str(error)
        payouts = list(desk.payouts.payouts.values())
        booked = sum((p.amount for p in payouts if p.booked), Decimal(0))
        assert booked <= peak, "profit was paid twice"
        assert desk.platform_balance == INITIAL + traded - booked, "money was lost or created"
        for payout in payouts:
            assert payout.amount > 0 and payout.trader_share >= 0 and payout.firm_share >= 0
            assert payout.trader_share + payout.firm_share == payout.amount
            payments = [p for p in desk.rail.payments.values() if p["payout_id"] == payout.payout_id]
            assert len(payments) <= 1, "paid twice on the rail"
            if payout.status == "paid":
                assert payout.paid_amount is not None and 0 <= payout.paid_amount <= payout.trader_share
                assert payments and payments[0]["status"] == "paid"
            if payout.status == "failed" and payments:
                assert payments[0]["status"] in ("failed", "returned")

    for payout in desk.payouts.payouts.values():
        event(f"a payout ended {payout.status}")
    desk.engine_catches_up()
    assert desk.engine_balance == desk.platform_balance, "the engine and the platform disagree"
