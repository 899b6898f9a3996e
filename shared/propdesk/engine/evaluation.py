"""The verdict on an account at one moment: status, breaches and metrics (the CLI prints `to_dict()`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.engine.breach import Breach
from propdesk.money import money_str


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money_str(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class Metrics:
    """Money as exact Decimals (printed with at least 2 decimals); floors are exact (never rounded).

    `daily_loss_floor` / `max_loss_floor` are the highest (most binding) current floor of the program's rules
    of that kind, or None without such a rule; times are in the program's zone. `profit` is trading profit
    (withdrawals never change it); `withdrawn_total` is the money withdrawn less deposits;
    `profit_since_last_withdrawal` is the closed balance less the balance right after the last withdrawal
    (or less the initial balance), so a payout never counts the same profit twice.
    """

    balance: Decimal
    equity: Decimal
    daily_loss_floor: Decimal | None
    max_loss_floor: Decimal | None
    trading_days: int
    profit: Decimal
    withdrawn_total: Decimal
    profit_since_last_withdrawal: Decimal
    best_day_profit: Decimal
    profitable_days: int
    open_positions: int
    excluded_profit: Decimal
    profit_target: Decimal | None
    day_start: datetime
    next_day_boundary: datetime
    paused_until: datetime | None
    pass_blockers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "balance": money_str(self.balance),
            "equity": money_str(self.equity),
            "daily_loss_floor": _money(self.daily_loss_floor),
            "max_loss_floor": _money(self.max_loss_floor),
            "trading_days": self.trading_days,
            "profit": money_str(self.profit),
            "withdrawn_total": money_str(self.withdrawn_total),
            "profit_since_last_withdrawal": money_str(self.profit_since_last_withdrawal),
            "best_day_profit": money_str(self.best_day_profit),
            "profitable_days": self.profitable_days,
            "open_positions": self.open_positions,
            "excluded_profit": money_str(self.excluded_profit),
            "profit_target": _money(self.profit_target),
            "day_start": self.day_start.isoformat(),
            "next_day_boundary": self.next_day_boundary.isoformat(),
            "paused_until": _time(self.paused_until),
            "pass_blockers": list(self.pass_blockers),
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    status: str
    breaches: tuple[Breach, ...]
    metrics: Metrics

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "breaches": [breach.to_dict() for breach in self.breaches],
            "metrics": self.metrics.to_dict(),
        }
