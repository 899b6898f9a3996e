"""An account's live figures for its dashboard: the stored engine state brought forward to `now`.

Pure: the caller hands in the account, its pinned program's evaluator, the stored RISK snapshot and the
instant. The stored state is copied and advanced to `now` (crossing any day boundary the daily reset has not
processed yet), so the floors, the next boundary and the reset preview describe the present, not a stale day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.engine import AccountState, ConsistencyCheck, Evaluator, LimitUsage, Metrics, Outcome, Program
from propdesk.engine.rules.min_trading_days import MinTradingDays
from propdesk.records import Account, RiskSnapshot

DAILY_LOSS = "daily_loss"


@dataclass(frozen=True, slots=True)
class LiveMetrics:
    account: Account
    as_of: datetime
    status: str
    metrics: Metrics
    daily_loss: LimitUsage | None
    max_loss: LimitUsage | None
    next_boundary: datetime
    required_trading_days: int | None
    consistency: ConsistencyCheck | None
    max_best_day_percent: Decimal | None
    reset_preview: Outcome
    open_positions: tuple[dict[str, Any], ...]


def live_metrics(
    account: Account, evaluator: Evaluator, snapshot: RiskSnapshot | None, now: datetime
) -> LiveMetrics:
    state = _present_state(account, evaluator, snapshot, now)
    usage = evaluator.usage(state)
    return LiveMetrics(
        account=account,
        as_of=state.clock,
        status=_status(account, state),
        metrics=evaluator.metrics(state),
        daily_loss=_most_binding(u for u in usage if u.rule == DAILY_LOSS),
        max_loss=_most_binding(u for u in usage if u.rule != DAILY_LOSS),
        next_boundary=evaluator.next_day_boundary(state),
        required_trading_days=_required_trading_days(evaluator.program),
        consistency=evaluator.consistency_check(state),
        max_best_day_percent=evaluator.consistency.percent if evaluator.consistency else None,
        reset_preview=evaluator.preview_next_reset(state),
        open_positions=tuple(position.to_dict() for position in state.positions.values()),
    )


def _present_state(
    account: Account, evaluator: Evaluator, snapshot: RiskSnapshot | None, now: datetime
) -> AccountState:
    state = evaluator.start(account.opened_at) if snapshot is None else AccountState.from_dict(snapshot.state)
    if now > state.clock and state.status == "active":
        evaluator.advance_to(state, now)
    return state


def _status(account: Account, state: AccountState) -> str:
    """The account's stored status rules (staff may reinstate it); otherwise what the engine says now."""
    return account.status if account.status != "active" else state.status


def _most_binding(usages: Iterable[LimitUsage]) -> LimitUsage | None:
    """The limit closest to being hit: the highest floor."""
    candidates = list(usages)
    return max(candidates, key=lambda usage: usage.floor) if candidates else None


def _required_trading_days(program: Program) -> int | None:
    days = [rule.days for rule in program.rules if isinstance(rule, MinTradingDays)]
    return max(days) if days else None
