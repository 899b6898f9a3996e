"""The daily drift check: an account whose access at the platform is not the one we want gets its command
again; one that cannot be checked is reported to the firm, not guessed at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from propdesk.platforms.commands import CommandPendingError
from propdesk.platforms.port import TradingAccess

from tests.unit.platforms.enforcement_world import T0, World, disable, pause

BOUNDARY = T0 + timedelta(hours=14)


def set_at_platform(world: World, account: object, access: TradingAccess) -> None:
    """Someone changed the account in the platform's back office, behind our back."""
    platform = account.platform  # type: ignore[attr-defined]
    book = world.market.account(platform.platform_account_id)
    assert book is not None
    book.access = access.value


def test_accounts_in_step_are_left_alone() -> None:
    world = World()
    active, failed = world.open_account(), world.open_account()
    world.service.handle(disable(failed, T0))
    world.set_status(failed, "failed")
    world.publisher.published.clear()

    report = world.drift_check().run()

    assert (report.checked, report.in_step, report.corrected) == (2, 2, [])
    assert world.publisher.published == []
    assert world.access(active) is TradingAccess.ENABLED


def test_a_failed_account_found_trading_again_is_disabled_again_and_audited() -> None:
    world = World()
    account = world.open_account()
    world.service.handle(disable(account, T0))
    account = world.set_status(account, "failed")
    set_at_platform(world, account, TradingAccess.ENABLED)
    world.clock.advance(timedelta(days=1))

    report = world.drift_check().run()
    outcomes = world.deliver_published_commands()

    assert report.corrected == [account.account_id]
    assert outcomes == ["applied"]
    assert world.access(account) is TradingAccess.DISABLED
    last = world.audit.about(account.account_id)[-1]
    assert last.action == "platform.disable" and "drift" in (last.reason or "")


def test_an_active_account_disabled_by_hand_is_enabled_again() -> None:
    world = World()
    account = world.open_account()
    set_at_platform(world, account, TradingAccess.DISABLED)

    world.drift_check().run()
    world.deliver_published_commands()

    assert world.access(account) is TradingAccess.ENABLED


def test_a_pause_still_running_stays_and_one_whose_resume_never_came_is_lifted() -> None:
    world = World()
    paused, overdue = world.open_account(), world.open_account()
    world.service.handle(pause(paused, T0, BOUNDARY + timedelta(days=1)))
    world.service.handle(pause(overdue, T0, BOUNDARY))
    world.clock.advance(timedelta(hours=20))  # past the overdue one's boundary: its resume was lost

    report = world.drift_check().run()
    world.deliver_published_commands()

    assert report.corrected == [overdue.account_id]
    assert world.access(paused) is TradingAccess.READ_ONLY
    assert world.access(overdue) is TradingAccess.ENABLED


def test_a_paused_account_set_enabled_by_hand_is_paused_again_until_its_boundary() -> None:
    world = World()
    account = world.open_account()
    world.service.handle(pause(account, T0, BOUNDARY))
    set_at_platform(world, account, TradingAccess.ENABLED)

    world.drift_check().run()
    world.deliver_published_commands()

    assert world.access(account) is TradingAccess.READ_ONLY
    assert world.state(account).paused_until == BOUNDARY


def test_an_account_with_a_command_pending_is_left_to_it() -> None:
    world = World()
    account = world.open_account()
    world.platform.down = True
    with pytest.raises(CommandPendingError):  # the queue delivers it again later
        world.service.handle(disable(account, T0))
    world.platform.down = False
    world.set_status(account, "failed")

    report = world.drift_check().run()

    assert (report.pending, report.corrected) == (1, [])


def test_accounts_that_cannot_be_checked_are_reported_in_one_alert_per_cause() -> None:
    world = World()
    placed = [world.open_account() for _ in range(3)]
    unplaced = world.open_account(placed=False)
    world.platform.down = True

    report = world.drift_check().run()

    assert sorted(report.unchecked) == ["match-trader: PlatformUnavailableError", "no platform reference"]
    alerts = [event.model_dump() for event in world.publisher.of_type("firm.alert")]
    assert len(alerts) == 2
    down = next(a for a in alerts if "Unavailable" in a["message"])
    assert all(a.account_id in down["message"] for a in placed)
    assert any(unplaced.account_id in a["message"] for a in alerts)
    assert not [e for e in world.publisher.published if e.detail_type.startswith("platform.")]


def test_passed_and_suspended_accounts_are_not_checked() -> None:
    world = World()
    passed, suspended = world.open_account(status="passed"), world.open_account(status="suspended")
    world.service.handle(disable(suspended, T0))
    set_at_platform(world, passed, TradingAccess.DISABLED)

    report = world.drift_check().run()

    assert report.checked == 0 and world.publisher.of_type("platform.enable_requested") == []


def test_a_second_run_the_same_day_re_issues_the_same_command() -> None:
    world = World()
    account = world.open_account()
    set_at_platform(world, account, TradingAccess.DISABLED)

    world.drift_check().run()
    world.drift_check().run()

    first, second = world.publisher.of_type("platform.enable_requested")
    assert first.event_id == second.event_id  # the consumer applies it once
