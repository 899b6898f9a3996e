"""daily_loss: every basis, every amount kind, fail and pause, and the reset-time breach."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propdesk.engine import Evaluator

from tests.unit.engine.engine_helpers import (
    breached_rules,
    closed,
    daily_loss,
    end,
    equity,
    opened,
    program,
    run,
)

D1 = "2026-03-02T{}:00+01:00"  # Monday in Prague (CET)
D2 = "2026-03-03T{}:00+01:00"


def test_equity_exactly_at_the_floor_is_not_a_breach() -> None:
    result = run(
        program(daily_loss()), [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "95000.00")]
    )
    assert result.status == "active" and result.breaches == ()


def test_equity_one_cent_below_the_floor_is_a_breach() -> None:
    result = run(
        program(daily_loss()), [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "94999.99")]
    )
    assert result.status == "failed"
    (breach,) = result.breaches
    assert (breach.rule, breach.limit, breach.value) == (
        "daily_loss",
        Decimal("95000.00"),
        Decimal("94999.99"),
    )
    assert breach.time.isoformat() == "2026-03-02T11:00:00+01:00"


def test_a_floating_loss_carried_over_midnight_breaches_at_the_reset_instant() -> None:
    # Day 1 closes +2,000 (balance 102,000) while another position floats at -6,000 (equity 96,000 >= 95,000).
    # At midnight the base becomes the balance 102,000, the floor 97,000,
    # and the carried equity 96,000 is below it.
    events = [
        opened(D1.format("10:00"), "p1"),
        closed(D1.format("15:00"), "p1", "2000.00"),
        opened(D1.format("16:00"), "p2"),
        equity(D1.format("23:30"), "96000.00"),
        end(D2.format("09:00")),
    ]
    result = run(program(daily_loss()), events)
    assert result.status == "failed"
    (breach,) = result.breaches
    assert breach.time.isoformat() == "2026-03-03T00:00:00+01:00"
    assert (breach.limit, breach.value, breach.event_type) == (
        Decimal("97000.00"),
        Decimal("96000.00"),
        "day_boundary",
    )
    assert "reset" in breach.explanation


def test_the_reset_time_breach_happens_with_no_event_via_advance_to() -> None:
    prog = program(daily_loss())
    evaluator = Evaluator(prog)
    events = [
        opened(D1.format("10:00"), "p1"),
        closed(D1.format("15:00"), "p1", "2000"),
        opened(D1.format("16:00"), "p2"),
        equity(D1.format("23:30"), "96000"),
    ]
    state = evaluator.start(events[0].time)
    for event in events:
        assert not evaluator.apply(state, event).breaches
    outcome = evaluator.advance_to(state, events[-1].time.replace(hour=23, minute=59))
    assert outcome.breaches == ()
    outcome = evaluator.advance_to(state, events[-1].time.replace(day=3, hour=0, minute=0))
    assert [breach.time.isoformat() for breach in outcome.breaches] == ["2026-03-03T00:00:00+01:00"]


def test_an_event_exactly_at_the_reset_is_judged_against_the_new_day() -> None:
    # Day 1 floor 95,000; day 2 floor (balance 103,000) 98,000.
    # A reading of 97,000 exactly at midnight breaches day 2.
    events = [
        opened(D1.format("10:00"), "p1"),
        closed(D1.format("12:00"), "p1", "3000"),
        opened(D1.format("13:00"), "p2"),
        equity(D1.format("23:00"), "99000"),
        equity("2026-03-03T00:00:00+01:00", "97000"),
    ]
    result = run(program(daily_loss()), events)
    (breach,) = result.breaches
    assert (breach.time.isoformat(), breach.limit, breach.event_type) == (
        "2026-03-03T00:00:00+01:00",
        Decimal("98000.00"),
        "equity",
    )


def test_a_new_day_resets_the_allowance() -> None:
    events = [
        opened(D1.format("10:00"), "p1"),
        equity(D1.format("12:00"), "96000"),
        closed(D1.format("13:00"), "p1", "-4000"),
        opened(D2.format("10:00"), "p2"),
        equity(D2.format("12:00"), "91500"),  # day 2 floor: 96,000 - 5,000 = 91,000
    ]
    result = run(program(daily_loss()), events)
    assert result.status == "active"
    assert result.metrics.daily_loss_floor == Decimal("91000.00")


@pytest.mark.parametrize(
    ("basis", "expected_floor"),
    [
        ("balance_at_reset", Decimal("96000.00")),  # balance 101,000 at reset
        ("max_balance_equity_at_reset", Decimal("98000.00")),  # equity 103,000 at reset
        ("equity_at_reset", Decimal("98000.00")),
        ("equity_peak_of_day", Decimal("99000.00")),  # day 2 peak 104,000
    ],
)
def test_each_basis_takes_its_value_at_the_latest_boundary(basis: str, expected_floor: Decimal) -> None:
    events = [
        opened(D1.format("10:00"), "p1"),
        closed(D1.format("11:00"), "p1", "1000"),
        opened(D1.format("12:00"), "p2"),
        equity(D1.format("23:00"), "103000"),
        equity(D2.format("10:00"), "104000"),
        equity(D2.format("11:00"), "102000"),
    ]
    result = run(program(daily_loss(basis)), events)
    assert result.metrics.daily_loss_floor == expected_floor


def test_equity_at_reset_is_a_session_net_pnl_limit_topstep_style() -> None:
    # Topstep 50K: session loss of $1,000 measured from the equity at the session start (17:00 Chicago).
    prog = program(
        daily_loss("equity_at_reset", "pause", fixed="1000"),
        initial="50000",
        zone="America/Chicago",
        starts="17:00",
    )
    events = [
        opened("2026-03-02T09:00:00-06:00", "p1"),
        equity("2026-03-02T16:00:00-06:00", "50500"),
        equity("2026-03-02T17:30:00-06:00", "49600"),  # new session base 50,500: floor 49,500
        equity("2026-03-02T18:00:00-06:00", "49499"),
    ]
    result = run(prog, events)
    assert result.status == "active"  # pause, not fail
    (breach,) = result.breaches
    assert (breach.effect, breach.limit) == ("pause", Decimal("49500.00"))
    assert result.metrics.paused_until is not None
    assert result.metrics.paused_until.isoformat() == "2026-03-03T17:00:00-06:00"


def test_a_pause_breach_is_recorded_once_a_day_and_rearmed_at_the_next_reset() -> None:
    prog = program(daily_loss(effect="pause"))
    events = [
        opened(D1.format("10:00"), "p1"),
        equity(D1.format("11:00"), "94000"),
        equity(D1.format("12:00"), "93000"),  # same day: no second breach
        equity(D2.format("10:00"), "93500"),  # new day, base = balance 100,000: still below 95,000
    ]
    result = run(prog, events)
    assert result.status == "active"
    assert breached_rules(result) == [
        ("daily_loss", "2026-03-02T11:00:00+01:00"),
        ("daily_loss", "2026-03-03T00:00:00+01:00"),
    ]
    assert result.metrics.paused_until is not None
    assert result.metrics.paused_until.isoformat() == "2026-03-04T00:00:00+01:00"


def test_equity_peak_of_day_trails_intraday_highs() -> None:
    prog = program(daily_loss("equity_peak_of_day", percent_of_initial="3"), zone="UTC")
    events = [
        opened("2026-03-02T10:00:00+00:00", "p1"),
        equity("2026-03-02T11:00:00+00:00", "102000"),  # floor 99,000
        equity("2026-03-02T12:00:00+00:00", "99500"),
        equity("2026-03-02T13:00:00+00:00", "98999.99"),
    ]
    result = run(prog, events)
    (breach,) = result.breaches
    assert (breach.limit, breach.value) == (Decimal("99000.00"), Decimal("98999.99"))


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ({"percent_of_initial": "4"}, Decimal("96960.00")),  # base 100,960 - 4,000
        ({"percent_of_base": "4"}, Decimal("96921.60")),  # 100,960 - 4,038.40
        ({"fixed": "2500"}, Decimal("98460.00")),
        ({"percent_of_base": "3.333"}, Decimal("97595.0032")),  # 100,960 - 3,364.9968, never rounded
    ],
)
def test_each_amount_kind_gives_an_exact_floor(amount: dict[str, str], expected: Decimal) -> None:
    events = [
        opened(D1.format("10:00"), "p1"),
        closed(D1.format("11:00"), "p1", "960"),
        end(D2.format("01:00")),
    ]
    result = run(program(daily_loss(**amount)), events)
    assert result.metrics.daily_loss_floor == expected


def test_the_breach_carries_its_evidence() -> None:
    result = run(
        program(daily_loss()), [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "94000")]
    )
    (breach,) = result.breaches
    assert breach.figures["base"] == "100000.00"
    assert breach.figures["amount"] == "5000.00"
    assert breach.figures["base_kind"] == "balance_at_reset"
    assert breach.event_type == "equity"
    assert breach.explanation.endswith(".") and "95,000.00 USD" in breach.explanation


def test_a_carried_loss_breaches_at_local_midnight_on_the_prague_spring_dst_night() -> None:
    # 29 March 2026 lasts 23 hours in Prague: the next reset is 00:00 CEST = 22:00 UTC.
    events = [
        opened("2026-03-29T10:00:00+02:00", "p1"),
        closed("2026-03-29T11:00:00+02:00", "p1", "2000"),
        opened("2026-03-29T12:00:00+02:00", "p2"),
        equity("2026-03-29T23:30:00+02:00", "96000"),
        end("2026-03-30T06:00:00+02:00"),
    ]
    (breach,) = run(program(daily_loss()), events).breaches
    assert breach.time.isoformat() == "2026-03-30T00:00:00+02:00"


def test_a_reading_in_the_repeated_autumn_hour_belongs_to_the_same_prague_day() -> None:
    # 25 October 2026 lasts 25 hours: 23:30 CET is still that day; the reset is 00:00 CET = 23:00 UTC.
    events = [
        opened("2026-10-25T10:00:00+01:00", "p1"),
        closed("2026-10-25T11:00:00+01:00", "p1", "2000"),
        opened("2026-10-25T12:00:00+01:00", "p2"),
        equity("2026-10-25T22:30:00+00:00", "96000"),  # 23:30 local: same day, floor 95,000
    ]
    assert run(program(daily_loss()), events).breaches == ()
    (breach,) = run(program(daily_loss()), [*events, end("2026-10-26T01:00:00+01:00")]).breaches
    assert breach.time.isoformat() == "2026-10-26T00:00:00+01:00"


def test_a_new_york_5pm_reset_on_the_dst_sunday_is_at_21_utc() -> None:
    prog = program(daily_loss(), zone="America/New_York", starts="17:00")
    events = [
        opened("2026-03-08T10:00:00-04:00", "p1"),
        closed("2026-03-08T11:00:00-04:00", "p1", "2000"),
        opened("2026-03-08T12:00:00-04:00", "p2"),
        equity("2026-03-08T16:59:59-04:00", "96000"),
        end("2026-03-08T21:00:00+00:00"),
    ]
    (breach,) = run(prog, events).breaches
    assert breach.time.isoformat() == "2026-03-08T17:00:00-04:00"
