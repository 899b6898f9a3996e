"""Short builders for programs and histories, so each test reads like the rule it checks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.engine import Evaluation, Evaluator, Program, TradingEvent, evaluate, parse_event


def program(
    *rules: Mapping[str, Any],
    initial: str = "100000",
    zone: str = "Europe/Prague",
    starts: str = "00:00",
    **extra: Any,
) -> Program:
    return Program.from_dict(
        {
            "name": "test",
            "currency": "USD",
            "initial_balance": initial,
            "timezone": zone,
            "day_starts_at": starts,
            "rules": list(rules),
            **extra,
        }
    )


def daily_loss(basis: str = "balance_at_reset", effect: str = "fail", **amount: str) -> dict[str, Any]:
    return {
        "type": "daily_loss",
        "basis": basis,
        "amount": amount or {"percent_of_initial": "5"},
        "effect": effect,
    }


def max_loss(mode: str = "static", lock: str | None = None, **amount: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "type": "max_loss",
        "mode": mode,
        "amount": amount or {"percent_of_initial": "10"},
    }
    if lock is not None:
        rule["lock_at_initial_plus"] = lock
    return rule


def target(**amount: str) -> dict[str, Any]:
    return {"type": "profit_target", "amount": amount or {"percent_of_initial": "10"}}


def opened(time: str, pid: str, symbol: str = "EURUSD", volume: str = "1", **extra: str) -> TradingEvent:
    return parse_event(
        {
            "time": time,
            "type": "position_opened",
            "position_id": pid,
            "symbol": symbol,
            "side": "buy",
            "volume": volume,
            **extra,
        }
    )


def closed(time: str, pid: str, profit: str, **extra: str) -> TradingEvent:
    return parse_event(
        {"time": time, "type": "position_closed", "position_id": pid, "profit": profit, **extra}
    )


def equity(time: str, value: str) -> TradingEvent:
    return parse_event({"time": time, "type": "equity", "equity": value})


def withdrawal(time: str, amount: str, **extra: str) -> TradingEvent:
    return parse_event({"time": time, "type": "withdrawal", "amount": amount, **extra})


def deposit(time: str, amount: str, **extra: str) -> TradingEvent:
    return parse_event({"time": time, "type": "deposit", "amount": amount, **extra})


def end(time: str) -> TradingEvent:
    return parse_event({"time": time, "type": "end"})


def run(prog: Program, events: Iterable[TradingEvent], until: str | None = None) -> Evaluation:
    return evaluate(prog, list(events), until=None if until is None else datetime.fromisoformat(until))


def output(prog: Program, events: Iterable[TradingEvent]) -> dict[str, Any]:
    """The CLI's JSON for a history, as plain data."""
    result: dict[str, Any] = json.loads(json.dumps(run(prog, events).to_dict()))
    return result


def breached_rules(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(breach.rule, breach.time.isoformat()) for breach in evaluation.breaches]


def floors_after_each(prog: Program, events: list[TradingEvent]) -> list[Decimal | None]:
    """The max_loss floor after every event (for monotonicity checks)."""
    evaluator = Evaluator(prog)
    state = evaluator.start(events[0].time)
    floors = []
    for event in events:
        evaluator.apply(state, event)
        floors.append(evaluator.metrics(state).max_loss_floor)
    return floors
