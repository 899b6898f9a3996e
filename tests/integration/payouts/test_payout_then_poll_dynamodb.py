"""A paid payout's withdrawal, then the platform's history read back (a poll or a backfill), against DynamoDB
Local: the workflow records the withdrawal as an engine event when it books it on the platform; the
platform's copy of that booking is ours (`propdesk.platforms.own_bookings`) and is not stored a second time,
while a balance operation the broker booked is. The engine's balance from the log ends equal to the
platform's: lowered once by the payout."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.records import PlatformReference
from propdesk.services.backfill import Backfill
from propdesk.services.ingestion import EventIngestion

from fakes.market import Market
from tests.doubles.ports import ManualClock
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.payouts.test_payout_engine_events_dynamodb import Desk, FlakyLog, FlakyPayouts
from tests.unit.payouts.payout_workflow_world import FUNDED_AT, INITIAL, NOW, PayoutDesk

pytestmark = pytest.mark.integration


def test_a_payouts_withdrawal_read_back_from_the_platform_lowers_the_balance_once(
    tables: TableNames, unique_id: str
) -> None:
    clock = ManualClock(NOW)
    desk = PayoutDesk(account_id=f"acc-{unique_id}", clock=clock, market=Market(now=clock.now))
    desk.trade(Decimal(1000))  # on the platform: a balance operation of the broker's, counted below
    world = Desk(desk, FlakyPayouts(), FlakyLog())
    reference = PlatformReference("match-trader", desk.platform_account, "7001")
    accounts = AccountRepository()
    accounts.open(replace(account(desk.account_id, opened_at=FUNDED_AT), platform=reference))
    payout_id = world.approved()
    assert world.workflow().withdraw(payout_id).outcome == "withdrawn"
    world.later()

    backfill = Backfill(
        accounts, {"match-trader": desk.platform}.get, EventIngestion(accounts, world.log), desk.clock
    )
    backfill.backfill(desk.account_id, FUNDED_AT)
    world.later()
    backfill.backfill(desk.account_id, FUNDED_AT)  # the next poll reads the same history again

    withdrawals = [Decimal(e.payload["amount"]) for e in world.events("withdrawal")]
    deposits = [Decimal(e.payload["amount"]) for e in world.events("deposit")]
    assert withdrawals == [Decimal(1000)]  # the workflow's, not the platform's copy of it
    assert deposits == [Decimal(1000)]  # the broker's own balance operation does count
    engine_balance = INITIAL + sum(deposits) - sum(withdrawals)
    assert engine_balance == desk.platform_balance == INITIAL
