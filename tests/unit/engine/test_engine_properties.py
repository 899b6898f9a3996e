"""Properties over random histories: chunking and snapshots never change a verdict, floors behave, money is
exact."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.engine import (
    AccountState,
    Evaluator,
    PositionClosed,
    Program,
    TradingEvent,
    parse_event,
)

START = datetime.fromisoformat(
    "2026-03-27T08:00:00+01:00"
)  # the Prague DST change falls inside the histories

cents = st.integers(min_value=-300_000, max_value=300_000).map(lambda n: Decimal(n) / 100)
step = st.tuples(
    st.integers(min_value=0, max_value=2880),  # minutes since the previous event
    st.sampled_from(["open", "close", "equity", "equity", "equity", "end"]),
    cents,
)


@st.composite
def histories(draw: st.DrawFn) -> list[TradingEvent]:
    moment, balance = START, Decimal(100000)
    open_ids: list[str] = []
    events: list[TradingEvent] = []
    for number, (minutes, action, amount) in enumerate(draw(st.lists(step, min_size=1, max_size=60))):
        moment += timedelta(minutes=minutes)
        data: dict[str, Any] = {"time": moment.isoformat(), "event_id": f"e{number}"}
        if action == "open" or (action == "close" and not open_ids):
            open_ids.append(f"p{number}")
            data |= {
                "type": "position_opened",
                "position_id": open_ids[-1],
                "symbol": "EURUSD",
                "side": "buy",
                "volume": "1",
            }
        elif action == "close":
            data |= {"type": "position_closed", "position_id": open_ids.pop(0), "profit": str(amount)}
            balance += amount
        elif action == "equity":
            data |= {"type": "equity", "equity": str(balance + amount)}
        else:
            data |= {"type": "end"}
        events.append(parse_event(data))
    return events


daily_rules = st.builds(
    lambda basis, kind, effect: {
        "type": "daily_loss",
        "basis": basis,
        "amount": {kind: "3"},
        "effect": effect,
    },
    st.sampled_from(
        ["balance_at_reset", "max_balance_equity_at_reset", "equity_at_reset", "equity_peak_of_day"]
    ),
    st.sampled_from(["percent_of_initial", "percent_of_base", "fixed"]),
    st.sampled_from(["fail", "pause", "flag"]),
)
max_rules = st.builds(
    lambda mode, lock, effect: {
        "type": "max_loss",
        "mode": mode,
        "amount": {"percent_of_initial": "6"},
        "effect": effect,
        **({} if lock is None else {"lock_at_initial_plus": lock}),
    },
    st.sampled_from(["static", "trailing_eod", "trailing_intraday"]),
    st.sampled_from([None, "0", "100"]),
    st.sampled_from(["fail", "flag"]),
)
EXTRA_RULES = [
    {"type": "profit_target", "amount": {"percent_of_initial": "4"}},
    {"type": "min_trading_days", "days": 2},
    {"type": "min_profitable_days", "days": 2, "min_profit": {"fixed": "100"}},
    {"type": "consistency", "max_best_day_percent": "60"},
    {"type": "max_trades_per_day", "count": 4, "effect": "pause"},
    {"type": "max_open_positions", "count": 3, "effect": "flag"},
    {"type": "inactivity", "days": 2, "effect": "flag"},
    {"type": "flat_by", "time": "22:00", "weekdays": ["fri"], "effect": "flag"},
]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    rules = [draw(daily_rules), draw(max_rules), *draw(st.lists(st.sampled_from(EXTRA_RULES), unique_by=str))]
    zone, starts = draw(
        st.sampled_from([("Europe/Prague", "00:00"), ("America/New_York", "17:00"), ("UTC", "00:30")])
    )
    return Program.from_dict(
        {"initial_balance": "100000", "timezone": zone, "day_starts_at": starts, "rules": rules}
    )


def replay(evaluator: Evaluator, events: list[TradingEvent], cuts: set[int]) -> dict[str, Any]:
    """Apply events, persisting and restoring the state (through JSON) before every index in `cuts`."""
    state = evaluator.start(events[0].time)
    for index, event in enumerate(events):
        if index in cuts:
            state = AccountState.from_dict(json.loads(json.dumps(state.to_dict())))
        evaluator.apply(state, event)
    return {"result": evaluator.result(state).to_dict(), "state": state.to_dict()}


@settings(max_examples=150, deadline=None)
@given(programs(), histories(), st.sets(st.integers(min_value=0, max_value=60)))
def test_replaying_in_any_chunking_through_snapshots_gives_the_same_verdict(
    prog: Program, events: list[TradingEvent], cuts: set[int]
) -> None:
    evaluator = Evaluator(prog)
    assert replay(evaluator, events, cuts) == replay(evaluator, events, set())


@settings(max_examples=100, deadline=None)
@given(programs(), histories(), st.lists(st.integers(min_value=0, max_value=900), max_size=5))
def test_advancing_the_clock_between_events_never_changes_the_verdict(
    prog: Program, events: list[TradingEvent], pauses: list[int]
) -> None:
    evaluator = Evaluator(prog)
    plain = evaluator.start(events[0].time)
    ticked = evaluator.start(events[0].time)
    for index, event in enumerate(events):
        if index in pauses and index > 0:
            midpoint = events[index - 1].time + (event.time - events[index - 1].time) / 2
            evaluator.advance_to(ticked, midpoint)
        evaluator.apply(plain, event)
        evaluator.apply(ticked, event)
    assert evaluator.result(plain) == evaluator.result(ticked)


@settings(max_examples=150, deadline=None)
@given(
    histories(), st.sampled_from([None, "0", "100"]), st.sampled_from(["trailing_eod", "trailing_intraday"])
)
def test_a_trailing_floor_never_decreases(events: list[TradingEvent], lock: str | None, mode: str) -> None:
    rule: dict[str, Any] = {
        "type": "max_loss",
        "mode": mode,
        "amount": {"percent_of_initial": "5"},
        "effect": "flag",
    }
    if lock is not None:
        rule["lock_at_initial_plus"] = lock
    evaluator = Evaluator(
        Program.from_dict({"initial_balance": "100000", "timezone": "Europe/Prague", "rules": [rule]})
    )
    state = evaluator.start(events[0].time)
    floors = []
    for event in events:
        evaluator.apply(state, event)
        floors.append(evaluator.metrics(state).max_loss_floor)
    assert floors == sorted(floors)  # type: ignore[type-var]
    if lock is not None:
        assert all(floor is not None and floor <= Decimal(100000) + Decimal(lock) for floor in floors)


@settings(max_examples=150, deadline=None)
@given(programs(), histories())
def test_money_stays_exact(prog: Program, events: list[TradingEvent]) -> None:
    evaluator = Evaluator(prog)
    state = evaluator.start(events[0].time)
    for event in events:
        evaluator.apply(state, event)
    metrics = evaluator.metrics(state)
    profits = sum((event.profit for event in events if isinstance(event, PositionClosed)), Decimal(0))
    assert metrics.balance == Decimal(100000) + profits
    assert metrics.profit == metrics.balance - Decimal(100000) - metrics.excluded_profit
    for floor in (metrics.daily_loss_floor, metrics.max_loss_floor):
        assert floor is not None
    for limit in state.limits:  # floors are exact: base - allowance, only ever lowered by a lock's cap
        assert limit.floor <= limit.base - limit.allowance
        assert limit.floor == limit.base - limit.allowance or limit.floor >= Decimal(100000)
    for breach in state.breaches:
        assert isinstance(breach.limit, Decimal) and isinstance(breach.value, Decimal)
