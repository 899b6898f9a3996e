"""Trading events: the engine's input, one immutable value per line of an account's history.

Wire format (JSON, amounts as strings, times ISO-8601 with an offset; `event_id` optional everywhere; extra
keys are ignored):

- `{"time": T, "type": "position_opened", "position_id": "p1", "symbol": "EURUSD", "side": "buy",
   "volume": "1.0"}` with optional `"stop_loss"` and `"take_profit"` prices (the `stop_loss_required` rule
   reads `stop_loss`);
- `{"time": T, "type": "position_closed", "position_id": "p1", "profit": "-250.00"}` (net realized P&L of the
  whole position) with an optional `"reason"`: `take_profit` | `stop_loss` | `manual` | ... (a pending
  take-profit or stop-loss fill inside a news window still counts under `exclude_profit`, see news_blackout);
- `{"time": T, "type": "equity", "equity": "99750.00"}` (floating equity; the balance is unchanged);
- `{"time": T, "type": "withdrawal", "amount": "1234.56"}` with an optional `"payout_id"`: money taken out of
  the account (a paid payout); balance and equity fall by the amount (> 0). Not a trading loss: what it does
  to the loss floors is the program's `withdrawals.floors` setting (see `Program`);
- `{"time": T, "type": "deposit", "amount": "1234.56"}` with an optional `"payout_id"`: money put back (e.g.
  the compensation of a failed payout); balance and equity rise by the amount (> 0). Not a trading profit;
- `{"time": T, "type": "scale", "initial": "125000.00"}` with an optional `"scaling_id"`: the account's size
  grows to the new initial balance (a scaling plan's decision; the platform tops the balance up by the
  growth): balance and equity rise by the growth, every loss limit is taken on the new size, the trading
  profit is unchanged (see `Evaluator`). The new initial must be above the current one;
- `{"time": T, "type": "end"}` (move the clock to T, crossing day boundaries, with no trading change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from propdesk.engine.bounds import MONEY, PRICE, VOLUME
from propdesk.engine.errors import EventError
from propdesk.engine.reading import Reader

SIDES = ("buy", "sell")


@dataclass(frozen=True, slots=True)
class PositionOpened:
    type: ClassVar[str] = "position_opened"
    time: datetime
    position_id: str
    symbol: str
    side: str
    volume: Decimal
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class PositionClosed:
    type: ClassVar[str] = "position_closed"
    time: datetime
    position_id: str
    profit: Decimal
    reason: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class EquityUpdate:
    type: ClassVar[str] = "equity"
    time: datetime
    equity: Decimal
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawal:
    type: ClassVar[str] = "withdrawal"
    time: datetime
    amount: Decimal
    payout_id: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Deposit:
    type: ClassVar[str] = "deposit"
    time: datetime
    amount: Decimal
    payout_id: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    type: ClassVar[str] = "scale"
    time: datetime
    initial: Decimal  # the account's new size (its initial balance from now on)
    scaling_id: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class ClockAdvance:
    type: ClassVar[str] = "end"
    time: datetime
    event_id: str | None = None


TradingEvent = PositionOpened | PositionClosed | EquityUpdate | Withdrawal | Deposit | Scale | ClockAdvance

EVENT_TYPES = (
    PositionOpened.type,
    PositionClosed.type,
    EquityUpdate.type,
    Withdrawal.type,
    Deposit.type,
    Scale.type,
    ClockAdvance.type,
)


def parse_event(data: Mapping[str, Any]) -> TradingEvent:
    """Validate one event mapping. Raises `EventError` naming the field."""
    if not isinstance(data, Mapping):
        raise EventError("", "an event must be a JSON object")
    read = Reader(data, "", EventError)
    kind = read.choice("type", EVENT_TYPES)
    at = read.instant("time")
    event_id = read.string("event_id") if read.has("event_id") else None
    if kind == EquityUpdate.type:
        return EquityUpdate(at, read.decimal("equity"), event_id)
    if kind == PositionOpened.type:
        return PositionOpened(
            time=at,
            position_id=read.string("position_id"),
            symbol=read.string("symbol"),
            side=read.choice("side", SIDES),
            volume=read.decimal("volume", positive=True, bound=VOLUME),
            stop_loss=read.optional_decimal("stop_loss", positive=True, bound=PRICE),
            take_profit=read.optional_decimal("take_profit", positive=True, bound=PRICE),
            event_id=event_id,
        )
    if kind == PositionClosed.type:
        reason = read.string("reason") if read.has("reason") else None
        return PositionClosed(at, read.string("position_id"), read.decimal("profit"), reason, event_id)
    if kind in (Withdrawal.type, Deposit.type):
        payout_id = read.string("payout_id") if read.has("payout_id") else None
        movement = Withdrawal if kind == Withdrawal.type else Deposit
        return movement(at, read.decimal("amount", positive=True), payout_id, event_id)
    if kind == Scale.type:
        scaling_id = read.string("scaling_id") if read.has("scaling_id") else None
        return Scale(at, read.decimal("initial", positive=True, bound=MONEY), scaling_id, event_id)
    return ClockAdvance(at, event_id)


def event_to_dict(event: TradingEvent) -> dict[str, str]:
    """The wire form of an event (inverse of `parse_event`)."""
    out: dict[str, str] = {"time": event.time.isoformat(), "type": event.type}
    if isinstance(event, EquityUpdate):
        out["equity"] = str(event.equity)
    elif isinstance(event, PositionOpened):
        out |= {
            "position_id": event.position_id,
            "symbol": event.symbol,
            "side": event.side,
            "volume": str(event.volume),
        }
        if event.stop_loss is not None:
            out["stop_loss"] = str(event.stop_loss)
        if event.take_profit is not None:
            out["take_profit"] = str(event.take_profit)
    elif isinstance(event, PositionClosed):
        out |= {"position_id": event.position_id, "profit": str(event.profit)}
        if event.reason is not None:
            out["reason"] = event.reason
    elif isinstance(event, Withdrawal | Deposit):
        out["amount"] = str(event.amount)
        if event.payout_id is not None:
            out["payout_id"] = event.payout_id
    elif isinstance(event, Scale):
        out["initial"] = str(event.initial)
        if event.scaling_id is not None:
            out["scaling_id"] = event.scaling_id
    if event.event_id is not None:
        out["event_id"] = event.event_id
    return out
