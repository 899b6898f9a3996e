"""The daily reset on in-memory stores: one account that cannot be advanced never holds the others back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from propdesk.records import Account, ResetRetry, ResetWatermark
from propdesk.services.daily_reset import DailyReset

from tests.doubles.platforms import InMemoryStaleMarks
from tests.doubles.risk_stores import InMemoryAccounts, InMemoryWatermark
from tests.unit.services.risk_world import RiskWorld, closed, equity, opened

MIDNIGHT = datetime.fromisoformat("2026-03-03T00:00:00+01:00")  # Prague: the first boundary after opening
NEXT_MIDNIGHT = datetime.fromisoformat("2026-03-04T00:00:00+01:00")


class Reset:
    """Three accounts in one reset group: `acc-1`, carrying a floating loss into midnight (it fails there),
    `acc-calm`, with no trading, and `acc-broken`, pinned to a program version the catalogue lacks (every
    advance fails)."""

    def __init__(self) -> None:
        self.world = RiskWorld()
        self.world.trade(
            opened("o1", "2026-03-02T10:00:00+01:00", "p1"),
            closed("c1", "2026-03-02T11:00:00+01:00", "p1", "3000.00"),
            opened("o2", "2026-03-02T12:00:00+01:00", "p2"),
            equity("q1", "2026-03-02T13:00:00+01:00", "97500.00"),
        )
        self.world.accounts.open(replace(self.world.account, account_id="acc-calm"))
        self.broken = replace(self.world.account, account_id="acc-broken", program_version=99)
        self.world.accounts.open(self.broken)
        self.watermarks = InMemoryWatermark(ResetWatermark(MIDNIGHT - timedelta(minutes=5), 1))
        self.marks = InMemoryStaleMarks()

    def run_at(self, instant: datetime, accounts: InMemoryAccounts | None = None) -> DailyReset:
        self.world.clock.current = instant
        reset = DailyReset(
            accounts or self.world.accounts,
            self.watermarks,
            self.world.service,
            self.world.clock,
            self.world.deadlines,
            self.marks,
        )
        self.report = reset.run()
        return reset

    def repair(self) -> None:
        """Publish the version `acc-broken` is pinned to."""
        version = self.world.catalogue.versions[(self.broken.program_id, 1)]
        self.world.catalogue.versions[(self.broken.program_id, 99)] = replace(version, version=99)

    @property
    def retry(self) -> tuple[ResetRetry, ...]:
        assert self.watermarks.mark is not None
        return self.watermarks.mark.retry


def test_a_failing_account_neither_stops_the_others_nor_holds_the_watermark() -> None:
    reset = Reset()

    reset.run_at(MIDNIGHT + timedelta(seconds=20))

    report = reset.report
    assert (report.accounts_advanced, report.breaches, report.failed_accounts) == (2, 1, ["acc-broken"])
    assert report.watermark_moved and not report.held_back
    assert reset.watermarks.mark == ResetWatermark(
        MIDNIGHT + timedelta(seconds=20), 2, (ResetRetry("acc-broken", MIDNIGHT),)
    )
    assert reset.world.stored_account.status == "failed"  # acc-1's reset-time breach


def test_the_next_run_advances_the_failed_account_to_the_boundary_it_missed() -> None:
    reset = Reset()
    reset.run_at(MIDNIGHT + timedelta(seconds=20))
    reset.repair()

    reset.run_at(MIDNIGHT + timedelta(minutes=1, seconds=20))

    assert reset.report.boundaries == [] and reset.report.retried == 1
    assert reset.report.failed_accounts == [] and reset.retry == ()
    snapshot = reset.world.risk.get("acc-broken")
    assert snapshot is not None and snapshot.evaluated_until == MIDNIGHT


def test_an_account_failing_for_good_is_retried_every_run_while_the_others_reset_day_after_day() -> None:
    reset = Reset()
    for minute in range(3):
        reset.run_at(MIDNIGHT + timedelta(minutes=minute, seconds=20))
        assert reset.report.watermark_moved and reset.report.failed_accounts == ["acc-broken"]
    assert reset.retry == (ResetRetry("acc-broken", MIDNIGHT, attempts=3),)

    reset.run_at(NEXT_MIDNIGHT + timedelta(seconds=20))

    assert reset.report.boundaries == [("Europe/Prague#00:00", NEXT_MIDNIGHT)]
    assert reset.report.accounts_advanced == 1 and reset.report.retries_pending == 1  # acc-calm
    assert reset.retry == (ResetRetry("acc-broken", NEXT_MIDNIGHT, attempts=4),)


def test_an_account_no_longer_active_leaves_the_retries() -> None:
    reset = Reset()
    reset.run_at(MIDNIGHT + timedelta(seconds=20))
    reset.world.accounts.set_status("acc-broken", "suspended")

    reset.run_at(MIDNIGHT + timedelta(minutes=1, seconds=20))

    assert reset.report.failed_accounts == [] and reset.retry == ()


def test_a_stale_feed_defers_the_reset_instead_of_breaching_on_data_that_is_behind() -> None:
    reset = Reset()
    reset.marks.mark_stale("acc-1", "match-trader", MIDNIGHT - timedelta(hours=2))

    reset.run_at(MIDNIGHT + timedelta(seconds=20))

    report = reset.report
    assert reset.world.stored_account.status == "active"  # not breached on a stale feed
    assert report.deferred_stale == ["acc-1"] and report.failed_accounts == ["acc-broken"]
    assert ResetRetry("acc-1", MIDNIGHT, 0) in reset.retry and report.watermark_moved


def test_once_backfilled_the_deferred_reset_runs_at_its_boundary_with_the_same_verdict() -> None:
    reset = Reset()
    reset.marks.mark_stale("acc-1", "match-trader", MIDNIGHT - timedelta(hours=2))
    reset.run_at(MIDNIGHT + timedelta(seconds=20))
    reset.run_at(MIDNIGHT + timedelta(minutes=1, seconds=20))  # still stale: still waiting
    assert reset.world.stored_account.status == "active"

    reset.marks.mark_fresh("acc-1")  # the gap was backfilled
    reset.run_at(MIDNIGHT + timedelta(minutes=2, seconds=20))

    assert reset.world.stored_account.status == "failed"  # the reset-time breach an on-time run makes
    snapshot = reset.world.risk.get("acc-1")
    assert snapshot is not None and snapshot.evaluated_until == MIDNIGHT
    assert all(retry.account_id != "acc-1" for retry in reset.retry)


def test_a_stale_feed_leaves_its_due_deadline_due() -> None:
    reset = Reset()
    evening = MIDNIGHT - timedelta(hours=1)
    reset.watermarks = InMemoryWatermark(ResetWatermark(evening, 1))
    reset.world.deadlines.set("acc-calm", evening)
    reset.marks.mark_stale("acc-calm", "match-trader", evening - timedelta(hours=1))

    reset.run_at(evening + timedelta(minutes=1))

    assert reset.report.deadlines_advanced == 0 and reset.report.deferred_stale == ["acc-calm"]
    assert [due.account_id for due in reset.world.deadlines.due_by(evening)] == ["acc-calm"]


class UnreadableGroup(InMemoryAccounts):
    def active_in_reset_group(self, timezone: str, day_starts_at: str) -> Iterator[Account]:
        raise ConnectionError("the index cannot be read")


def test_when_a_boundary_s_accounts_cannot_be_read_the_watermark_stays_for_everyone() -> None:
    reset = Reset()
    before = reset.watermarks.mark
    unreadable = UnreadableGroup(reset.world.accounts.accounts, opened=reset.world.accounts.opened)

    reset.run_at(MIDNIGHT + timedelta(seconds=20), accounts=unreadable)

    assert reset.report.held_back and not reset.report.watermark_moved
    assert reset.watermarks.mark == before


def test_a_deadline_that_fails_does_not_stop_the_sweep() -> None:
    reset = Reset()
    evening = MIDNIGHT - timedelta(hours=1)
    reset.watermarks = InMemoryWatermark(ResetWatermark(evening, 1))
    reset.world.deadlines.set("acc-broken", evening)
    reset.world.deadlines.set("acc-calm", evening)
    world = reset.world
    world.clock.current = evening + timedelta(minutes=1)

    report = DailyReset(world.accounts, reset.watermarks, world.service, world.clock, world.deadlines).run()

    assert report.failed_deadlines == ["acc-broken"] and report.deadlines_advanced == 1
    assert report.watermark_moved
