"""The daily reset on DynamoDB Local: a floating loss carried over midnight breaches at the reset instant."""

from __future__ import annotations

from datetime import datetime

import pytest
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.accounts import AccountRepository
from propdesk.data.risk import BreachRepository
from propdesk.data.watermark import ResetWatermarkRepository
from propdesk.records import ResetRetry
from propdesk.services.daily_reset import DailyReset

from events import load_event
from functions.daily_reset import handler as daily_reset
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub
from tests.integration.risk_world import RiskWorld

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
# Prague moved to summer time at 02:00 on Sunday 29 March 2026: the next midnight is 22:00 UTC, not 23:00.
PRAGUE_MIDNIGHT_AFTER_DST = datetime.fromisoformat("2026-03-30T00:00:00+02:00")


def trade_into_a_floating_loss(world: RiskWorld) -> None:
    """Day one: +3000 closed (balance 103000), then a position floating at -5500 (equity 97500).

    The day's floor is 95000 (initial balance 100000 - 5%), so nothing breaches during the day; at midnight
    the base becomes the balance at reset (103000) and the floor 98000, above the carried equity.
    """
    world.store(
        {"event_id": "o1", "time": "2026-03-29T09:00:00+02:00", "type": "position_opened",
         "position_id": "p1", "symbol": "EURUSD", "side": "buy", "volume": "1.0"},
        {"event_id": "c1", "time": "2026-03-29T10:00:00+02:00", "type": "position_closed",
         "position_id": "p1", "profit": "3000.00"},
        {"event_id": "o2", "time": "2026-03-29T11:00:00+02:00", "type": "position_opened",
         "position_id": "p2", "symbol": "EURUSD", "side": "buy", "volume": "2.0"},
        {"event_id": "q1", "time": "2026-03-29T12:00:00+02:00", "type": "equity", "equity": "97500.00"},
    )  # fmt: skip
    assert world.deliver(world.stream()) == {"batchItemFailures": []}
    assert world.evaluation()["status"] == "active"


def reset_at(world: RiskWorld, instant: str) -> dict[str, object]:
    world.clock.current = datetime.fromisoformat(instant)
    reset = DailyReset(AccountRepository(), ResetWatermarkRepository(), world.service(), world.clock)
    return daily_reset.process(load_event("eventbridge/scheduled_event"), CONTEXT, reset)


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, fresh_tables: TableNames) -> RiskWorld:
    world = RiskWorld.open(dynamodb_local, fresh_tables, "acc-reset", opened_at="2026-03-29T06:00:00+00:00")
    trade_into_a_floating_loss(world)
    ResetWatermarkRepository().advance(
        datetime.fromisoformat("2026-03-29T21:55:00+00:00"), expected_version=0
    )
    return world


def test_a_floating_loss_carried_over_midnight_breaches_at_the_reset_instant(world: RiskWorld) -> None:
    before = reset_at(world, "2026-03-29T21:59:30+00:00")
    assert before["boundaries"] == [] and world.evaluation()["status"] == "active"

    summary = reset_at(world, "2026-03-29T22:00:20+00:00")

    assert summary["boundaries"] == [{"group": "Europe/Prague#00:00", "at": "2026-03-29T22:00:00+00:00"}]
    assert summary["breaches"] == 1 and summary["watermark_moved"] is True
    (evidence,) = BreachRepository().list_for_account("acc-reset").items
    assert evidence.time == PRAGUE_MIDNIGHT_AFTER_DST
    assert (evidence.rule, str(evidence.limit), str(evidence.value)) == ("daily_loss", "98000", "97500")
    assert evidence.event_id is None and evidence.event_type == "day_boundary"
    account = AccountRepository().get("acc-reset")
    assert account is not None and account.status == "failed"
    assert world.control.disabled == [("acc-reset", "daily_loss")]
    assert len(world.publisher.of_type("account.breached")) == 1


def test_running_again_changes_nothing(world: RiskWorld) -> None:
    reset_at(world, "2026-03-29T22:00:20+00:00")
    again = reset_at(world, "2026-03-29T22:01:20+00:00")
    assert again["boundaries"] == [] and again["breaches"] == 0
    assert len(world.publisher.of_type("account.breached")) == 1


def test_a_missed_run_catches_up_from_the_watermark(world: RiskWorld) -> None:
    summary = reset_at(world, "2026-03-31T09:00:00+00:00")
    assert [b["at"] for b in summary["boundaries"]] == [
        "2026-03-29T22:00:00+00:00",
        "2026-03-30T22:00:00+00:00",
    ]
    assert summary["breaches"] == 1
    (evidence,) = BreachRepository().list_for_account("acc-reset").items
    assert evidence.time == PRAGUE_MIDNIGHT_AFTER_DST


def test_a_later_event_after_the_reset_is_applied_on_top(world: RiskWorld) -> None:
    reset_at(world, "2026-03-29T22:00:20+00:00")
    world.store(
        {"event_id": "q2", "time": "2026-03-30T09:00:00+02:00", "type": "equity", "equity": "97000.00"}
    )
    assert world.deliver(world.stream()) == {"batchItemFailures": []}
    assert world.evaluation()["status"] == "failed"
    assert world.evaluation()["breaches"] == world.in_order_verdict(until=None)["breaches"]


def test_an_account_that_cannot_be_advanced_is_kept_for_retry_and_holds_no_one_back(world: RiskWorld) -> None:
    """`acc-broken` is pinned to a program version that is not stored: every advance of it fails."""
    broken = account(
        "acc-broken",
        program_id=world.account.program_id,
        program_version=99,
        opened_at=world.account.opened_at,
    )
    AccountRepository().open(broken)

    summary = reset_at(world, "2026-03-29T22:00:20+00:00")

    assert summary["failed_accounts"] == ["acc-broken"] and summary["breaches"] == 1
    assert summary["watermark_moved"] is True and summary["retries_pending"] == 1
    mark = ResetWatermarkRepository().get()
    assert mark is not None and mark.checked_until == datetime.fromisoformat("2026-03-29T22:00:20+00:00")
    assert mark.retry == (ResetRetry("acc-broken", PRAGUE_MIDNIGHT_AFTER_DST),)

    again = reset_at(world, "2026-03-29T22:01:20+00:00")
    assert again["failed_accounts"] == ["acc-broken"] and again["watermark_moved"] is True
    mark = ResetWatermarkRepository().get()
    assert mark is not None and mark.retry == (ResetRetry("acc-broken", PRAGUE_MIDNIGHT_AFTER_DST, 2),)

    PurchaseAccountBook().set_status("acc-broken", "suspended", "dispute", world.clock.now(), ["active"])
    settled = reset_at(world, "2026-03-29T22:02:20+00:00")
    assert settled["failed_accounts"] == [] and settled["retries_pending"] == 0
    mark = ResetWatermarkRepository().get()
    assert mark is not None and mark.retry == ()
