"""An account's risk state: everything the engine needs to continue evaluating, and nothing else.

Mutable and slotted for speed (the evaluator updates it in place); `to_dict()` / `AccountState.from_dict()`
give a JSON-safe snapshot (Decimals and times as strings) so a Lambda can persist it between invocations.
Cached levels (`floor_watch`, `warn_watch`, `peak_watch`, `next_check`) are stored too, so a restored state
continues exactly where the original would have. `waived` (the breaches staff overrode) is part of the state
so that every later step, incremental or not, honours the overrides it was started with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.engine.breach import Breach, BreachRef

ACTIVE = "active"
PASSED = "passed"
FAILED = "failed"

STATE_FORMAT = 1


class OpenPosition:
    __slots__ = ("in_news_window", "opened_at", "position_id", "side", "symbol", "volume")

    def __init__(
        self,
        position_id: str,
        symbol: str,
        side: str,
        volume: Decimal,
        opened_at: datetime,
        in_news_window: bool = False,
    ) -> None:
        self.position_id = position_id
        self.symbol = symbol
        self.side = side
        self.volume = volume
        self.opened_at = opened_at
        self.in_news_window = in_news_window

    def to_dict(self) -> dict[str, Any]:
        return {
            "position_id": self.position_id,
            "symbol": self.symbol,
            "side": self.side,
            "volume": str(self.volume),
            "opened_at": self.opened_at.isoformat(),
            "in_news_window": self.in_news_window,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OpenPosition:
        return cls(
            data["position_id"],
            data["symbol"],
            data["side"],
            Decimal(data["volume"]),
            datetime.fromisoformat(data["opened_at"]),
            bool(data["in_news_window"]),
        )


class LimitState:
    """The current floor of one loss limit (daily_loss or max_loss) and the figures behind it."""

    __slots__ = ("allowance", "armed", "base", "floor", "warn_level", "warned")

    def __init__(
        self,
        floor: Decimal,
        base: Decimal,
        allowance: Decimal,
        warn_level: Decimal,
        armed: bool = True,
        warned: bool = False,
    ) -> None:
        self.floor = floor
        self.base = base
        self.allowance = allowance
        self.warn_level = warn_level
        self.armed = armed
        self.warned = warned

    def to_dict(self) -> dict[str, Any]:
        return {
            "floor": str(self.floor),
            "base": str(self.base),
            "allowance": str(self.allowance),
            "warn_level": str(self.warn_level),
            "armed": self.armed,
            "warned": self.warned,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LimitState:
        return cls(
            Decimal(data["floor"]),
            Decimal(data["base"]),
            Decimal(data["allowance"]),
            Decimal(data["warn_level"]),
            bool(data["armed"]),
            bool(data["warned"]),
        )


_DECIMALS = (
    "initial", "balance", "equity", "day_start_balance", "day_start_equity", "day_peak", "peak_equity",
    "high_eod_balance", "total_volume", "day_closed_profit", "best_past_day_profit", "excluded_profit",
    "floor_watch", "warn_watch", "peak_watch", "withdrawn", "floor_shift", "withdrawal_base",
)  # fmt: skip
_INTS = ("day_number", "trades_today", "trading_days", "last_trading_day", "profitable_days")
_TIMES = ("started_at", "clock", "day_start", "next_boundary", "next_check", "last_open_at")
_OPTIONAL_TIMES = ("paused_until", "ended_at")
_FLAGS = ("day_has_close",)


class AccountState:
    """The engine's memory of one account. Create it with `Evaluator.start`, never by hand."""

    __slots__ = (
        *_DECIMALS, *_INTS, *_TIMES, *_OPTIONAL_TIMES, *_FLAGS,
        "status", "positions", "limits", "marks", "dues", "breaches", "waived",
    )  # fmt: skip

    initial: Decimal
    balance: Decimal
    equity: Decimal
    day_start_balance: Decimal
    day_start_equity: Decimal
    day_peak: Decimal
    peak_equity: Decimal
    high_eod_balance: Decimal
    total_volume: Decimal
    day_closed_profit: Decimal
    best_past_day_profit: Decimal  # the best net closed profit of a finished day (0 if none was positive)
    excluded_profit: Decimal
    floor_watch: Decimal
    warn_watch: Decimal
    peak_watch: Decimal
    withdrawn: Decimal  # withdrawals less deposits: the money that left the account, not a trading loss
    floor_shift: Decimal  # how far withdrawals (less deposits) lowered the loss floors ("shift" programs)
    withdrawal_base: Decimal  # the closed balance right after the last withdrawal (the initial before one)
    day_number: int
    trades_today: int
    trading_days: int
    last_trading_day: int
    profitable_days: int
    started_at: datetime
    clock: datetime
    day_start: datetime
    next_boundary: datetime
    next_check: datetime
    last_open_at: datetime
    paused_until: datetime | None
    ended_at: datetime | None
    day_has_close: bool
    status: str
    positions: dict[str, OpenPosition]
    limits: list[LimitState]
    marks: list[datetime]
    dues: list[datetime | None]
    breaches: list[Breach]
    waived: frozenset[BreachRef]

    def __init__(self, initial: Decimal, start: datetime) -> None:
        self.initial = self.balance = self.equity = initial
        self.day_start_balance = self.day_start_equity = self.day_peak = initial
        self.peak_equity = self.high_eod_balance = initial
        zero = Decimal(0)
        self.total_volume = self.day_closed_profit = self.best_past_day_profit = self.excluded_profit = zero
        self.withdrawn = self.floor_shift = zero
        self.withdrawal_base = initial
        self.floor_watch = self.warn_watch = Decimal("-Infinity")
        self.peak_watch = Decimal("Infinity")
        self.day_number = self.trades_today = self.trading_days = self.profitable_days = 0
        self.last_trading_day = -1
        self.started_at = self.clock = self.day_start = self.next_boundary = self.next_check = start
        self.last_open_at = start
        self.paused_until = self.ended_at = None
        self.day_has_close = False
        self.status = ACTIVE
        self.positions = {}
        self.limits = []
        self.marks = []
        self.dues = []
        self.breaches = []
        self.waived = frozenset()

    @property
    def best_day_profit(self) -> Decimal:
        """The best day's net closed P&L (the current day as it stands so far); 0 if no day is positive."""
        return max(self.best_past_day_profit, self.day_closed_profit)

    @property
    def profit(self) -> Decimal:
        """Trading profit, what counts toward targets: the balance's gain with the money withdrawn (less
        deposits) added back, minus profit excluded by news rules. Withdrawals never change it."""
        return self.balance + self.withdrawn - self.initial - self.excluded_profit

    @property
    def profit_since_last_withdrawal(self) -> Decimal:
        """The closed balance less the balance right after the last withdrawal (less the initial balance
        before one): what a payout may take without counting profit already withdrawn."""
        return self.balance - self.withdrawal_base

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": STATE_FORMAT, "status": self.status}
        for name in _DECIMALS:
            out[name] = str(getattr(self, name))
        for name in _INTS:
            out[name] = getattr(self, name)
        for name in _TIMES:
            out[name] = getattr(self, name).isoformat()
        for name in _OPTIONAL_TIMES:
            value = getattr(self, name)
            out[name] = None if value is None else value.isoformat()
        for name in _FLAGS:
            out[name] = getattr(self, name)
        out["positions"] = [position.to_dict() for position in self.positions.values()]
        out["limits"] = [limit.to_dict() for limit in self.limits]
        out["marks"] = [mark.isoformat() for mark in self.marks]
        out["dues"] = [None if due is None else due.isoformat() for due in self.dues]
        out["breaches"] = [breach.to_dict() for breach in self.breaches]
        ordered = sorted(self.waived, key=lambda ref: (ref.time, ref.rule, ref.identity))
        out["waived"] = [ref.to_dict() for ref in ordered]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccountState:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported account state format {data.get('format')!r}")
        state = cls.__new__(cls)
        state.status = data["status"]
        if "best_past_day_profit" not in data:  # written before the best day became a day's net P&L
            data = {**data, "best_past_day_profit": data["best_day_profit"]}
        if "withdrawn" not in data:  # written before withdrawals were engine events
            data = {**data, "withdrawn": "0", "floor_shift": "0", "withdrawal_base": data["initial"]}
        for name in _DECIMALS:
            setattr(state, name, Decimal(data[name]))
        for name in _INTS:
            setattr(state, name, int(data[name]))
        for name in _TIMES:
            setattr(state, name, datetime.fromisoformat(data[name]))
        for name in _OPTIONAL_TIMES:
            value = data[name]
            setattr(state, name, None if value is None else datetime.fromisoformat(value))
        for name in _FLAGS:
            setattr(state, name, bool(data[name]))
        positions = [OpenPosition.from_dict(item) for item in data["positions"]]
        state.positions = {position.position_id: position for position in positions}
        state.limits = [LimitState.from_dict(item) for item in data["limits"]]
        state.marks = [datetime.fromisoformat(mark) for mark in data["marks"]]
        state.dues = [None if due is None else datetime.fromisoformat(due) for due in data["dues"]]
        state.breaches = [Breach.from_dict(item) for item in data["breaches"]]
        state.waived = frozenset(BreachRef.from_dict(item) for item in data.get("waived", ()))
        return state
