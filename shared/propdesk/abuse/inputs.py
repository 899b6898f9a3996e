"""What the detectors read: the engine's trading events, plus three kinds the engine has no use for.

- `OrderPlaced`: a pending (stop or limit) order was placed (news straddles are mostly opposite pending
  orders); wire `{"type": "order_placed", "time": T, "order_id", "symbol", "side", "volume", "price"?,
  "order_type"?: "stop" | "limit"}`.
- `IdentitySignal`: an identity fact about a trader (a sign-in IP, a device fingerprint, a card fingerprint,
  a payout destination, a KYC identity). `value` is opaque: the caller hashes it with the firm's key before
  it reaches the detectors, so no raw personal data is stored in their state or shown in evidence.
- `AccountOutcome`: the account failed, passed or asked for a payout (from the account's status changes).

Each event comes with a `Context`: who (account, trader), the fill price the platform reported (the wire's
`price` / `open_price` / `close_price`), the platform feed's quote at the fill when it was sent (the wire's
`feed_bid` and `feed_ask`: what latency arbitrage judges the fill against), and what the position book knows
(the position a closing closes, the positions open before an opening), so that no detector keeps its own
copy of open positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

from propdesk.abuse.feeds import Quote
from propdesk.engine.events import ClockAdvance, EquityUpdate, PositionClosed, PositionOpened, TradingEvent

SignalKind = Literal["ip", "device", "card", "payout_destination", "kyc_identity"]
SIGNAL_KINDS: tuple[SignalKind, ...] = ("ip", "device", "card", "payout_destination", "kyc_identity")
Network = Literal["residential", "mobile", "hosting", "unknown"]
Outcome = Literal["failed", "passed", "payout_requested"]


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    type: ClassVar[str] = "order_placed"
    time: datetime
    order_id: str
    symbol: str
    side: str
    volume: Decimal
    price: Decimal | None = None
    order_type: str = "stop"
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class IdentitySignal:
    """`network` (IPs only) comes from the IP-intelligence lookup at sign-in: a mobile carrier's address is
    shared by thousands of strangers (carrier-grade NAT), a hosting or VPN address by many."""

    type: ClassVar[str] = "identity_signal"
    time: datetime
    kind: SignalKind
    value: str
    network: Network = "unknown"
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountOutcome:
    type: ClassVar[str] = "account_outcome"
    time: datetime
    outcome: Outcome
    event_id: str | None = None


AbuseEvent = TradingEvent | OrderPlaced | IdentitySignal | AccountOutcome
TRADE_EVENTS = (PositionOpened, PositionClosed, OrderPlaced)
QUIET_EVENTS = (EquityUpdate, ClockAdvance)


@dataclass(frozen=True, slots=True)
class BookPosition:
    """An open position as the position book remembers it."""

    position_id: str
    symbol: str
    side: str
    volume: Decimal
    opened_at: datetime
    price: Decimal | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What comes with an event. `account_id` is empty for a trader-level identity signal (a sign-in IP or a
    device belongs to the trader's session, not to one account)."""

    account_id: str
    trader_id: str
    price: Decimal | None = None
    opened: BookPosition | None = None
    open_positions: tuple[BookPosition, ...] = ()
    quote: Quote | None = None


@dataclass(frozen=True, slots=True)
class Observed:
    """One event with its context: the unit a deep pass reads."""

    event: AbuseEvent
    context: Context


def opposite(side: str) -> str:
    return "sell" if side == "buy" else "buy"
