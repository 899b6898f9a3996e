"""Platform commands: a failed account is liquidated and disabled, a pause is read-only until its boundary, a
resume or a reinstatement lets it trade again; in the order asked, once, never lost, every one audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.platforms.commands import AccountBusyError, CommandPendingError
from propdesk.platforms.enforcement import PendingCommand, PlatformAccessState
from propdesk.platforms.port import TradingAccess

from tests.unit.platforms.enforcement_world import T0, World, disable, enable, pause, resume

BOUNDARY = T0 + timedelta(hours=14)  # the next day boundary of the pause


# ---- fail: liquidate, then disable


def test_a_fail_closes_the_open_positions_then_disables_trading() -> None:
    world = World()
    account = world.open_account()
    world.open_position(account, "EURUSD", "1")
    world.open_position(account, "XAUUSD", "2")

    result = world.service.handle(disable(account, T0))

    assert (result.outcome, result.access, result.closed_positions) == ("applied", TradingAccess.DISABLED, 2)
    assert world.positions(account) == 0
    assert world.access(account) is TradingAccess.DISABLED
    # read-only first, so the trader opens nothing while the positions are being closed
    assert world.platform.access_log == [TradingAccess.READ_ONLY, TradingAccess.DISABLED]


def test_the_audit_keeps_when_it_was_asked_and_confirmed_and_the_closing_deals_with_their_slippage() -> None:
    world = World()
    account = world.open_account()
    world.open_position(account, "EURUSD", "1")  # bought at 1.10000
    world.market.set_price("EURUSD", Decimal("1.09000"))  # valued at -1,000.00 when the disable is handled
    world.platform.slip = {"EURUSD": Decimal("1.08950")}  # filled 5 pips lower: -1,050.00
    world.clock.advance(timedelta(seconds=2))

    world.service.handle(disable(account, T0, rule="daily_loss"))

    (entry,) = world.audit.about(account.account_id)
    assert (entry.action, entry.actor, entry.reason) == ("platform.disable", "system:platform_commands",
                                                         "daily_loss")  # fmt: skip
    after = entry.after or {}
    assert after["outcome"] == "applied" and after["access"] == "disabled"
    assert after["asked_at"] == T0.isoformat()
    assert after["received_at"] == (T0 + timedelta(seconds=2)).isoformat()
    assert after["confirmed_at"] == (T0 + timedelta(seconds=2)).isoformat()
    (deal,) = after["liquidation"]["closing_deals"]
    assert (deal["symbol"], deal["expected_profit"], deal["profit"]) == ("EURUSD", "-1000.00", "-1050.00")
    assert deal["slippage"] == "-50.00"
    assert after["liquidation"]["slippage"] == "-50.00"
    assert entry.before == {"access": None, "confirmed_at": None}


def test_a_program_may_keep_a_failed_accounts_positions_open() -> None:
    world = World()
    world.programs.documents[("two-step-100k-phase-1", 1)] = {"enforcement": {"liquidate_on_fail": False}}
    account = world.open_account()
    world.open_position(account)

    world.service.handle(disable(account, T0))

    assert world.positions(account) == 1
    assert world.access(account) is TradingAccess.DISABLED
    assert world.platform.access_log == [TradingAccess.DISABLED]
    assert "liquidation" not in (world.audit.about(account.account_id)[0].after or {})


# ---- pause and resume, reinstatement


def test_a_pause_makes_the_account_read_only_until_its_boundary_and_the_resume_lifts_it() -> None:
    world = World()
    account = world.open_account()

    world.service.handle(pause(account, T0, BOUNDARY))
    paused = world.state(account)
    world.service.handle(resume(account, BOUNDARY, BOUNDARY))

    assert (paused.desired, paused.paused_until) == (TradingAccess.READ_ONLY, BOUNDARY)
    assert world.access(account) is TradingAccess.ENABLED
    assert world.state(account).confirmed is TradingAccess.ENABLED
    assert world.state(account).paused_until is None


def test_a_reinstated_account_is_enabled_again_but_a_failed_one_is_never_enabled() -> None:
    world = World()
    account = world.open_account()
    world.service.handle(disable(account, T0))
    world.set_status(account, "failed")

    refused = world.service.handle(enable(account, T0 + timedelta(minutes=1)))
    world.set_status(account, "active")  # staff overrode the breach and reinstated the account
    reinstated = world.service.handle(enable(account, T0 + timedelta(minutes=2)))

    assert refused.outcome == "refused"
    assert reinstated.outcome == "applied"
    assert world.access(account) is TradingAccess.ENABLED
    assert [e.after["outcome"] for e in world.audit.about(account.account_id) if e.after] == [
        "applied", "refused", "applied",
    ]  # fmt: skip


# ---- order, duplicates, stale commands


def test_a_redelivered_command_does_nothing_twice() -> None:
    world = World()
    account = world.open_account()
    world.open_position(account)
    command = disable(account, T0)

    first = world.service.handle(command)
    calls = world.platform.calls
    again = [world.service.handle(command) for _ in range(3)]

    assert first.outcome == "applied"
    assert {result.outcome for result in again} == {"duplicate"}
    assert world.platform.calls == calls
    assert len(world.audit.about(account.account_id)) == 1


def test_a_stale_resume_delivered_after_a_later_disable_does_not_enable_the_account() -> None:
    world = World()
    account = world.open_account()
    world.service.handle(pause(account, T0, BOUNDARY))
    stale = resume(account, BOUNDARY, BOUNDARY)
    failed = disable(account, BOUNDARY + timedelta(minutes=5))

    world.service.handle(failed)  # delivered first, asked later
    world.set_status(account, "failed")
    result = world.service.handle(stale)

    assert result.outcome == "superseded"
    assert world.access(account) is TradingAccess.DISABLED
    entry = world.audit.about(account.account_id)[1]
    assert entry.action == "platform.resume" and "before the disable" in (entry.after or {})["why"]


def test_a_resume_of_an_earlier_pause_delivered_late_leaves_todays_pause_in_force() -> None:
    world = World()
    account = world.open_account()
    yesterday = BOUNDARY - timedelta(days=1)
    # at the boundary the risk service lifts yesterday's pause and, breached again, pauses until tomorrow
    lift, again = resume(account, yesterday, yesterday), pause(account, yesterday, BOUNDARY)

    world.service.handle(again)
    result = world.service.handle(lift)

    assert result.outcome == "superseded"
    assert world.access(account) is TradingAccess.READ_ONLY


def test_at_the_same_instant_the_stricter_access_wins_whatever_the_delivery_order() -> None:
    world = World()
    account = world.open_account()
    lift, again = resume(account, T0, T0), pause(account, T0, BOUNDARY)

    world.service.handle(lift)
    world.service.handle(again)
    first = world.access(account)
    other = World()
    twin = other.open_account()
    other.service.handle(pause(twin, T0, BOUNDARY))
    other.service.handle(resume(twin, T0, T0))

    assert first is other.access(twin) is TradingAccess.READ_ONLY


KINDS = st.sampled_from(["disable", "enable", "pause"])


@settings(max_examples=60, deadline=None)
@given(
    kinds=st.lists(KINDS, min_size=1, max_size=6),
    order=st.randoms(use_true_random=False),
    repeats=st.lists(st.integers(min_value=0, max_value=5), max_size=4),
)
def test_any_delivery_order_with_duplicates_ends_at_the_last_command_asked(
    kinds: list[str], order: object, repeats: list[int]
) -> None:
    world = World()
    account = world.open_account()
    makers = {
        "disable": lambda at: disable(account, at),
        "enable": lambda at: enable(account, at),
        "pause": lambda at: pause(account, at, at + timedelta(hours=1)),
    }
    commands = [makers[kind](T0 + timedelta(minutes=n)) for n, kind in enumerate(kinds)]
    deliveries = commands + [commands[i % len(commands)] for i in repeats]
    order.shuffle(deliveries)  # type: ignore[attr-defined]

    for command in deliveries:
        world.service.handle(command)

    assert world.access(account) is commands[-1].target
    assert world.state(account).confirmed is commands[-1].target
    assert len(world.audit.about(account.account_id)) == len(commands)


# ---- never lost: outages, an open circuit, a busy account


def test_while_the_platform_is_down_the_command_stays_pending_and_alerts_from_the_third_attempt() -> None:
    world = World()
    account = world.open_account()
    world.platform.down = True

    for attempt in range(1, 4):
        world.clock.advance(timedelta(seconds=30))
        with pytest.raises(CommandPendingError):
            world.service.handle(disable(account, T0))
        (pending,) = world.state(account).pending
        assert pending.attempts == attempt and "down" in pending.last_error
    world.platform.down = False
    world.clock.advance(timedelta(seconds=30))
    result = world.service.handle(disable(account, T0))

    assert result.outcome == "applied"
    assert world.state(account).pending == ()
    assert world.state(account).lease_holder == ""
    (alert,) = world.alerts()
    assert alert["severity"] == "critical" and "attempt 3" in alert["message"]
    assert (world.audit.about(account.account_id)[0].after or {})["attempts"] == 4


def test_with_the_circuit_open_a_command_is_retried_later_without_calling_the_platform() -> None:
    world = World().with_breaker(failures=3, reset_seconds=30)
    account = world.open_account()
    world.platform.down = True
    for _ in range(3):
        with pytest.raises(CommandPendingError):
            world.service.handle(disable(account, T0))
    calls = world.platform.calls

    with pytest.raises(CommandPendingError, match="failing"):
        world.service.handle(disable(account, T0))
    assert world.platform.calls == calls  # fast failure: the platform was not called

    world.platform.down = False
    world.time.sleep(31)  # the circuit half-opens: one trial call goes through
    assert world.service.handle(disable(account, T0)).outcome == "applied"
    assert world.access(account) is TradingAccess.DISABLED


def test_a_command_for_an_account_another_worker_holds_waits_visibly_and_is_applied_after() -> None:
    world = World()
    account = world.open_account()
    world.states.save(
        PlatformAccessState(
            account.account_id, lease_holder="another-command", lease_until=T0 + timedelta(minutes=2)
        )
    )

    with pytest.raises(AccountBusyError):
        world.service.handle(disable(account, T0))
    waiting = world.state(account).pending
    world.clock.advance(timedelta(minutes=3))  # the other worker's lease ran out (it died)
    result = world.service.handle(disable(account, T0))

    assert [(p.kind, p.attempts) for p in waiting] == [("disable", 0)]
    assert isinstance(waiting[0], PendingCommand)
    assert result.outcome == "applied"


def test_a_lost_optimistic_race_is_tried_again() -> None:
    world = World()
    account = world.open_account()
    world.states.conflict_next = 2

    assert world.service.handle(disable(account, T0)).outcome == "applied"


def test_an_account_without_a_platform_reference_is_audited_and_alerted_not_retried() -> None:
    world = World()
    account = world.open_account(placed=False)

    result = world.service.handle(disable(account, T0))

    assert result.outcome == "no_platform_account"
    (alert,) = world.alerts()
    assert alert["severity"] == "warning" and account.account_id in alert["message"]
    assert (world.audit.about(account.account_id)[0].after or {})["outcome"] == "no_platform_account"
