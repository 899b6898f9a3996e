"""max_loss: static, trailing end-of-day, trailing intraday, and the lock."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.engine.engine_helpers import (
    closed,
    end,
    equity,
    floors_after_each,
    max_loss,
    opened,
    program,
    run,
)


def day(n: int, clock: str) -> str:
    return f"2026-03-{n:02d}T{clock}:00+00:00"


def test_static_floor_is_initial_minus_the_amount_and_never_moves() -> None:
    events = [opened(day(2, "10:00"), "p1"), closed(day(2, "11:00"), "p1", "5000"), end(day(5, "00:00"))]
    result = run(program(max_loss(), zone="UTC"), events)
    assert result.metrics.max_loss_floor == Decimal("90000.00")


def test_static_max_loss_breaches_strictly_below_the_floor() -> None:
    prog = program(max_loss(), zone="UTC")
    at_floor = run(prog, [opened(day(2, "10:00"), "p1"), equity(day(2, "11:00"), "90000")])
    below = run(prog, [opened(day(2, "10:00"), "p1"), equity(day(2, "11:00"), "89999.99")])
    assert at_floor.status == "active"
    assert below.status == "failed" and below.breaches[0].rule == "max_loss"


def test_trailing_eod_ignores_intraday_highs_and_moves_at_the_reset() -> None:
    prog = program(max_loss("trailing_eod"), zone="UTC")
    events = [
        opened(day(2, "10:00"), "p1"),
        equity(day(2, "12:00"), "108000"),  # intraday high: ignored
        closed(day(2, "20:00"), "p1", "3000"),  # end-of-day balance 103,000
        equity(day(2, "23:00"), "103000"),
    ]
    assert run(prog, events).metrics.max_loss_floor == Decimal("90000.00")
    assert run(prog, [*events, end(day(3, "00:00"))]).metrics.max_loss_floor == Decimal("93000.00")


def test_trailing_eod_floor_never_decreases_after_a_losing_day() -> None:
    prog = program(max_loss("trailing_eod"), zone="UTC")
    events = [
        opened(day(2, "10:00"), "p1"),
        closed(day(2, "20:00"), "p1", "3000"),
        opened(day(3, "10:00"), "p2"),
        closed(day(3, "20:00"), "p2", "-2500"),
        end(day(5, "01:00")),
    ]
    floors = floors_after_each(prog, events)
    assert floors == sorted(floors)  # type: ignore[type-var]
    assert floors[-1] == Decimal("93000.00")


def test_a_floating_loss_breaches_a_trailing_eod_floor_raised_at_the_reset() -> None:
    prog = program(max_loss("trailing_eod", fixed="2000"), initial="50000", zone="UTC")
    events = [
        opened(day(2, "10:00"), "p1"),
        closed(day(2, "12:00"), "p1", "1500"),  # balance 51,500
        opened(day(2, "13:00"), "p2"),
        equity(day(2, "23:00"), "49400"),  # floor 48,000 today; tomorrow 49,500
        end(day(3, "08:00")),
    ]
    (breach,) = run(prog, events).breaches
    assert (breach.time.isoformat(), breach.limit) == ("2026-03-03T00:00:00+00:00", Decimal("49500.00"))


def test_trailing_intraday_moves_with_every_new_equity_high() -> None:
    prog = program(max_loss("trailing_intraday", fixed="2500"), initial="50000", zone="UTC")
    events = [
        opened(day(2, "10:00"), "p1"),
        equity(day(2, "11:00"), "51000"),
        equity(day(2, "12:00"), "48600"),
    ]
    result = run(prog, events)
    assert result.metrics.max_loss_floor == Decimal("48500.00")
    assert result.status == "active"
    failed = run(prog, [*events, equity(day(2, "13:00"), "48499.99")])
    assert failed.status == "failed"


def test_the_lock_stops_the_floor_at_initial_plus_offset() -> None:
    prog = program(max_loss("trailing_intraday", lock="100", fixed="2500"), initial="50000", zone="UTC")
    events = [
        opened(day(2, "10:00"), "p1"),
        equity(day(2, "11:00"), "52600"),
        equity(day(2, "12:00"), "56000"),
    ]
    result = run(prog, events)
    assert result.metrics.max_loss_floor == Decimal("50100.00")


def test_a_breach_of_a_locked_floor_says_it_is_locked() -> None:
    prog = program(max_loss("trailing_intraday", lock="100", fixed="2500"), initial="50000", zone="UTC")
    events = [
        opened(day(2, "10:00"), "p1"),
        equity(day(2, "11:00"), "56000"),
        equity(day(2, "12:00"), "50099"),
    ]
    (breach,) = run(prog, events).breaches
    assert breach.limit == Decimal("50100.00")
    assert "locked at 50,100.00 USD" in breach.explanation
