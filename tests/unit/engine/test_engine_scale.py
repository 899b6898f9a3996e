"""Scaling (issue 10): a `scale` event grows the account's size to a new initial balance. The platform tops
the balance up by the growth; the loss limits are taken on the new size from then on; the profit already made
is neither lost nor counted again; nothing is judged at the scale itself."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.engine import (
    AccountState,
    Evaluation,
    Evaluator,
    EventError,
    Program,
    Scale,
    TradingEvent,
    event_to_dict,
    parse_event,
)

from tests.unit.engine.engine_helpers import (
    closed,
    daily_loss,
    end,
    equity,
    max_loss,
    opened,
    program,
    run,
    withdrawal,
)

DAY = "2026-03-0{}T{}+00:00"  # Monday 2 March 2026 is day 2


def at(day: int, clock: str) -> str:
    return DAY.format(day, clock)


def scale(time: str, initial: str, **extra: str) -> TradingEvent:
    return parse_event({"time": time, "type": "scale", "initial": initial, **extra})


def made_12k_then_scaled_to_125k() -> list[TradingEvent]:
    return [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "12000"),  # balance 112,000
        scale(at(3, "09:00:00"), "125000", scaling_id="acc-1:2026-03-02"),  # +25,000: balance 137,000
    ]


def evaluated(*rules: dict[str, Any], events: list[TradingEvent], **extra: Any) -> Evaluation:
    return run(program(*rules, zone="UTC", **extra), events)


# ------------------------------------------------------------------------------------------------ the event


def test_a_scale_parses_and_prints_back() -> None:
    event = scale(at(3, "09:00:00"), "125000.00", scaling_id="acc-1:2026-03-02", event_id="s1")
    assert isinstance(event, Scale)
    assert (event.initial, event.scaling_id) == (Decimal("125000.00"), "acc-1:2026-03-02")
    assert event.event_id == "s1"
    assert parse_event(event_to_dict(event)) == event


@pytest.mark.parametrize("initial", ["0", "-5", "1E+13", "0.000000001", 12.5])
def test_the_new_initial_balance_must_be_positive_and_bounded(initial: object) -> None:
    with pytest.raises(EventError) as caught:
        parse_event({"time": at(3, "09:00:00"), "type": "scale", "initial": initial})
    assert caught.value.field == "initial"


@pytest.mark.parametrize("initial", ["100000", "99999.99"])
def test_a_scale_only_grows_the_account_and_a_refusal_changes_nothing(initial: str) -> None:
    evaluator = Evaluator(program(max_loss(), zone="UTC"))
    state = evaluator.start(datetime.fromisoformat(at(2, "10:00:00")))
    before = state.to_dict()
    with pytest.raises(EventError) as caught:
        evaluator.apply(state, scale(at(2, "11:00:00"), initial))
    assert caught.value.field == "initial"
    assert state.to_dict() == before


# --------------------------------------------------------------------------------------- money and profit


def test_the_balance_grows_by_the_growth_and_the_profit_made_is_not_counted_again() -> None:
    metrics = evaluated(max_loss(), events=made_12k_then_scaled_to_125k()).metrics
    assert (metrics.balance, metrics.equity) == (Decimal(137000), Decimal(137000))
    assert metrics.profit == Decimal(12000)  # not 37,000: the growth is not profit
    assert metrics.profit_since_last_withdrawal == Decimal(12000)  # a payout may still take the 12,000
    assert metrics.withdrawn_total == 0  # nor is it money put back


def test_a_scale_is_not_a_trading_day_nor_a_days_profit() -> None:
    prog = program(daily_loss(), {"type": "min_profitable_days", "days": 3}, zone="UTC")
    events = [*made_12k_then_scaled_to_125k(), end(at(4, "12:00:00"))]
    metrics = run(prog, events).metrics
    assert (metrics.trading_days, metrics.profitable_days, metrics.best_day_profit) == (1, 1, Decimal(12000))


def test_after_a_withdrawal_the_growth_is_not_withdrawable() -> None:
    events = [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "12000"),
        withdrawal(at(2, "12:00:00"), "8000"),  # 4,000 of the profit stays
        scale(at(3, "09:00:00"), "125000"),
    ]
    metrics = evaluated(max_loss(), events=events).metrics
    assert metrics.balance == Decimal(129000)
    assert (metrics.profit, metrics.profit_since_last_withdrawal) == (Decimal(12000), Decimal(0))


# ------------------------------------------------------------------------------------------------- floors


def test_a_static_max_loss_is_taken_on_the_new_size() -> None:
    metrics = evaluated(max_loss(), events=made_12k_then_scaled_to_125k()).metrics
    # 125,000 - 10% of 125,000: the room is 137,000 - 112,500 = 24,500 (it was 112,000 - 90,000 = 22,000)
    assert metrics.max_loss_floor == Decimal(112500)


def test_a_daily_loss_moves_with_the_growth_at_once_and_takes_the_new_size_at_the_next_reset() -> None:
    rule = daily_loss()  # 5% of the initial balance under the balance at the reset
    today = evaluated(rule, events=made_12k_then_scaled_to_125k()).metrics
    assert today.daily_loss_floor == Decimal(130750)  # 112,000 + 25,000 - 6,250
    nextday = evaluated(rule, events=[*made_12k_then_scaled_to_125k(), end(at(4, "12:00:00"))]).metrics
    assert nextday.daily_loss_floor == Decimal(130750)  # 137,000 at the reset - 6,250


def test_a_percent_of_base_daily_loss_is_taken_on_the_moved_base() -> None:
    rule = daily_loss(percent_of_base="4")
    metrics = evaluated(rule, events=made_12k_then_scaled_to_125k()).metrics
    assert metrics.daily_loss_floor == Decimal(137000) - Decimal(5480)  # 4% of 137,000


def test_a_percent_of_base_amount_a_withdrawal_shifted_is_kept_when_the_scale_would_shrink_it() -> None:
    rule = daily_loss(percent_of_base="3")
    events = [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "12000"),  # day 3's reset: 3% of 112,000 = 3,360 under 112,000
        withdrawal(at(3, "09:00:00"), "6000"),  # floors shift: 102,640 under a base of 106,000, 3,360 kept
        scale(at(3, "10:00:00"), "101000"),  # 3% of 107,000 is 3,210: less room than before the scale
    ]
    scaled = evaluated(rule, events=events, withdrawals={"floors": "shift"}).metrics
    assert scaled.daily_loss_floor == Decimal(103640)  # 107,000 - 3,360: the room stays 3,360
    nextday = evaluated(rule, events=[*events, end(at(4, "12:00:00"))], withdrawals={"floors": "shift"})
    assert nextday.metrics.daily_loss_floor == Decimal(107000) - Decimal(3210)  # the reset takes 3% again
    losing = [opened(at(3, "11:00:00"), "p2"), equity(at(3, "11:30:00"), "103000")]
    breach = evaluated(rule, events=[*events, *losing], withdrawals={"floors": "shift"}).breaches[0]
    assert "3% of the base as it stood before a withdrawal or a scale moved the base" in breach.explanation
    assert (breach.figures["base"], breach.figures["amount"]) == ("107000.00", "3360.00")


def test_a_fixed_limit_only_moves_up_by_the_growth() -> None:
    rule = max_loss("trailing_eod", fixed="4000")
    events = [*made_12k_then_scaled_to_125k(), end(at(4, "12:00:00"))]
    assert evaluated(rule, events=events).metrics.max_loss_floor == Decimal(133000)  # 137,000 - 4,000


def test_a_trailing_floor_with_a_lock_moves_its_lock_with_the_new_size() -> None:
    rule = max_loss("trailing_intraday", lock="100", fixed="3000")  # Apex-like: locks at initial + 100
    events = [
        opened(at(2, "10:00:00"), "p1"),
        equity(at(2, "10:30:00"), "104000"),  # 101,000 capped at 100,100
        closed(at(2, "11:00:00"), "p1", "4000"),
        scale(at(3, "09:00:00"), "125000"),  # the lock is 125,100 now; the peak 129,000
    ]
    assert evaluated(rule, events=events).metrics.max_loss_floor == Decimal(125100)
    after = [*events, opened(at(3, "10:00:00"), "p2"), equity(at(3, "10:30:00"), "125099")]
    result = evaluated(rule, events=after)
    assert (result.status, [b.rule for b in result.breaches]) == ("failed", ["max_loss"])


def test_under_keep_a_scale_still_moves_the_floors() -> None:
    rule = max_loss("trailing_intraday", fixed="3000")
    events = [*made_12k_then_scaled_to_125k(), end(at(4, "12:00:00"))]
    kept = evaluated(rule, events=events, withdrawals={"floors": "keep"}).metrics
    assert kept.max_loss_floor == Decimal(134000)  # the peak 112,000 moved to 137,000, less 3,000


def test_a_per_trade_loss_limit_is_taken_on_the_new_size() -> None:
    rule = {"type": "max_trade_loss", "amount": {"percent_of_initial": "1"}, "effect": "flag"}
    losing = [opened(at(3, "10:00:00"), "p2"), closed(at(3, "11:00:00"), "p2", "-1100")]
    unscaled = [opened(at(2, "10:00:00"), "p1"), closed(at(2, "11:00:00"), "p1", "12000"), *losing]
    assert [b.rule for b in evaluated(rule, events=unscaled).breaches] == ["max_trade_loss"]  # over 1,000
    assert evaluated(rule, events=[*made_12k_then_scaled_to_125k(), *losing]).breaches == ()  # 1,250 now


def test_a_scale_is_never_judged_and_a_breach_after_it_names_the_scaled_size() -> None:
    evaluator = Evaluator(program(max_loss(), zone="UTC"))
    events = made_12k_then_scaled_to_125k()
    state = evaluator.start(events[0].time)
    outcomes = [evaluator.apply(state, event) for event in events]
    assert not outcomes[-1].breaches and not outcomes[-1].warnings
    evaluator.apply(state, opened(at(3, "10:00:00"), "p2"))
    breach = evaluator.apply(state, equity(at(3, "10:30:00"), "112499.99")).breaches[0]
    assert breach.rule == "max_loss" and breach.limit == Decimal(112500)
    assert breach.figures["initial"] == "125000.00"
    assert breach.figures["base"] == "125000.00" and breach.figures["amount"] == "12500.00"
    assert "scaled size (bought at 100000.00)" in breach.figures["formula"]


def test_an_account_that_failed_still_grows_without_judging() -> None:
    events = [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "-11000"),  # below 90,000: failed
        scale(at(3, "09:00:00"), "125000"),
    ]
    result = evaluated(max_loss(), events=events)
    assert (result.status, result.metrics.balance, len(result.breaches)) == ("failed", Decimal(114000), 1)


def test_a_scaled_state_survives_its_snapshot() -> None:
    evaluator = Evaluator(program(daily_loss(), max_loss(), zone="UTC"))
    events = made_12k_then_scaled_to_125k()
    state = evaluator.start(events[0].time)
    evaluator.apply_all(state, events)
    restored = AccountState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored.to_dict() == state.to_dict() and restored.initial == Decimal(125000)


# ------------------------------------------------------------------------------------------------ properties

START = datetime.fromisoformat("2026-03-27T08:00:00+01:00")  # Prague's DST change falls inside
step = st.tuples(
    st.integers(min_value=0, max_value=2000),  # minutes since the previous event
    st.sampled_from(["open", "close", "close", "equity", "equity", "withdraw", "scale", "end"]),
    st.integers(min_value=-300_000, max_value=300_000).map(lambda n: Decimal(n) / 100),
    st.integers(min_value=1, max_value=3000).map(lambda n: Decimal(n) * 10),  # a growth
)


@st.composite
def with_and_without_scales(draw: st.DrawFn) -> tuple[list[TradingEvent], list[TradingEvent]]:
    """One trading history twice: with scales (the equity readings after one higher by the growth, as the
    platform reports them once topped up) and without them."""
    moment, balance, size, grown = START, Decimal(100000), Decimal(100000), Decimal(0)
    open_ids: list[str] = []
    scaling: list[TradingEvent] = []
    plain: list[TradingEvent] = []
    for number, (minutes, action, amount, growth) in enumerate(draw(st.lists(step, min_size=1, max_size=50))):
        moment += timedelta(minutes=minutes)
        time, ids = moment.isoformat(), {"event_id": f"e{number}"}
        if action == "scale":
            size += growth
            grown += growth
            scaling.append(parse_event({"time": time, "type": "scale", "initial": str(size), **ids}))
            # the scale moves the clock too (across a day boundary, a paused account is judged again): the
            # history without it moves the clock to the same time, with no trading change
            plain.append(parse_event({"time": time, "type": "end", **ids}))
            continue
        if action == "withdraw":
            if balance - Decimal(100000) > 0:
                taken = ((balance - Decimal(100000)) / 2).quantize(Decimal("0.01"))
                if taken > 0:
                    balance -= taken
                    data = {"time": time, "type": "withdrawal", "amount": str(taken), **ids}
                    scaling.append(parse_event(data))
                    plain.append(parse_event(data))
            continue
        if action == "open" or (action == "close" and not open_ids):
            open_ids.append(f"p{number}")
            both = [opened(time, open_ids[-1], event_id=f"e{number}")] * 2
        elif action == "close":
            both = [closed(time, open_ids.pop(0), str(amount), event_id=f"e{number}")] * 2
            balance += amount
        elif action == "equity":
            reading = balance + amount
            both = [
                parse_event({"time": time, "type": "equity", "equity": str(reading + grown), **ids}),
                parse_event({"time": time, "type": "equity", "equity": str(reading), **ids}),
            ]
        else:
            both = [parse_event({"time": time, "type": "end", **ids})] * 2
        scaling.append(both[0])
        plain.append(both[1])
    return scaling, plain


def fixed_or_percent(kind: str) -> st.SearchStrategy[Program]:
    daily = st.builds(
        lambda basis, effect: {"type": "daily_loss", "basis": basis, "amount": {kind: "3"}, "effect": effect},
        st.sampled_from(
            ["balance_at_reset", "max_balance_equity_at_reset", "equity_at_reset", "equity_peak_of_day"]
        ),
        st.sampled_from(["fail", "pause", "flag"]),
    )
    overall = st.builds(
        lambda mode, lock, effect: {
            "type": "max_loss",
            "mode": mode,
            "amount": {"fixed": "6000"} if kind == "fixed" else {"percent_of_initial": "6"},
            "effect": effect,
            **({} if lock is None else {"lock_at_initial_plus": lock}),
        },
        st.sampled_from(["static", "trailing_eod", "trailing_intraday"]),
        st.sampled_from([None, "0", "100"]),
        st.sampled_from(["fail", "flag"]),
    )
    return st.builds(
        lambda d, m, floors, zone: Program.from_dict(
            {
                "initial_balance": "100000",
                "timezone": zone,
                "rules": [d, m],
                "withdrawals": {"floors": floors},
            }
        ),
        daily,
        overall,
        st.sampled_from(["shift", "keep"]),
        st.sampled_from(["Europe/Prague", "UTC"]),
    )


def replay(evaluator: Evaluator, events: list[TradingEvent], cuts: set[int]) -> dict[str, Any]:
    """Apply events, persisting and restoring the state (through JSON) before every index in `cuts`."""
    state = evaluator.start(START)
    for index, event in enumerate(events):
        if index in cuts:
            state = AccountState.from_dict(json.loads(json.dumps(state.to_dict())))
        evaluator.apply(state, event)
    return {"result": evaluator.result(state).to_dict(), "state": state.to_dict()}


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["percent_of_initial", "percent_of_base", "fixed"]).flatmap(fixed_or_percent),
    with_and_without_scales(),
    st.sets(st.integers(min_value=0, max_value=50)),
)
def test_replaying_a_log_with_scales_in_any_chunking_gives_the_same_state(
    prog: Program, histories: tuple[list[TradingEvent], list[TradingEvent]], cuts: set[int]
) -> None:
    evaluator = Evaluator(prog)
    events = histories[0]
    assert replay(evaluator, events, cuts) == replay(evaluator, events, set())


@settings(max_examples=150, deadline=None)
@given(fixed_or_percent("fixed"), with_and_without_scales())
def test_with_fixed_amounts_a_scale_only_shifts_everything_by_the_growth(
    prog: Program, histories: tuple[list[TradingEvent], list[TradingEvent]]
) -> None:
    """The same breaches (rule, time, by how much) and the same trading measures as without the scales."""
    scaled, plain = histories
    evaluator = Evaluator(prog)
    with_scales, without = replay(evaluator, scaled, set()), replay(evaluator, plain, set())

    def verdict(found: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (b["rule"], b["time"], Decimal(b["value"]) - Decimal(b["limit"]))
            for b in found["result"]["breaches"]
        ]

    assert verdict(with_scales) == verdict(without)
    assert with_scales["result"]["status"] == without["result"]["status"]
    for measure in ("profit", "profit_since_last_withdrawal", "withdrawn_total", "best_day_profit"):
        assert with_scales["result"]["metrics"][measure] == without["result"]["metrics"][measure], measure


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["percent_of_initial", "percent_of_base", "fixed"]).flatmap(fixed_or_percent),
    with_and_without_scales(),
)
def test_the_room_above_every_floor_never_shrinks_at_a_scale(
    prog: Program, histories: tuple[list[TradingEvent], list[TradingEvent]]
) -> None:
    evaluator = Evaluator(prog)
    state = evaluator.start(START)
    for event in histories[0]:
        if isinstance(event, Scale):
            evaluator.advance_to(state, event.time)  # the day boundaries due before it first
        before = [limit.floor for limit in state.limits]
        equity_before = state.equity
        outcome = evaluator.apply(state, event)
        if isinstance(event, Scale):
            assert not outcome.breaches
            for floor, limit in zip(before, state.limits, strict=True):
                assert state.equity - limit.floor >= equity_before - floor
