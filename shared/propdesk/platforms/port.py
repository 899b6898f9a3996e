"""The trading-platform port: what propdesk asks of any platform an account lives on.

Every adapter implements `TradingPlatform`. Calls that create something are never retried blindly: after an
ambiguous failure (a timeout, a 5xx) the adapter looks the account or the balance operation up by our
`reference` before trying again, so a retry never opens a second account nor moves money twice.

Refusals: `PlatformUnavailableError` (down, rate limited, 5xx, circuit open: try again later) and
`PlatformRejectedError` (a 4xx other than 429: a person must look).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

PlatformName = Literal["match-trader", "ctrader", "tradelocker", "dxtrade", "mt5"]
PLATFORMS: tuple[PlatformName, ...] = ("match-trader", "ctrader", "tradelocker", "dxtrade", "mt5")


class TradingAccess(StrEnum):
    """What the trader may do on the account at the platform."""

    ENABLED = "enabled"  # trade freely
    # log in and see, open nothing new (close-only where the platform has it, so the trader may still reduce
    # risk): a pause until the day boundary
    READ_ONLY = "read_only"
    # no trading at all (a failed, closed, refunded or disputed account); reversible: a won dispute
    # reinstates the account, so adapters never use a platform's irreversible "terminated" state for it
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Where an account lives on its platform: enough for any adapter to address it."""

    platform: PlatformName
    platform_account_id: str
    login: str
    group: str = ""  # the platform's product for the account: Match-Trader challenge id, MT5 group, ...


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What a platform needs to open an account. `reference` is ours and unique per account (the order, or the
    phase being started), so an attempt that died after creating it finds it instead of opening another."""

    reference: str
    email: str
    first_name: str
    last_name: str
    currency: str
    initial_balance: Decimal
    group: str  # the platform's product or group for the program (see `AccountRef.group`)
    phase_step: int = 1


@dataclass(frozen=True, slots=True)
class OpenedAccount:
    ref: AccountRef
    server: str  # what the trader picks in the platform's login screen
    # One-time: set only when created just now; never stored nor logged (nor in repr), only e-mailed.
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AccountFigures:
    """The platform's own view of the account's money, at `as_of`."""

    balance: Decimal
    equity: Decimal
    currency: str
    as_of: datetime


Side = Literal["buy", "sell"]


@dataclass(frozen=True, slots=True)
class OpenPosition:
    position_id: str
    symbol: str  # canonical (see `propdesk.platforms.symbols`), e.g. EURUSD
    side: Side
    volume: Decimal  # lots
    open_price: Decimal
    opened_at: datetime
    floating_profit: Decimal
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None


DealKind = Literal["open", "close", "balance"]


@dataclass(frozen=True, slots=True)
class Deal:
    """One execution or balance operation as the platform booked it; `deal_id` is the platform's own id (it
    becomes the trading event's id, so a deal delivered twice is stored once)."""

    deal_id: str
    kind: DealKind
    time: datetime
    position_id: str = ""
    symbol: str = ""  # canonical
    side: Side | None = None  # the position's side, on its close too
    volume: Decimal = Decimal(0)  # lots
    price: Decimal = Decimal(0)
    profit: Decimal = Decimal(0)  # a close's net realized P&L (commission, swap included); a balance amount
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    reason: str | None = None  # for a close: take_profit | stop_loss | manual | stop_out | ...
    # a balance operation propdesk booked (`adjust_balance`'s reference; `own_bookings`): already an engine
    # event, so it becomes none; "" for anyone else's (a broker's deposit)
    our_reference: str = ""


OrderType = Literal["stop", "limit"]


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """A working stop or limit order that would open a position, as the platform holds it. `order_id` is the
    platform's own id (it names the `order_placed` event, so an order read at every poll is stored once)."""

    order_id: str
    symbol: str  # canonical
    side: Side
    volume: Decimal  # lots
    order_type: OrderType
    placed_at: datetime
    price: Decimal | None = None  # the stop or limit price


class PlatformUnavailableError(Exception):
    """The platform could not be reached, rate-limited us, answered 5xx or its circuit is open: retry."""


class PlatformRejectedError(Exception):
    """The platform refused the request (4xx other than 429): retrying will not help, a person must look."""


class TradingPlatform(Protocol):
    name: PlatformName
    server: str

    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        """The account opened earlier under our `reference`, if any (never with a password)."""
        ...

    def create_account(self, request: NewAccount) -> OpenedAccount:
        """Open the account, funded with `initial_balance`; on an ambiguous failure look it up, never create
        twice."""
        ...

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        """Enable, make read-only or disable trading; idempotent (setting the current access is a no-op)."""
        ...

    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        """Close every open position at market (liquidation); the closing deals, empty if flat."""
        ...

    def figures(self, account: AccountRef) -> AccountFigures: ...

    def positions(self, account: AccountRef) -> list[OpenPosition]: ...

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        """Deals booked in [since, until), oldest first (for backfill after an outage and reconciliation)."""
        ...

    def adjust_balance(self, account: AccountRef, amount: Decimal, reference: str, comment: str) -> str:
        """Book a balance operation (negative: a withdrawal for a payout; positive: putting it back), once per
        `reference` (a repeat returns the same operation id). The operation is marked as ours
        (`propdesk.platforms.own_bookings`): read back, its deal carries `our_reference` and becomes no engine
        event (the caller records that event itself)."""
        ...


@runtime_checkable
class AccessReader(Protocol):
    """A platform that can say what access it holds for an account (the daily drift check). Kept apart from
    `TradingPlatform`, so an adapter without it still serves every other use (every adapter has it)."""

    def access(self, account: AccountRef) -> TradingAccess:
        """The account's access at the platform now; `PlatformRejectedError` for a state the port has no
        name for."""
        ...


@runtime_checkable
class PendingOrderReader(Protocol):
    """A platform that can list an account's working orders (for abuse detection: news straddles are opposite
    pending orders). Kept apart from `TradingPlatform` like `AccessReader`: the risk engine needs none of it,
    and a platform without such a read (Match-Trader's Broker API as used here) still serves every other
    use."""

    def pending_orders(self, account: AccountRef) -> list[PendingOrder]:
        """The account's working stop and limit orders that would open a position, oldest first; market
        orders, protection orders (stop loss, take profit of a position) and finished orders excluded."""
        ...


def access_named(names: dict[TradingAccess, str], value: object, platform: str) -> TradingAccess:
    """The port's access for a platform's own name of it (`names` maps the port's to the platform's)."""
    for access, name in names.items():
        if name == value:
            return access
    raise PlatformRejectedError(f"{platform} reports an access the port has no name for: {value!r}")
