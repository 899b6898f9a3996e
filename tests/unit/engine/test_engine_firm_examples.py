"""The firms' published worked examples (../shared/RULES.md), replayed through the engine."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.engine.engine_helpers import (
    closed,
    daily_loss,
    end,
    equity,
    max_loss,
    opened,
    program,
    run,
    target,
)


def test_ftmo_2_step_phase_1_passes_with_10_percent_on_4_trading_days() -> None:
    prog = program(daily_loss(), max_loss(), target(), {"type": "min_trading_days", "days": 4})
    events = []
    for n, profit in enumerate(["3000", "2500", "2500", "2000"], start=2):
        events += [
            opened(f"2026-03-{n:02d}T10:00:00+01:00", f"p{n}"),
            closed(f"2026-03-{n:02d}T15:00:00+01:00", f"p{n}", profit),
        ]
    result = run(prog, events)
    assert result.status == "passed"
    assert result.metrics.trading_days == 4
    assert result.metrics.profit == Decimal("10000.00")


def test_ftmo_target_reached_in_3_days_waits_for_the_4th_trading_day() -> None:
    prog = program(daily_loss(), max_loss(), target(), {"type": "min_trading_days", "days": 4})
    events = [
        opened("2026-03-02T10:00:00+01:00", "p1"),
        closed("2026-03-02T15:00:00+01:00", "p1", "6000"),
        opened("2026-03-03T10:00:00+01:00", "p2"),
        closed("2026-03-03T15:00:00+01:00", "p2", "2000"),
        opened("2026-03-04T10:00:00+01:00", "p3"),
        closed("2026-03-04T15:00:00+01:00", "p3", "2500"),
    ]
    waiting = run(prog, events)
    assert waiting.status == "active"
    assert any("trading days" in text for text in waiting.metrics.pass_blockers)
    done = run(
        prog,
        [*events, opened("2026-03-05T10:00:00+01:00", "p4"), closed("2026-03-05T10:05:00+01:00", "p4", "1")],
    )
    assert done.status == "passed"


def test_ftmo_a_position_held_over_several_days_counts_one_trading_day() -> None:
    prog = program(target(), {"type": "min_trading_days", "days": 2})
    events = [
        opened("2026-03-02T10:00:00+01:00", "p1"),
        equity("2026-03-04T10:00:00+01:00", "105000"),
        closed("2026-03-05T15:00:00+01:00", "p1", "11000"),
    ]
    result = run(prog, events)
    assert result.metrics.trading_days == 1
    assert result.status == "active"


def test_topstep_50k_trailing_eod_2000_locks_at_the_starting_balance() -> None:
    # Topstep: EOD high - $2,000 on 50K, rising at each session close (17:00 Chicago)
    # until it reaches $50,000.
    prog = program(
        max_loss("trailing_eod", lock="0", fixed="2000"),
        initial="50000",
        zone="America/Chicago",
        starts="17:00",
    )
    sessions = [
        ("2026-03-02", "1000"),
        ("2026-03-03", "1500"),
        ("2026-03-04", "800"),
        ("2026-03-05", "-1500"),
    ]
    events = []
    floors = []
    for n, (date, profit) in enumerate(sessions):
        events += [
            opened(f"{date}T09:00:00-06:00", f"p{n}"),
            closed(f"{date}T15:00:00-06:00", f"p{n}", profit),
            end(f"{date}T17:00:00-06:00"),
        ]
        floors.append(run(prog, events).metrics.max_loss_floor)
    # EOD balances 51,000 / 52,500 / 53,300 / 51,800 -> floors 49,000 / 50,000 (locked) / 50,000 / 50,000
    assert floors == [Decimal("49000.00"), Decimal("50000.00"), Decimal("50000.00"), Decimal("50000.00")]


def test_topstep_daily_loss_is_a_soft_breach_that_locks_until_the_next_session() -> None:
    prog = program(
        daily_loss("equity_at_reset", "pause", fixed="1000"),
        initial="50000",
        zone="America/Chicago",
        starts="17:00",
    )
    events = [opened("2026-03-03T08:00:00-06:00", "p1"), equity("2026-03-03T09:00:00-06:00", "48999")]
    result = run(prog, events)
    assert result.status == "active"
    assert result.breaches[0].effect == "pause"


def test_apex_trailing_intraday_stops_at_initial_plus_100() -> None:
    prog = program(max_loss("trailing_intraday", lock="100", fixed="2500"), initial="50000", zone="UTC")
    events = [opened("2026-03-02T10:00:00+00:00", "p1"), equity("2026-03-02T11:00:00+00:00", "51500")]
    assert run(prog, events).metrics.max_loss_floor == Decimal("49000.00")
    events.append(equity("2026-03-02T12:00:00+00:00", "53000"))
    assert run(prog, events).metrics.max_loss_floor == Decimal("50100.00")


def test_apex_consistency_60k_best_day_must_be_at_most_3000() -> None:
    # Apex 50K grown to 60K with a 30% consistency rule: the best day may be at most $3,000.
    rules = (target(fixed="10000"), {"type": "consistency", "max_best_day_percent": "30"})
    prog = program(*rules, initial="50000", zone="UTC")

    def history(days: list[str]) -> list:  # type: ignore[type-arg]
        events = []
        for n, profit in enumerate(days, start=2):
            events += [
                opened(f"2026-03-{n:02d}T10:00:00+00:00", f"p{n}"),
                closed(f"2026-03-{n:02d}T15:00:00+00:00", f"p{n}", profit),
            ]
        return events

    ok = run(prog, history(["3000", "3000", "2000", "2000"]))
    assert ok.status == "passed"
    blocked = run(prog, history(["3500", "2500", "2000", "2000"]))
    assert blocked.status == "active" and blocked.breaches == ()
    assert blocked.metrics.best_day_profit == Decimal("3500.00")
    assert any("at most 3,000.00 USD" in text for text in blocked.metrics.pass_blockers)


def test_the5ers_three_profitable_days_of_half_a_percent() -> None:
    rules = (
        target(percent_of_initial="8"),
        {"type": "min_profitable_days", "days": 3, "min_profit": {"percent_of_initial": "0.5"}},
    )
    prog = program(*rules, zone="America/New_York", starts="17:00")
    days = [("2026-03-02", "600"), ("2026-03-03", "400"), ("2026-03-04", "499.99"), ("2026-03-05", "500")]
    events = []
    for n, (date, profit) in enumerate(days):
        events += [
            opened(f"{date}T09:00:00-05:00", f"p{n}"),
            closed(f"{date}T11:00:00-05:00", f"p{n}", profit),
        ]
    result = run(prog, events)
    assert result.metrics.profitable_days == 2  # 600 and 500; 400 and 499.99 fall short of 500
    big = [opened("2026-03-06T09:00:00-05:00", "big"), closed("2026-03-06T11:00:00-05:00", "big", "6100")]
    assert run(prog, events + big).status == "passed"


def test_the5ers_daily_loss_on_the_higher_of_balance_and_equity_at_reset() -> None:
    prog = program(daily_loss("max_balance_equity_at_reset"), zone="America/New_York", starts="17:00")
    events = [
        opened("2026-03-02T09:00:00-05:00", "p1"),
        equity("2026-03-02T16:00:00-05:00", "104000"),  # equity above balance at the 17:00 reset
        equity("2026-03-02T18:00:00-05:00", "98999"),  # floor 104,000 - 5,000 = 99,000
    ]
    (breach,) = run(prog, events).breaches
    assert breach.limit == Decimal("99000.00")
