"""Risk engine benchmarks (pure Python, one core). Prints these lines:

    engine.fresh_account: N evals/s   one `Evaluator.apply` of an equity tick to a freshly started
                                      2-step phase-1 account with the full rule set (no trades yet)
    engine.loaded_account: N evals/s  the same tick on an account with 5 open positions and 50 trades
                                      that day
    engine.loaded_vs_fresh: N x       (b) against (a), measured side by side in the same run
    engine.fresh_vs_205k_goal: N x    (a) against the 205k evals/s that a Rust engine claims
    engine.replay_1m: N s             parse (from JSON-like dicts) and apply a 1,000,000-event history
                                      of a funded account (ticks, openings, closings, ~700 day boundaries)

Ticks are pre-parsed and fluctuate within the limits, so no breach occurs. Timing: time.perf_counter around
batches of 50,000 applies; the best of several rounds.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.engine import AccountState, Evaluator, Program, TradingEvent, parse_event

START = datetime.fromisoformat("2026-03-02T08:00:00+01:00")

POSITION_RULES: list[dict[str, Any]] = [
    {"type": "max_position_volume", "volume": "50"},
    {"type": "max_total_volume", "volume": "100"},
    {"type": "max_open_positions", "count": 10},
    {"type": "max_trades_per_day", "count": 100},
    {"type": "forbidden_symbols", "symbols": ["BTCUSD"]},
    {"type": "stop_loss_required", "effect": "flag"},
    {"type": "min_hold_time", "seconds": 30, "effect": "flag"},
    {"type": "max_trade_loss", "amount": {"percent_of_initial": "2"}},
    {"type": "news_blackout", "minutes_before": 2, "minutes_after": 2, "effect": "flag"},
    {"type": "flat_by", "time": "22:00", "weekdays": ["fri"], "effect": "flag"},
]
NEWS = [{"time": "2026-03-06T14:30:00+01:00", "symbols": ["EURUSD"], "title": "US NFP"}]

PHASE_1 = {
    "name": "2-step phase 1",
    "currency": "USD",
    "initial_balance": "100000",
    "timezone": "Europe/Prague",
    "day_starts_at": "00:00",
    "news": NEWS,
    "rules": [
        {"type": "daily_loss", "basis": "balance_at_reset", "amount": {"percent_of_initial": "5"}},
        {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
        {"type": "profit_target", "amount": {"percent_of_initial": "10"}},
        {"type": "min_trading_days", "days": 4},
        {"type": "consistency", "max_best_day_percent": "50"},
        {"type": "time_limit", "days": 30},
        {"type": "inactivity", "days": 30},
        *POSITION_RULES,
    ],
}

FUNDED = {
    "name": "funded",
    "currency": "USD",
    "initial_balance": "100000",
    "timezone": "Europe/Prague",
    "day_starts_at": "00:00",
    "news": NEWS,
    "rules": [
        {"type": "daily_loss", "basis": "max_balance_equity_at_reset", "amount": {"percent_of_initial": "5"}},
        {
            "type": "max_loss",
            "mode": "trailing_eod",
            "amount": {"percent_of_initial": "10"},
            "lock_at_initial_plus": "0",
        },
        {"type": "min_trading_days", "days": 4},
        {"type": "inactivity", "days": 30},
        *POSITION_RULES,
    ],
}


def ticks(count: int, start: datetime) -> list[TradingEvent]:
    rng = random.Random(7)
    return [
        parse_event(
            {
                "time": (start + timedelta(milliseconds=250 * i)).isoformat(),
                "type": "equity",
                "equity": str(Decimal(100000) + Decimal(rng.randint(-150_000, 150_000)) / 100),
            }
        )
        for i in range(count)
    ]


def loaded_state(evaluator: Evaluator) -> tuple[AccountState, datetime]:
    """An account with 50 trades today, 5 of them still open."""
    state = evaluator.start(START)
    moment = START
    for number in range(50):
        moment += timedelta(minutes=1)
        evaluator.apply(
            state,
            parse_event(
                {
                    "time": moment.isoformat(),
                    "type": "position_opened",
                    "position_id": f"p{number}",
                    "symbol": "EURUSD",
                    "side": "buy",
                    "volume": "1",
                    "stop_loss": "1.05",
                }
            ),
        )
        if number < 45:
            moment += timedelta(minutes=1)
            evaluator.apply(
                state,
                parse_event(
                    {
                        "time": moment.isoformat(),
                        "type": "position_closed",
                        "position_id": f"p{number}",
                        "profit": "10" if number % 2 else "-10",
                    }
                ),
            )
    assert len(state.positions) == 5 and state.trades_today == 50 and state.status == "active"
    return state, moment


def evals_per_second(evaluator: Evaluator, make_state: Any, batch: list[TradingEvent], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        state = make_state()
        apply = evaluator.apply
        began = time.perf_counter()
        for event in batch:
            apply(state, event)
        best = min(best, time.perf_counter() - began)
        assert state.status == "active" and not state.breaches
    return len(batch) / best


class FundedHistory:
    """A funded account's stored events: ticks around the balance, a trade every ~50 events, one a minute."""

    def __init__(self) -> None:
        self.rng = random.Random(11)
        self.open_ids: list[str] = []
        self.balance_cents = 100000_00

    def chunk(self, first: int, size: int) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        for number in range(first, first + size):
            item: dict[str, Any] = {
                "time": (START + timedelta(seconds=60 * number)).isoformat(),
                "event_id": f"e{number}",
            }
            roll = rng.random()
            if roll < 0.02 and len(self.open_ids) < 5:
                self.open_ids.append(f"p{number}")
                item |= {
                    "type": "position_opened",
                    "position_id": self.open_ids[-1],
                    "symbol": "EURUSD",
                    "side": "buy",
                    "volume": "1",
                    "stop_loss": "1.05",
                }
            elif roll < 0.04 and self.open_ids:
                # mean-reverting P&L keeps the history inside the limits (a failed account stops judging)
                profit = rng.randint(-10000, 10000) - (self.balance_cents - 100000_00) // 20
                self.balance_cents += profit
                item |= {
                    "type": "position_closed",
                    "position_id": self.open_ids.pop(0),
                    "profit": str(Decimal(profit) / 100),
                }
            else:
                equity = self.balance_cents + rng.randint(-150000, 150000)
                item |= {"type": "equity", "equity": str(Decimal(equity) / 100)}
            out.append(item)
        return out


def replay_seconds(total: int = 1_000_000, chunk: int = 50_000) -> float:
    evaluator = Evaluator(Program.from_dict(FUNDED))
    state = evaluator.start(START)
    history = FundedHistory()
    elapsed = 0.0
    for first in range(0, total, chunk):
        data = history.chunk(first, chunk)  # generating the input is not timed
        apply = evaluator.apply
        began = time.perf_counter()
        for item in data:
            apply(state, parse_event(item))
        elapsed += time.perf_counter() - began
    assert state.status == "active", [breach for breach in state.breaches if breach.effect == "fail"]
    return elapsed


def main() -> None:
    evaluator = Evaluator(Program.from_dict(PHASE_1))
    fresh_batch = ticks(50_000, START + timedelta(minutes=1))
    fresh = evals_per_second(evaluator, lambda: evaluator.start(START), fresh_batch, rounds=7)
    _, loaded_clock = loaded_state(evaluator)
    loaded_batch = ticks(50_000, loaded_clock + timedelta(minutes=1))
    loaded = evals_per_second(evaluator, lambda: loaded_state(evaluator)[0], loaded_batch, rounds=7)
    print(f"engine.fresh_account: {fresh:.0f} evals/s")
    print(f"engine.loaded_account: {loaded:.0f} evals/s")
    print(f"engine.loaded_vs_fresh: {fresh / loaded:.2f} x slower")
    print(f"engine.fresh_vs_205k_goal: {fresh / 205_000:.2f} x")
    print(f"engine.replay_1m: {replay_seconds():.2f} s")


if __name__ == "__main__":
    main()
