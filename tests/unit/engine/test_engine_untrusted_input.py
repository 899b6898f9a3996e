"""Properties over untrusted input: whatever a platform or a program author sends, the engine either refuses
it naming the field (`EventError`, `ProgramError`) or evaluates it; nothing else ever escapes (issue 14)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from propdesk.engine import (
    AccountState,
    Evaluator,
    EventError,
    Program,
    ProgramError,
    parse_event,
)

START = datetime.fromisoformat("2026-03-27T08:00:00+01:00")

# Numbers as a platform might send them: plausible, absurd, tiny, with too many places, or not numbers.
numbers = st.one_of(
    st.decimals(min_value=-200_000, max_value=200_000, places=2).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(
        [
            "1E+100",
            "-1E+40",
            "1E+30",
            "999999999999.99999999",
            "-999999999999.99999999",
            "0.00000001",
            "1E-30",
            "0",
            "-0",
            "NaN",
            "Infinity",
            "1e999999999",
            "",
            "abc",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
)
gaps = st.one_of(
    st.integers(min_value=0, max_value=3000).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(min_value=0, max_value=10**6).map(lambda micros: timedelta(microseconds=micros)),
    st.sampled_from([timedelta(days=400), timedelta(days=365 * 200), timedelta(0)]),
)
KINDS = ["position_opened", "position_closed", "equity", "withdrawal", "deposit", "end", "bogus"]


@st.composite
def raw_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    moment = START
    events = []
    for number in range(draw(st.integers(min_value=1, max_value=40))):
        moment += draw(gaps)
        kind = draw(st.sampled_from(KINDS))
        data: dict[str, Any] = {
            "time": moment.isoformat() if moment.year < 9000 else "9999-12-31T23:59:59+00:00",
            "type": kind,
            "event_id": f"e{number}",
            "position_id": f"p{draw(st.integers(min_value=0, max_value=3))}",
            "symbol": draw(st.sampled_from(["EURUSD", "XAUUSD", "BTCUSD"])),
            "side": "buy",
            "volume": draw(numbers),
            "profit": draw(numbers),
            "equity": draw(numbers),
            "amount": draw(numbers),
        }
        if draw(st.booleans()):
            data["stop_loss"] = draw(numbers)
        if draw(st.booleans()):
            data["take_profit"] = draw(numbers)
        events.append(data)
    return events


EVERY_RULE: list[dict[str, Any]] = [
    {
        "type": "daily_loss",
        "basis": "equity_at_reset",
        "amount": {"percent_of_base": "0.00000001"},
        "effect": "flag",
    },
    {
        "type": "daily_loss",
        "basis": "equity_peak_of_day",
        "amount": {"fixed": "0.00000001"},
        "effect": "pause",
    },
    {"type": "daily_loss", "basis": "max_balance_equity_at_reset", "amount": {"percent_of_initial": "5"}},
    {
        "type": "max_loss",
        "mode": "trailing_intraday",
        "amount": {"fixed": "1"},
        "lock_at_initial_plus": "0",
        "effect": "flag",
    },
    {"type": "max_loss", "mode": "trailing_eod", "amount": {"percent_of_initial": "10"}, "effect": "flag"},
    {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "100"}},
    {"type": "profit_target", "amount": {"fixed": "0.00000001"}},
    {"type": "min_trading_days", "days": 1},
    {"type": "min_profitable_days", "days": 1, "min_profit": {"fixed": "0.00000001"}},
    {"type": "consistency", "max_best_day_percent": "0.00000001"},
    {"type": "time_limit", "days": 1_000_000, "effect": "flag"},
    {"type": "inactivity", "days": 1, "effect": "flag"},
    {"type": "max_position_volume", "volume": "0.00000001", "effect": "flag"},
    {"type": "max_total_volume", "volume": "999999.99999999", "effect": "flag"},
    {"type": "max_open_positions", "count": 1, "effect": "flag"},
    {"type": "max_trades_per_day", "count": 1, "effect": "flag"},
    {"type": "allowed_symbols", "symbols": ["EURUSD"], "effect": "flag"},
    {"type": "forbidden_symbols", "symbols": ["BTCUSD"], "effect": "flag"},
    {"type": "stop_loss_required", "effect": "flag"},
    {"type": "min_hold_time", "seconds": 1_000_000, "effect": "flag"},
    {
        "type": "flat_by",
        "time": "22:00",
        "weekdays": ["mon", "fri"],
        "timezone": "Pacific/Kiritimati",
        "effect": "flag",
    },
    {
        "type": "news_blackout",
        "minutes_before": 1_000_000,
        "minutes_after": 1_000_000,
        "effect": "exclude_profit",
    },
    {"type": "max_trade_loss", "amount": {"fixed": "0.00000001"}, "effect": "flag"},
]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    rules = draw(st.lists(st.sampled_from(EVERY_RULE), min_size=1, unique_by=str))
    return Program.from_dict(
        {
            "initial_balance": draw(st.sampled_from(["0.00000001", "100000", "999999999999.99999999"])),
            "timezone": draw(
                st.sampled_from(["UTC", "Europe/Prague", "Pacific/Kiritimati", "America/St_Johns"])
            ),
            "day_starts_at": draw(st.sampled_from(["00:00", "02:30", "23:59"])),
            "news": [{"time": "2026-03-30T14:30:00+02:00", "symbols": ["EURUSD"]}],
            "withdrawals": {"floors": draw(st.sampled_from(["shift", "keep"]))},
            "rules": rules,
        }
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), raw_events(), st.sampled_from([None, Decimal("0.5"), Decimal("0.99")]))
def test_no_parsed_event_makes_the_engine_raise_anything_but_an_event_error(
    prog: Program, raws: list[dict[str, Any]], warn_at: Decimal | None
) -> None:
    evaluator = Evaluator(prog, warn_at)
    state = evaluator.start(START)
    for raw in raws:
        try:
            event = parse_event(raw)
        except EventError:
            continue
        with contextlib.suppress(EventError):
            evaluator.apply(state, event)
        evaluator.usage(state)
        evaluator.consistency_check(state)
    output = json.dumps(evaluator.result(state).to_dict())
    evaluator.preview_next_reset(state)
    restored = AccountState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert json.dumps(evaluator.result(restored).to_dict()) == output


program_values = st.one_of(
    numbers,
    st.text(max_size=12),
    st.lists(st.sampled_from(["mon", "fri", "", "EURUSD", "x"]), max_size=3),
    st.dictionaries(st.sampled_from(["fixed", "percent_of_initial", "percent_of_base"]), numbers, max_size=2),
    st.sampled_from(["America", "Europe/Prague", "zone.tab", "24:00", "00:60", "99:99", "12:00", "fail"]),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EVERY_RULE), st.data())
def test_any_value_in_any_program_field_is_accepted_or_refused_naming_a_field(
    rule: dict[str, Any], data: st.DataObject
) -> None:
    program: dict[str, Any] = {"initial_balance": "100000", "rules": [dict(rule)]}
    where = data.draw(st.sampled_from(["program", "rule"]))
    if where == "program":
        key = data.draw(
            st.sampled_from(["initial_balance", "timezone", "day_starts_at", "news", "withdrawals"])
        )
        program[key] = data.draw(program_values)
    else:
        key = data.draw(st.sampled_from(sorted(set(rule) - {"type"}) or ["effect"]))
        program["rules"][0][key] = data.draw(program_values)
    try:
        prog = Program.from_dict(program)
    except ProgramError as error:
        assert error.field
        return
    evaluator = Evaluator(prog)
    state = evaluator.start(START)
    evaluator.apply(state, parse_event({"time": START.isoformat(), "type": "equity", "equity": "99000"}))
    evaluator.advance_to(state, START + timedelta(days=9))
    json.dumps(evaluator.result(state).to_dict())
