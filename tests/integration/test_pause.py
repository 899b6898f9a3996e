"""A `pause` breach on DynamoDB Local: trading is locked until the next day boundary, then unlocked.

futures-50k (Topstep-style): daily loss of 1,000 on the equity at reset, effect `pause`, day boundary 17:00
in Chicago (23:00 UTC in early March). The account is never failed by it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from propdesk.adapters.platform import EventBusAccountControl
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.data.watermark import ResetWatermarkRepository
from propdesk.domain_events import AccountPauseRequested, AccountResumeRequested
from propdesk.http.views import risk_view
from propdesk.services.daily_reset import DailyReset
from propdesk.services.risk import RiskService, RiskStores

from events import load_event
from functions.daily_reset import handler as daily_reset
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import CONTEXT, RiskWorld

pytestmark = pytest.mark.integration

CHICAGO_CLOSE = datetime.fromisoformat("2026-03-02T17:00:00-06:00")


def pause_the_account(world: RiskWorld) -> None:
    world.store(
        {"event_id": "o1", "time": "2026-03-02T09:00:00-06:00", "type": "position_opened",
         "position_id": "p1", "symbol": "ES", "side": "buy", "volume": "1"},
        {"event_id": "q1", "time": "2026-03-02T10:00:00-06:00", "type": "equity", "equity": "48999.00"},
    )  # fmt: skip
    assert world.deliver(world.stream()) == {"batchItemFailures": []}


def reset_at(world: RiskWorld, instant: str) -> dict[str, object]:
    world.clock.current = datetime.fromisoformat(instant)
    reset = DailyReset(AccountRepository(), ResetWatermarkRepository(), world.service(), world.clock)
    return daily_reset.process(load_event("eventbridge/scheduled_event"), CONTEXT, reset)


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, fresh_tables: TableNames) -> RiskWorld:
    world = RiskWorld.open(
        dynamodb_local,
        fresh_tables,
        "acc-pause",
        program_id="futures-50k",
        opened_at="2026-03-02T14:00:00+00:00",
    )
    pause_the_account(world)
    return world


def test_a_pause_breach_locks_trading_until_the_next_boundary_without_failing(world: RiskWorld) -> None:
    account_id = world.account.account_id
    assert world.control.paused == [(account_id, "daily_loss", CHICAGO_CLOSE)]
    assert world.control.disabled == []
    account = AccountRepository().get(account_id)
    assert account is not None and account.status == "active"
    [evidence] = BreachRepository().list_for_account(account_id).items
    assert (evidence.rule, evidence.effect) == ("daily_loss", "pause")
    snapshot = RiskStateRepository().get(account_id)
    view = risk_view(snapshot)
    assert view is not None and view.status == "active"
    assert view.metrics["paused_until"] == "2026-03-02T17:00:00-06:00"


def test_the_daily_reset_at_the_boundary_resumes_trading(world: RiskWorld) -> None:
    ResetWatermarkRepository().advance(
        datetime.fromisoformat("2026-03-02T22:55:00+00:00"), expected_version=0
    )
    summary = reset_at(world, "2026-03-02T23:01:00+00:00")
    assert summary["failed_accounts"] == []
    assert world.control.resumed == [(world.account.account_id, CHICAGO_CLOSE)]
    assert world.evaluation()["metrics"]["paused_until"] is None
    reset_at(world, "2026-03-02T23:02:00+00:00")  # nothing new: no second resume
    assert len(world.control.resumed) == 1 and len(world.control.paused) == 1


def test_the_next_event_after_the_boundary_resumes_trading_when_no_reset_ran(world: RiskWorld) -> None:
    world.store(
        {"event_id": "q2", "time": "2026-03-03T08:00:00-06:00", "type": "equity", "equity": "49100.00"}
    )
    assert world.deliver(world.stream()) == {"batchItemFailures": []}
    assert world.control.resumed == [(world.account.account_id, CHICAGO_CLOSE)]
    assert world.evaluation()["status"] == "active"


def test_the_platform_adapter_publishes_pause_and_resume_requests(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    world = RiskWorld.open(
        dynamodb_local,
        fresh_tables,
        "acc-pause-bus",
        program_id="futures-50k",
        opened_at="2026-03-02T14:00:00+00:00",
    )
    stores = RiskStores(AccountRepository(), CatalogueRepository(), TradingEventRepository(),
                        RiskStateRepository(), BreachRepository())  # fmt: skip
    control = EventBusAccountControl(world.publisher, world.clock)
    service = RiskService(stores, world.publisher, control, world.clock)
    read = TradingEventRepository.from_stream_image

    world.store(
        {"event_id": "q1", "time": "2026-03-02T10:00:00-06:00", "type": "equity", "equity": "48999.00"}
    )
    [record] = world.stream()
    service.on_event_recorded(read(record["dynamodb"]["NewImage"]))
    [pause] = world.publisher.of_type("platform.pause_requested")
    assert isinstance(pause, AccountPauseRequested)
    assert (pause.reason, pause.paused_until) == ("daily_loss", CHICAGO_CLOSE)

    service.advance(world.account, CHICAGO_CLOSE)
    [resume] = world.publisher.of_type("platform.resume_requested")
    assert isinstance(resume, AccountResumeRequested) and resume.paused_until == CHICAGO_CLOSE
    assert world.publisher.of_type("platform.disable_requested") == []
