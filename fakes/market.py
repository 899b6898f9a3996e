"""A tiny trading book shared by the platform fakes: accounts with a balance, open positions valued at the
current price, closed positions, balance operations and the access a broker set. Each fake translates it
to its platform's wire format; tests and a market simulator move prices and open or close positions here.

Simplifications (a fake, not a broker): one price per symbol (no spread), the quote currency is the
account's currency (profit = price move x lots x contract size), no margin calls, no swaps or commission.
Symbols are canonical (`EURUSD`); volumes are lots; times come from an injected clock (UTC).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.platforms.symbols import DEFAULT_INSTRUMENTS

CENT = Decimal("0.01")
DEFAULT_PRICES = {
    "EURUSD": Decimal("1.10000"),
    "GBPUSD": Decimal("1.27000"),
    "XAUUSD": Decimal("2000.00"),
    "US30": Decimal("38000.0"),
    "BTCUSD": Decimal("60000.00"),
}


class ManualClock:
    """Wall-clock time that only moves when told (deal times in tests)."""

    def __init__(self, start: datetime = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current


@dataclass
class FakePosition:
    position_id: str
    symbol: str
    side: str  # buy | sell
    lots: Decimal
    open_price: Decimal
    opened_at: datetime
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None


@dataclass
class FakeDeal:
    deal_id: str
    kind: str  # open | close | balance
    time: datetime
    position_id: str = ""
    symbol: str = ""
    side: str = ""  # the position's side, on its close too
    lots: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    open_price: Decimal = Decimal(0)
    opened_at: datetime | None = None
    profit: Decimal = Decimal(0)
    reason: str = ""
    comment: str = ""
    reference: str = ""


@dataclass
class FakeOrder:
    """A working (pending) order: it opens a position when the price reaches it (the fakes never fill it)."""

    order_id: str
    symbol: str
    side: str  # buy | sell
    lots: Decimal
    order_type: str  # stop | limit
    price: Decimal
    placed_at: datetime


@dataclass
class FakeAccount:
    account_id: str
    login: str
    email: str
    currency: str
    balance: Decimal
    group: str = ""
    reference: str = ""
    access: str = "enabled"  # enabled | read_only | disabled
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    positions: dict[str, FakePosition] = field(default_factory=dict)
    deals: list[FakeDeal] = field(default_factory=list)
    orders: dict[str, FakeOrder] = field(default_factory=dict)  # working orders by id


DealListener = Callable[[FakeAccount, FakeDeal], None]


class Market:
    def __init__(
        self,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        contract_sizes: dict[str, Decimal] | None = None,
        first_login: int = 700001,
    ) -> None:
        self.now = now
        self.prices: dict[str, Decimal] = dict(DEFAULT_PRICES)
        self.contract_sizes = contract_sizes or {s: i.contract_size for s, i in DEFAULT_INSTRUMENTS.items()}
        self.accounts: dict[str, FakeAccount] = {}
        self.lock = threading.RLock()
        self.listeners: list[DealListener] = []  # told of every deal booked, under `lock` (a fake pushes it)
        self._logins = itertools.count(first_login)
        self._ids = itertools.count(1)
        # A platform that records the money an account is opened with as a deposit in its history (MT5 does;
        # the others do not say): the starting balance is then a balance deal booked at the opening.
        self.opening_deposits = False

    # ---- accounts ----
    def open_account(
        self, email: str, currency: str, balance: Decimal, group: str = "", reference: str = ""
    ) -> FakeAccount:
        with self.lock:
            login = str(next(self._logins))
            account = FakeAccount(
                account_id=login,
                login=login,
                email=email.lower(),
                currency=currency,
                balance=balance,
                group=group,
                reference=reference,
                created=self.now(),
            )
            self.accounts[account.account_id] = account
            if self.opening_deposits:
                self._book(account, FakeDeal(self.next_id(), "balance", self.now(), profit=balance,
                                             comment="Initial deposit"))  # fmt: skip
            return account

    def account(self, account_id: str) -> FakeAccount | None:
        return self.accounts.get(str(account_id))

    def by_reference(self, reference: str) -> list[FakeAccount]:
        return [a for a in self.accounts.values() if a.reference == reference]

    def next_id(self) -> str:
        return str(next(self._ids))

    # ---- trading ----
    def set_price(self, symbol: str, price: Decimal) -> None:
        self.prices[symbol] = price

    def price(self, symbol: str) -> Decimal:
        return self.prices.setdefault(symbol, Decimal(1))

    def open_position(
        self,
        account_id: str,
        symbol: str,
        side: str,
        lots: Decimal,
        price: Decimal | None = None,
        stop_loss: Decimal | None = None,
        take_profit: Decimal | None = None,
    ) -> FakePosition:
        with self.lock:
            account = self._account(account_id)
            if price is not None:
                self.set_price(symbol, price)
            now = self.now()
            position = FakePosition(
                self.next_id(), symbol, side, lots, self.price(symbol), now, stop_loss, take_profit
            )
            account.positions[position.position_id] = position
            self._book(
                account,
                FakeDeal(
                    self.next_id(),
                    "open",
                    now,
                    position.position_id,
                    symbol,
                    side,
                    lots,
                    position.open_price,
                    position.open_price,
                    now,
                ),
            )
            return position

    def close_position(
        self, account_id: str, position_id: str, price: Decimal | None = None, reason: str = "manual"
    ) -> FakeDeal:
        with self.lock:
            account = self._account(account_id)
            position = account.positions.pop(str(position_id))
            if price is not None:
                self.set_price(position.symbol, price)
            profit = self.floating(position)
            account.balance += profit
            deal = FakeDeal(
                self.next_id(),
                "close",
                self.now(),
                position.position_id,
                position.symbol,
                position.side,
                position.lots,
                self.price(position.symbol),
                position.open_price,
                position.opened_at,
                profit,
                reason,
            )
            self._book(account, deal)
            return deal

    def close_all(self, account_id: str, reason: str = "stop_out") -> list[FakeDeal]:
        with self.lock:
            account = self._account(account_id)
            return [self.close_position(account_id, p, reason=reason) for p in list(account.positions)]

    def balance_operation(
        self, account_id: str, amount: Decimal, comment: str, reference: str = ""
    ) -> FakeDeal:
        with self.lock:
            account = self._account(account_id)
            account.balance += amount
            deal = FakeDeal(
                self.next_id(), "balance", self.now(), profit=amount, comment=comment, reference=reference
            )
            self._book(account, deal)
            return deal

    def balance_deal(self, account_id: str, reference: str) -> FakeDeal | None:
        account = self._account(account_id)
        return next((d for d in account.deals if d.kind == "balance" and d.reference == reference), None)

    # ---- pending orders ----
    def place_order(
        self, account_id: str, symbol: str, side: str, lots: Decimal, order_type: str, price: Decimal
    ) -> FakeOrder:
        with self.lock:
            account = self._account(account_id)
            order = FakeOrder(self.next_id(), symbol, side, lots, order_type, price, self.now())
            account.orders[order.order_id] = order
            return order

    def cancel_order(self, account_id: str, order_id: str) -> None:
        with self.lock:
            self._account(account_id).orders.pop(str(order_id), None)

    # ---- figures ----
    def floating(self, position: FakePosition) -> Decimal:
        move = self.price(position.symbol) - position.open_price
        direction = 1 if position.side == "buy" else -1
        size = self.contract_sizes.get(position.symbol, Decimal(1))
        return (move * position.lots * size * direction).quantize(CENT)

    def equity(self, account_id: str) -> Decimal:
        account = self._account(account_id)
        return account.balance + sum((self.floating(p) for p in account.positions.values()), Decimal(0))

    def deals_between(self, account_id: str, since: datetime, until: datetime) -> Iterator[FakeDeal]:
        return (d for d in self._account(account_id).deals if since <= d.time < until)

    def _book(self, account: FakeAccount, deal: FakeDeal) -> None:
        account.deals.append(deal)
        for listener in list(self.listeners):
            listener(account, deal)

    def _account(self, account_id: str) -> FakeAccount:
        account = self.accounts.get(str(account_id))
        if account is None:
            raise KeyError(account_id)
        return account
