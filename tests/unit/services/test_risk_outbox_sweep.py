"""The outbox sweep: a step whose effects failed (its stream record's retries ran out) has them performed by
the sweep once they are older than the grace, exactly once, through the same code as the next step; a step
that wrote meanwhile wins; what keeps failing stays pending and becomes overdue."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from propdesk.errors import VersionConflictError
from propdesk.services.risk_outbox_sweep import GRACE, OVERDUE_AFTER, OutboxSweep

from tests.unit.services.risk_world import RiskWorld, equity

DIP = equity("dip", "2026-03-02T10:05:00+01:00", "94000.00")  # below the daily floor: fails the account


def platform_down(*args: object) -> None:
    raise ConnectionError("platform bridge unreachable")


def breach_whose_effects_failed(world: RiskWorld) -> None:
    """The dip is recalculated, the platform call fails (and the publish after it is not reached), and its
    stream record is not delivered again (the retries ran out: the on-failure queue)."""
    world.control.disable = platform_down  # type: ignore[method-assign]
    [dip] = world.store(DIP)
    with pytest.raises(ConnectionError):
        world.deliver(dip)
    del world.control.disable  # the platform is back (the instance attribute hid the method)


def sweep_of(world: RiskWorld, limit: int = 200) -> OutboxSweep:
    return OutboxSweep(world.risk, world.new_service(), world.clock, limit=limit)


def test_the_sweep_performs_the_effects_a_failed_step_left_once_the_grace_has_passed() -> None:
    world = RiskWorld()
    breach_whose_effects_failed(world)
    assert [effect.kind for effect in world.snapshot.pending] == ["disable", "publish"]
    assert world.stored_account.status == "failed" and world.control.disabled == []

    early = sweep_of(world).run()
    assert (early.found, early.waiting, early.settled) == (1, 1, ())  # its own step may still be at it
    assert world.control.disabled == []

    world.clock.advance(GRACE)
    report = sweep_of(world).run()

    assert report.settled == (world.account_id,) and report.failed == () and report.overdue == ()
    assert report.oldest == GRACE
    assert world.control.disabled == [(world.account_id, "daily_loss")]
    assert len(world.published("account.breached")) == 1
    assert world.snapshot.pending == () and list(world.risk.pending_outboxes()) == []


def test_effects_the_sweep_performed_are_not_performed_again_by_a_redelivery_or_another_sweep() -> None:
    world = RiskWorld()
    breach_whose_effects_failed(world)
    world.clock.advance(GRACE)
    sweep_of(world).run()

    again = sweep_of(world).run()
    [dip] = world.events.inserted
    world.deliver(dip)  # the record redriven from the on-failure queue

    assert again.found == 0
    assert world.control.disabled == [(world.account_id, "daily_loss")]
    assert Counter(event.event_id for event in world.publisher.published).most_common(1)[0][1] == 1
    assert world.accounts.status_changes == [(world.account_id, "failed", "daily_loss")]


def test_a_step_that_wrote_meanwhile_performed_them_and_the_sweeps_clear_is_a_no_op() -> None:
    """The sweep read the snapshot; before it performed anything, the account's next event was recalculated:
    that step performed the old effects first and wrote a new version. The sweep performs them again (each
    lands idempotently: the same event ids, the status already changed) and its conditional clear fails: it
    counts the account as done by that step."""
    world = RiskWorld()
    breach_whose_effects_failed(world)
    world.clock.advance(GRACE)
    sweeper = world.new_service()

    class ReadBeforeTheStep:
        def settle_pending(self, account_id: str) -> bool:
            stale = world.risk.get(account_id)
            world.trade(equity("later", "2026-03-02T10:10:00+01:00", "93000.00"))
            world.risk.get = lambda _: stale  # type: ignore[method-assign]  # what the sweep had read
            return sweeper.settle_pending(account_id)

    report = OutboxSweep(world.risk, ReadBeforeTheStep(), world.clock).run()
    del world.risk.get

    assert (report.already_done, report.settled, report.failed) == (1, (), ())
    assert set(world.control.disabled) == {(world.account_id, "daily_loss")}
    assert {event.event_id for event in world.published("account.breached")} == {
        world.published("account.breached")[0].event_id
    }
    assert world.accounts.status_changes == [(world.account_id, "failed", "daily_loss")]
    assert world.snapshot.pending == () and world.snapshot.version == 2


def test_a_version_conflict_while_clearing_counts_as_done_by_the_step_that_wrote() -> None:
    world = RiskWorld()
    breach_whose_effects_failed(world)
    world.clock.advance(GRACE)

    class LosesTheClear:
        def settle_pending(self, account_id: str) -> bool:
            raise VersionConflictError("risk state changed meanwhile")

    report = OutboxSweep(world.risk, LosesTheClear(), world.clock).run()

    assert (report.already_done, report.settled, report.failed) == (1, (), ())


def test_effects_that_fail_again_stay_pending_and_become_overdue() -> None:
    world = RiskWorld()
    breach_whose_effects_failed(world)
    world.control.disable = platform_down  # type: ignore[method-assign]  # still down
    world.clock.advance(GRACE)

    first = sweep_of(world).run()
    world.clock.advance(OVERDUE_AFTER - GRACE)
    later = sweep_of(world).run()

    assert first.failed == (world.account_id,) and first.overdue == ()
    assert later.failed == (world.account_id,) and later.overdue == (world.account_id,)
    assert later.oldest == OVERDUE_AFTER
    assert [effect.kind for effect in world.snapshot.pending] == ["disable", "publish"]
    assert world.published("account.breached") == []  # it waits behind the disable, in order

    del world.control.disable
    world.clock.advance(timedelta(minutes=1))
    healed = sweep_of(world).run()
    assert healed.settled == (world.account_id,) and world.snapshot.pending == ()
    assert len(world.published("account.breached")) == 1


def test_the_oldest_go_first_and_a_runs_limit_leaves_the_rest_to_the_next_run() -> None:
    first = RiskWorld(account_id="acc-1")
    breach_whose_effects_failed(first)
    first.clock.advance(timedelta(minutes=1))
    second = RiskWorld(
        account_id="acc-2",
        accounts=first.accounts,
        catalogue=first.catalogue,
        events=first.events,
        risk=first.risk,
        breaches=first.breaches,
        deadlines=first.deadlines,
        publisher=first.publisher,
        control=first.control,
    )
    second.clock = first.clock
    second.service = second.new_service()
    breach_whose_effects_failed(second)
    first.clock.advance(GRACE)

    limited = OutboxSweep(first.risk, first.new_service(), first.clock, limit=1).run()
    assert limited.settled == ("acc-1",) and limited.left == 1
    rest = OutboxSweep(first.risk, first.new_service(), first.clock).run()
    assert rest.settled == ("acc-2",) and rest.left == 0
    assert first.control.disabled == [("acc-1", "daily_loss"), ("acc-2", "daily_loss")]


def test_a_sweep_with_nothing_pending_does_nothing() -> None:
    world = RiskWorld()
    world.trade(equity("calm", "2026-03-02T10:05:00+01:00", "99000.00"))
    report = sweep_of(world).run()
    assert (report.found, report.settled, report.oldest) == (0, (), None)
