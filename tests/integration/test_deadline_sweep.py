"""Scheduled deadlines on DynamoDB Local: the minute sweep fires a time limit with no event and no boundary.

The account opens on Monday 2 March 2026 at 09:00 in Prague (08:00 UTC) on a 10-day time limit, trades once
on the 5th, then stays quiet: the limit falls due on 12 March at 09:00 CET, counted from the opening (not
from the first event), between two midnights.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.deadlines import DeadlineItem, DeadlineRepository
from propdesk.data.risk import BreachRepository
from propdesk.data.watermark import ResetWatermarkRepository
from propdesk.services.daily_reset import DailyReset

from events import load_event
from functions.daily_reset import handler as daily_reset
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import CONTEXT, RiskWorld

pytestmark = pytest.mark.integration

RULES: list[dict[str, Any]] = [
    {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
    {"type": "time_limit", "days": 10},
]
DEADLINE = datetime.fromisoformat("2026-03-12T09:00:00+01:00")


def stored_deadline(world: RiskWorld) -> datetime | None:
    try:
        return DeadlineItem.get(keys.account_pk(world.account.account_id), "DUE").due_at
    except DeadlineItem.DoesNotExist:
        return None


def sweep_at(world: RiskWorld, instant: str) -> dict[str, Any]:
    world.clock.current = datetime.fromisoformat(instant)
    reset = DailyReset(
        AccountRepository(), ResetWatermarkRepository(), world.service(), world.clock, DeadlineRepository()
    )
    return daily_reset.process(load_event("eventbridge/scheduled_event"), CONTEXT, reset)


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, fresh_tables: TableNames) -> RiskWorld:
    world = RiskWorld.open(
        dynamodb_local, fresh_tables, "acc-deadline", opened_at="2026-03-02T08:00:00+00:00", rules=RULES
    )
    world.store({"event_id": "q1", "time": "2026-03-05T10:00:00+01:00", "type": "equity", "equity": "100100"})
    assert world.deliver(world.stream()) == {"batchItemFailures": []}
    ResetWatermarkRepository().advance(
        datetime.fromisoformat("2026-03-12T07:58:00+00:00"), expected_version=0
    )
    return world


def test_the_next_deadline_counts_from_the_opening_and_is_kept_for_the_sweep(world: RiskWorld) -> None:
    assert stored_deadline(world) == DEADLINE
    due = list(DeadlineRepository().due_by(DEADLINE))
    assert [(d.account_id, d.due_at) for d in due] == [(world.account.account_id, DEADLINE)]
    assert list(DeadlineRepository().due_by(datetime.fromisoformat("2026-03-12T07:59:59+00:00"))) == []


def test_the_sweep_fires_the_time_limit_at_its_instant_with_no_event(world: RiskWorld) -> None:
    early = sweep_at(world, "2026-03-12T07:59:00+00:00")
    assert (early["deadlines_advanced"], early["boundaries"]) == (0, [])
    assert world.evaluation()["status"] == "active"

    summary = sweep_at(world, "2026-03-12T08:01:00+00:00")
    assert (summary["deadlines_advanced"], summary["breaches"], summary["boundaries"]) == (1, 1, [])
    [evidence] = BreachRepository().list_for_account(world.account.account_id).items
    assert (evidence.rule, evidence.time, evidence.event_type) == ("time_limit", DEADLINE, "deadline")
    account = AccountRepository().get(world.account.account_id)
    assert account is not None and account.status == "failed"
    assert world.evaluation()["status"] == "failed"
    assert stored_deadline(world) is None  # a failed account has no deadline left

    again = sweep_at(world, "2026-03-12T08:02:00+00:00")
    assert (again["deadlines_advanced"], again["breaches"]) == (0, 0)
    assert len(world.publisher.of_type("account.breached")) == 1


def test_a_stale_deadline_item_is_corrected_not_swept_forever(world: RiskWorld) -> None:
    early = datetime.fromisoformat("2026-03-04T00:00:00+00:00")  # before the account's clock
    DeadlineRepository().set(world.account.account_id, early)
    summary = sweep_at(world, "2026-03-12T07:59:00+00:00")
    assert summary["deadlines_advanced"] == 0 and summary["failed_deadlines"] == []
    assert stored_deadline(world) == DEADLINE
