"""The risk outbox sweep on DynamoDB Local: a step whose effects fail (its stream record then goes to the
on-failure queue) leaves its snapshot in the sparse outbox index; the sweep finds it there (a Query, no scan)
and performs the effects exactly once, through the same code as the next step; the snapshot leaves the index
with its last effect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.records import PendingEffect, PendingOutbox
from propdesk.services.risk_outbox_sweep import GRACE, OutboxSweep

from functions.risk_outbox_sweep import handler as risk_outbox_sweep
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.risk_world import CONTEXT, RiskWorld
from tests.integration.test_risk_recalc import equity

pytestmark = pytest.mark.integration
DAY = "2026-03-0{}T{}:00+01:00"


class ThisAccountsOutbox:
    """The real index, seen through this test's account only (the session's tests share the table)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def pending_outboxes(self) -> Iterator[PendingOutbox]:
        return (e for e in RiskStateRepository().pending_outboxes() if e.account_id == self.account_id)


def listed(account_id: str) -> list[PendingOutbox]:
    return list(ThisAccountsOutbox(account_id).pending_outboxes())


def platform_down(*args: object) -> None:
    raise ConnectionError("platform bridge unreachable")


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str) -> RiskWorld:
    return RiskWorld.open(dynamodb_local, tables, unique_id)


def sweep(world: RiskWorld) -> dict[str, object]:
    """One scheduled run of the function, on this account's part of the index."""
    service = OutboxSweep(ThisAccountsOutbox(world.account.account_id), world.service(), world.clock)
    return risk_outbox_sweep.process({}, CONTEXT, service)


def test_effects_a_failed_step_left_are_performed_by_the_sweep_exactly_once(world: RiskWorld) -> None:
    account_id = world.account.account_id
    world.store(equity("dip", DAY.format(2, "10:05"), "94000.00"))  # below the daily floor: failed
    [record] = world.stream()
    world.control.disable = platform_down  # type: ignore[method-assign]

    answer = world.deliver([record])  # its retries run out: the record goes to the on-failure queue

    assert answer == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    written = RiskStateRepository().get(account_id)
    assert written is not None and [e.kind for e in written.pending] == ["disable", "publish"]
    account = AccountRepository().get(account_id)
    assert account is not None and account.status == "failed"  # failed here, still trading there
    assert eventually(lambda: listed(account_id)) == [PendingOutbox(account_id, world.clock.now())]

    del world.control.disable  # the platform is back
    assert sweep(world)["waiting"] == 1 and world.control.disabled == []  # within the grace: its step's
    world.clock.advance(GRACE)
    summary = sweep(world)

    assert summary["settled"] == [account_id] and summary["failed"] == []
    assert world.control.disabled == [(account_id, "daily_loss")]
    assert [e.account_id for e in world.publisher.of_type("account.breached")] == [account_id]
    settled = RiskStateRepository().get(account_id)
    assert settled is not None and settled.pending == () and settled.version == written.version
    assert eventually(lambda: listed(account_id) == [])

    assert sweep(world)["found"] == 0  # the next run finds nothing
    assert world.deliver([record]) == {"batchItemFailures": []}  # the record redriven: a duplicate
    assert world.control.disabled == [(account_id, "daily_loss")]
    assert set(Counter(e.event_id for e in world.publisher.published).values()) == {1}
    assert [b.event_id for b in BreachRepository().list_for_account(account_id).items] == ["dip"]


def test_the_snapshot_is_in_the_outbox_index_exactly_while_effects_are_pending(world: RiskWorld) -> None:
    account_id = world.account.account_id
    world.store(equity("calm", DAY.format(2, "10:05"), "99000.00"))
    world.deliver(world.stream())
    written = RiskStateRepository().get(account_id)
    assert written is not None and written.pending == () and listed(account_id) == []
    effect = PendingEffect("deadline:none", "deadline", {"account_id": account_id, "due_at": None})
    risk = RiskStateRepository()

    risk.set_pending(account_id, written.version, [effect])  # e.g. a concurrent settle kept what remained
    assert eventually(lambda: [e.account_id for e in listed(account_id)]) == [account_id]
    risk.set_pending(account_id, written.version, ())
    assert eventually(lambda: listed(account_id) == [])
    assert RiskStateRepository().get(account_id) == written
