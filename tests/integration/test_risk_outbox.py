"""How a recalculation commits, on DynamoDB Local: the snapshot is written first (conditionally) with the
effects it commits to; they are performed after the write succeeded, then cleared. A lost race performs
nothing; a crash after the write is healed by the next delivery; the outbox bookkeeping keeps the version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.deadlines import DeadlineRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.errors import VersionConflictError
from propdesk.records import PendingEffect, RiskSnapshot
from propdesk.services.risk import RiskService, RiskStores

from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import RiskWorld
from tests.integration.test_risk_recalc import closed, equity, opened

pytestmark = pytest.mark.integration
read_image = TradingEventRepository.from_stream_image
DAY = "2026-03-0{}T{}:00+01:00"


class CrashError(Exception):
    """The execution environment dies right after the snapshot write."""


class HookedRiskStates(RiskStateRepository):
    """The real repository, with a hook before the next write (a rival wins) or after it (a crash)."""

    def __init__(self) -> None:
        self.before: list[Callable[[], object]] = []
        self.after: list[Callable[[], object]] = []

    def save(self, snapshot: RiskSnapshot, updated_at: datetime) -> int:
        if self.before:
            self.before.pop(0)()
        version = super().save(snapshot, updated_at)
        if self.after:
            self.after.pop(0)()
        return version


def hooked_service(world: RiskWorld, states: HookedRiskStates) -> RiskService:
    stores = RiskStores(AccountRepository(), CatalogueRepository(), TradingEventRepository(), states,
                        BreachRepository(), DeadlineRepository())  # fmt: skip
    return RiskService(stores, world.publisher, world.control, world.clock)


def crash() -> None:
    raise CrashError


def latest(world: RiskWorld, event_id: str) -> dict[str, object]:
    [record] = [r for r in world.stream() if r["dynamodb"]["Keys"]["sk"]["S"].endswith(f"#{event_id}")]
    return record


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str) -> RiskWorld:
    return RiskWorld.open(dynamodb_local, tables, unique_id)


def test_a_lost_race_performs_no_side_effect_from_the_stale_snapshot(world: RiskWorld) -> None:
    """The passing close is being recalculated when a late dip (below the first day's floor) is stored and
    recalculated elsewhere, winning the write: the loser neither announces the pass nor changes the status."""
    for day in (2, 3, 4):
        world.store(opened(f"o{day}", DAY.format(day, "10:00"), f"p{day}"),
                    closed(f"c{day}", DAY.format(day, "11:00"), f"p{day}", "2600.00"))  # fmt: skip
    world.store(opened("o5", DAY.format(5, "10:00"), "p5"))
    assert world.deliver(world.stream()) == {"batchItemFailures": []}
    world.store(closed("c5", DAY.format(5, "11:00"), "p5", "2600.00"))
    passing_close = read_image(latest(world, "c5")["dynamodb"]["NewImage"])  # type: ignore[index]
    states = HookedRiskStates()

    def late_dip_wins() -> None:
        world.store(equity("dip", DAY.format(2, "12:00"), "94000.00"))
        assert world.deliver([latest(world, "dip")]) == {"batchItemFailures": []}

    states.before.append(late_dip_wins)
    report = hooked_service(world, states).on_event_recorded(passing_close)

    assert report.duplicate
    assert world.publisher.of_type("account.passed") == []
    account = AccountRepository().get(world.account.account_id)
    assert account is not None and (account.status, account.status_reason) == ("failed", "daily_loss")
    assert len(world.publisher.of_type("account.breached")) == 1 and len(world.control.disabled) == 1


def test_a_crash_between_the_snapshot_write_and_its_effects_is_healed_by_the_redelivery(
    world: RiskWorld,
) -> None:
    account_id = world.account.account_id
    world.store(equity("dip", DAY.format(2, "10:05"), "94000.00"))
    [record] = world.stream()
    states = HookedRiskStates()
    states.after.append(crash)

    with pytest.raises(CrashError):
        hooked_service(world, states).on_event_recorded(read_image(record["dynamodb"]["NewImage"]))

    written = RiskStateRepository().get(account_id)
    assert written is not None and written.status == "failed"
    assert [e.kind for e in written.pending] == ["evidence", "status", "disable", "publish"]
    assert BreachRepository().list_for_account(account_id).items == []
    account = AccountRepository().get(account_id)
    assert account is not None and account.status == "active"
    assert world.control.disabled == [] and world.publisher.published == []

    assert world.deliver([record]) == {"batchItemFailures": []}  # the stream delivers it again

    settled = RiskStateRepository().get(account_id)
    assert settled is not None and settled.pending == () and settled.version == written.version
    assert [b.event_id for b in BreachRepository().list_for_account(account_id).items] == ["dip"]
    account = AccountRepository().get(account_id)
    assert account is not None and (account.status, account.status_reason) == ("failed", "daily_loss")
    assert world.control.disabled == [(account_id, "daily_loss")]
    assert len(world.publisher.of_type("account.breached")) == 1


def test_the_outbox_bookkeeping_keeps_the_version_and_refuses_a_stale_one(world: RiskWorld) -> None:
    account_id = world.account.account_id
    world.store(equity("calm", DAY.format(2, "10:05"), "99000.00"))
    world.deliver(world.stream())
    written = RiskStateRepository().get(account_id)
    assert written is not None and written.pending == ()
    effect = PendingEffect("deadline:none", "deadline", {"account_id": account_id, "due_at": None})

    RiskStateRepository().set_pending(account_id, written.version, [effect])

    kept = RiskStateRepository().get(account_id)
    assert kept is not None and kept.pending == (effect,) and kept.version == written.version
    with pytest.raises(VersionConflictError):
        RiskStateRepository().set_pending(account_id, written.version - 1, ())
    RiskStateRepository().set_pending(account_id, written.version, ())
    cleared = RiskStateRepository().get(account_id)
    assert cleared is not None and cleared == written
