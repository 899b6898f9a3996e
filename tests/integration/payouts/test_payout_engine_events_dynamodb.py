"""The payout workflow's engine events against DynamoDB Local: the payouts in `PayoutRepository`, the engine's
withdrawal and deposit in `TradingEventRepository` (keyed by the event's time and id). A `withdraw` or a
`compensate` retried minutes later, or after dying between the platform, the payout's write and the log,
leaves exactly one withdrawal and one deposit in the log, at the times the payout reached `withdrawn` and
`failed`. The platform, rail and facts are the in-memory ones of the unit tests' payout desk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.payout_denial import PayoutDenial
from propdesk.data.events import TradingEventRepository
from propdesk.data.payouts import PayoutRepository
from propdesk.payouts.holds import PayoutHold
from propdesk.payouts.model import Payout
from propdesk.payouts.requests import PayoutService, RequestPayout
from propdesk.payouts.workflow import PayoutWorkflow
from propdesk.records import AuditEntry, StoredEvent

from tests.integration.dynamodb_local import TableNames
from tests.unit.payouts.payout_workflow_world import FIRM, NOW, TRADER, PayoutDesk

pytestmark = pytest.mark.integration


class FlakyPayouts(PayoutRepository):
    """The payout table, unreachable for the next `fail_next` moves (to `only_to` when set: the step dies
    and is retried)."""

    fail_next = 0
    only_to = ""

    def update(self, changed: Payout, entry: AuditEntry | None = None) -> None:
        if self.fail_next and self.only_to in ("", changed.status):
            self.fail_next -= 1
            raise ConnectionError("the payout table is unreachable")
        super().update(changed, entry)


class FlakyLog(TradingEventRepository):
    """The trading-event log, unreachable for the next `fail_next` writes."""

    fail_next = 0

    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("the event log is unreachable")
        return super().record(event, received_at)


@dataclass
class Desk:
    desk: PayoutDesk
    payouts: FlakyPayouts
    log: FlakyLog

    @classmethod
    def seed(cls, unique_id: str) -> Desk:
        desk = PayoutDesk(account_id=f"acc-{unique_id}")
        desk.trade(Decimal(1000))
        return cls(desk, FlakyPayouts(), FlakyLog())

    def service(self) -> PayoutService:
        d = self.desk
        return PayoutService(
            d.accounts, self.payouts, d.facts, d.publisher, FIRM, _new_id, d.approval, d.callback
        )

    def workflow(self) -> PayoutWorkflow:
        d = self.desk
        return PayoutWorkflow(
            self.service(), self.payouts, d.facts, d.holds, d.platform, d.refs, self.log, d.destinations,
            {"stablecoin_wallet": d.rail}, d.publisher, d.callback, d.clock, _new_id,
        )  # fmt: skip

    def approved(self) -> str:
        flow = self.workflow()
        command = RequestPayout(self.desk.account_id, TRADER, self.desk.clock.now(), None)
        payout_id = self.service().request(command, admit=lambda: None).payout.payout_id
        for step in (flow.assess, flow.kyc_gate, flow.screen, flow.approve):
            assert step(payout_id).outcome in ("passed", "approved")
        return payout_id

    def later(self) -> None:
        self.desk.clock.advance(timedelta(minutes=3))

    def events(self, kind: str) -> list[StoredEvent]:
        return [e for e in self.log.replay(self.desk.account_id) if e.type == kind]

    def reached(self, payout_id: str, status: str) -> datetime:
        payout = self.payouts.get(payout_id)
        assert payout is not None
        return next(step.at for step in payout.timeline if step.status == status)


def _new_id() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize("dies", ["nowhere", "payout table", "event log"])
def test_a_withdraw_retried_later_stores_exactly_one_withdrawal(
    tables: TableNames, unique_id: str, dies: str
) -> None:
    world = Desk.seed(unique_id)
    payout_id = world.approved()
    world.payouts.fail_next = 1 if dies == "payout table" else 0
    world.payouts.only_to = "withdrawn"  # after the platform booked: the move the step dies on
    world.log.fail_next = 1 if dies == "event log" else 0

    if dies == "nowhere":
        assert world.workflow().withdraw(payout_id).outcome == "withdrawn"
    else:
        with pytest.raises(ConnectionError):
            world.workflow().withdraw(payout_id)
    world.later()
    assert world.workflow().withdraw(payout_id).outcome == "withdrawn"
    world.later()
    assert world.workflow().withdraw(payout_id).outcome == "withdrawn"

    withdrawals = world.events("withdrawal")
    assert [(e.payload["amount"], e.time) for e in withdrawals] == [
        ("1000.00", world.reached(payout_id, "withdrawn"))
    ]
    assert world.desk.platform_balance == Decimal(100000)


@pytest.mark.parametrize("dies", ["nowhere", "payout table", "event log"])
def test_a_compensation_retried_later_stores_exactly_one_deposit(
    tables: TableNames, unique_id: str, dies: str
) -> None:
    world = Desk.seed(unique_id)
    payout_id = world.approved()
    assert world.workflow().withdraw(payout_id).outcome == "withdrawn"
    world.later()
    world.payouts.fail_next = 1 if dies == "payout table" else 0
    world.log.fail_next = 1 if dies == "event log" else 0

    if dies == "nowhere":
        assert world.workflow().compensate(payout_id, "no payment").outcome == "compensated"
    else:
        with pytest.raises(ConnectionError):
            world.workflow().compensate(payout_id, "no payment")
    world.later()
    assert world.workflow().compensate(payout_id, "no payment").outcome == "compensated"
    world.later()
    assert world.workflow().compensate(payout_id, "no payment").outcome == "compensated"

    deposits = world.events("deposit")
    expected = [("1000.00", world.reached(payout_id, "failed"))]
    assert [(e.payload["amount"], e.time) for e in deposits] == expected
    assert len(world.events("withdrawal")) == 1
    assert world.desk.platform_balance == Decimal(101000)


@pytest.mark.parametrize("ends", ["hold", "abuse denial"])
def test_a_withdrawal_booked_by_a_step_that_died_goes_back_when_the_payout_ends_before_the_retry(
    tables: TableNames, unique_id: str, ends: str
) -> None:
    world = Desk.seed(unique_id)
    payout_id = world.approved()
    world.payouts.fail_next, world.payouts.only_to = 1, "withdrawn"  # booked, then the step dies
    with pytest.raises(ConnectionError):
        world.workflow().withdraw(payout_id)
    started = world.payouts.get(payout_id)
    assert started is not None and started.status == "approved"
    assert started.withdrawal_started_at == world.desk.clock.now()  # kept in the table before the platform
    assert world.desk.platform_balance == Decimal(100000)
    world.later()

    if ends == "hold":
        world.desk.holds.place(PayoutHold(world.desk.account_id, "staff", "a-1", "chargeback", NOW))
        assert world.workflow().withdraw(payout_id).outcome == "refused"
    else:
        denial = PayoutDenial(
            world.payouts, world.desk.publisher, world.desk.callback, _new_id,
            world.desk.started_withdrawals(),
        )  # fmt: skip
        assert denial.deny(world.desk.account_id, "flag-1", world.desk.clock.now()).refused == (payout_id,)
        assert world.workflow().withdraw(payout_id).outcome == "stopped"  # the state machine's retry

    ended = world.payouts.get(payout_id)
    assert ended is not None and ended.status == "rejected"
    assert world.payouts.open_payout_id(world.desk.account_id) is None
    assert world.desk.platform_balance == Decimal(101000)  # put back, once
    book = world.desk.market.account(world.desk.platform_account)
    assert book is not None
    assert [d.reference for d in book.deals if d.reference] == [
        f"{payout_id}:withdrawal",
        f"{payout_id}:compensation",
    ]
    assert world.events("withdrawal") == [] and world.events("deposit") == []
