"""How a recalculation commits (the outbox): the snapshot is written first with the effects it commits to,
then they are performed and cleared. A lost race performs nothing; a crash after the write is healed by the
next step; every effect happens once per stable id; `account.passed` / `account.breached` wait for their
status change."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import partial

import pytest

from tests.unit.services.risk_world import RiskWorld, closed, equity, opened

DAY = "2026-03-0{}T{}:00+01:00"


class CrashError(Exception):
    """The execution environment dies (a timeout, an out-of-memory kill) right after the snapshot write."""


def crash() -> None:
    raise CrashError


def three_good_days_and_an_open_fourth(world: RiskWorld) -> None:
    """+2,600 closed on each of three days, a position open on the fourth: its close passes the account."""
    for day in (2, 3, 4):
        world.trade(opened(f"o{day}", DAY.format(day, "10:00"), f"p{day}"))
        world.trade(closed(f"c{day}", DAY.format(day, "11:00"), f"p{day}", "2600.00"))
    world.trade(opened("o5", DAY.format(5, "10:00"), "p5"))


def breach_stored(world: RiskWorld) -> None:
    world.store(equity("dip", DAY.format(2, "10:05"), "94000.00"))


def ids(world: RiskWorld) -> Counter[str]:
    return Counter(event.event_id for event in world.publisher.published)


def test_a_lost_race_performs_no_side_effect_from_the_stale_snapshot() -> None:
    """The passing close is being recalculated when a late dip (day one of trading, below the daily floor)
    is stored and recalculated by another environment, which wins the write: the account failed back then,
    so it never passed. The loser announces nothing and changes no status."""
    world = RiskWorld()
    three_good_days_and_an_open_fourth(world)
    [passing_close] = world.store(closed("c5", DAY.format(5, "11:00"), "p5", "2600.00"))

    def late_dip_wins() -> None:
        [dip] = world.store(equity("dip", DAY.format(2, "12:00"), "94000.00"))
        world.new_service().on_event_recorded(dip)

    world.risk.before_save.append(late_dip_wins)
    [report] = world.deliver(passing_close)

    assert report.duplicate  # after the lost race, the winner had applied the close already
    assert world.published("account.passed") == []
    assert (world.stored_account.status, world.stored_account.status_reason) == ("failed", "daily_loss")
    assert len(world.published("account.breached")) == 1 and len(world.control.disabled) == 1
    assert world.evaluation["status"] == "failed"


@pytest.mark.parametrize("next_step", ["the record again", "the next event", "the daily reset"])
def test_a_crash_between_the_snapshot_write_and_its_effects_is_healed_by_the_next_step(
    next_step: str,
) -> None:
    world = RiskWorld()
    [dip] = world.store(equity("dip", DAY.format(2, "10:05"), "94000.00"))
    world.risk.after_save.append(crash)

    with pytest.raises(CrashError):
        world.deliver(dip)

    assert world.snapshot.status == "failed" and world.snapshot.pending  # written, with what it owes
    assert world.breaches.of(world.account_id) == [] and world.stored_account.status == "active"
    assert world.control.disabled == [] and world.publisher.published == []

    if next_step == "the record again":
        world.deliver(dip)
    elif next_step == "the next event":
        world.trade(equity("later", DAY.format(2, "10:10"), "93000.00"))
    else:
        world.service.advance(world.stored_account, datetime.fromisoformat(DAY.format(3, "00:00")))

    assert world.snapshot.pending == ()
    assert [b.event_id for b in world.breaches.of(world.account_id)] == ["dip"]
    assert (world.stored_account.status, world.stored_account.status_reason) == ("failed", "daily_loss")
    assert world.control.disabled == [(world.account_id, "daily_loss")]
    assert len(world.published("account.breached")) == 1


def test_a_crash_in_the_middle_of_the_effects_performs_the_rest_once() -> None:
    """The status change took, the platform call failed: the retry does not announce the breach twice, and
    announces it since the status change (made before the crash) is the one it waited for."""
    world = RiskWorld()
    [dip] = world.store(equity("dip", DAY.format(2, "10:05"), "94000.00"))
    failing_disable = world.control.disable

    def platform_down(*args: object) -> None:
        raise ConnectionError("platform bridge unreachable")

    world.control.disable = platform_down  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        world.deliver(dip)
    assert world.stored_account.status == "failed" and world.publisher.published == []
    assert [effect.kind for effect in world.snapshot.pending] == ["disable", "publish"]

    world.control.disable = failing_disable  # type: ignore[method-assign]
    world.deliver(dip)

    assert world.control.disabled == [(world.account_id, "daily_loss")]
    assert len(world.published("account.breached")) == 1 and world.snapshot.pending == ()


def test_a_breach_is_announced_only_once_the_account_is_failed_by_it() -> None:
    """The account was suspended (a payment dispute) when the breach came: the status change cannot take, the
    evidence is kept and the platform disabled, but `account.breached` is not announced for a status the
    account does not have."""
    world = RiskWorld()
    world.accounts.set_status(world.account_id, "suspended", "dispute")

    world.trade(equity("dip", DAY.format(2, "10:05"), "94000.00"))

    assert world.stored_account.status == "suspended"
    assert [b.event_id for b in world.breaches.of(world.account_id)] == ["dip"]
    assert world.control.disabled == [(world.account_id, "daily_loss")]
    assert world.published("account.breached") == []


def test_effects_happen_once_per_stable_id_through_redeliveries_races_and_crashes() -> None:
    world = RiskWorld()
    rival = world.new_service()
    [o1] = world.store(opened("o1", DAY.format(2, "10:00"), "p1"))
    world.risk.after_save.append(crash)
    with pytest.raises(CrashError):
        world.deliver(o1)
    [near] = world.store(equity("near", DAY.format(2, "10:05"), "95900.00"))  # a warning
    world.risk.before_save.append(partial(rival.on_event_recorded, near))  # the rival wins with it
    world.deliver(near)
    [dip] = world.store(equity("dip", DAY.format(2, "10:10"), "94000.00"))  # the breach
    world.risk.after_save.append(crash)
    with pytest.raises(CrashError):
        world.deliver(dip)

    world.deliver(o1, near, dip, dip)
    rival.advance(world.stored_account, datetime.fromisoformat(DAY.format(3, "00:00")))

    assert set(ids(world).values()) == {1}
    kinds = Counter(event.detail_type for event in world.publisher.published)
    assert kinds == {"account.warning": 1, "account.breached": 1}
    assert len(world.control.disabled) == 1 and len(world.breaches.of(world.account_id)) == 1
    assert world.accounts.status_changes == [(world.account_id, "failed", "daily_loss")]
    assert world.risk.conflicts >= 1 and world.snapshot.pending == ()


def test_a_step_with_nothing_to_do_outside_writes_the_snapshot_once() -> None:
    world = RiskWorld()
    world.trade(equity("calm", DAY.format(2, "10:05"), "99000.00"))
    assert world.risk.saves == 1 and world.snapshot.pending == ()


def test_the_deadline_copy_is_written_after_the_snapshot() -> None:
    rules = [{"type": "time_limit", "days": 10}]
    world = RiskWorld(rules=rules)
    world.risk.after_save.append(crash)
    [calm] = world.store(equity("calm", DAY.format(2, "10:05"), "99000.00"))

    with pytest.raises(CrashError):
        world.deliver(calm)
    assert world.deadlines.due == {}

    world.deliver(calm)
    assert world.deadlines.due == {world.account_id: world.account.opened_at + timedelta(days=10)}
