"""A living market for the local system: price paths per symbol (with news spikes) and simulated traders
trading demo accounts of a fake platform's `Market` (docs/platforms.md, "A living market").

Deterministic: one seed drives every price step, news spike and trading decision, and time is the market's
own clock, so a run with the same seed and the same ticks books the same deals (reproducible demos, and
abuse detection tested on the copiers and hedgers it produces). Standard library only; prices are `Decimal`
(the random walk is drawn as a float and rounded to the symbol's digits: it is a simulation, not money).

Strategies, one per simulated trader:
- steady: one small position at a time, held a few ticks;
- reckless: large positions held long (it breaches sooner or later);
- scalper: opens and closes within a tick or two;
- copier: opens what a leader account opens, at the same instant (copy trading);
- hedger: opens opposite sides on its two accounts at the same instant (cross-account hedging).
An account the platform holds read-only or disabled (a breach enforced) opens nothing more; its trader's
positions still close as they age.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from fakes.market import FakePosition, Market

Strategy = Literal["steady", "reckless", "scalper", "copier", "hedger"]


@dataclass
class PricePath:
    """A random walk with rare news spikes (`news_chance` per tick, `news_size` times the usual step)."""

    symbol: str
    volatility: float  # the usual step, as a share of the price
    digits: int = 5
    news_chance: float = 0.02
    news_size: float = 8.0

    def step(self, price: Decimal, rng: random.Random) -> tuple[Decimal, bool]:
        news = rng.random() < self.news_chance
        move = rng.gauss(0.0, self.volatility) * (self.news_size if news else 1.0)
        moved = max(float(price) * (1.0 + move), 10.0**-self.digits)
        return Decimal(str(round(moved, self.digits))), news


@dataclass
class SimTrader:
    name: str
    strategy: Strategy
    accounts: tuple[str, ...]  # market account ids (a hedger has two)
    leader: str = ""  # for a copier: the account it copies
    symbol: str = "EURUSD"
    held: dict[str, int] = field(default_factory=dict)  # position id -> ticks held


@dataclass(frozen=True)
class TickReport:
    tick: int
    news: tuple[str, ...]
    opened: int
    closed: int


class MarketSimulator:
    def __init__(
        self, market: Market, paths: Sequence[PricePath], traders: Sequence[SimTrader], seed: int = 7
    ) -> None:
        self.market = market
        self.paths = list(paths)
        self.traders = list(traders)
        self.rng = random.Random(seed)
        self.ticks = 0
        self._copied: set[str] = set()  # leader positions already copied

    def tick(self) -> TickReport:
        """Move every price once, then let every trader act, in a fixed order."""
        news = []
        for path in self.paths:
            price, spiked = path.step(self.market.price(path.symbol), self.rng)
            self.market.set_price(path.symbol, price)
            if spiked:
                news.append(path.symbol)
        opened = closed = 0
        for trader in self.traders:
            o, c = self._act(trader)
            opened, closed = opened + o, closed + c
        self.ticks += 1
        return TickReport(self.ticks, tuple(news), opened, closed)

    # ---- strategies ----
    def _act(self, trader: SimTrader) -> tuple[int, int]:
        closed = self._age(trader)
        if trader.strategy == "copier":
            return self._copy(trader), closed
        if trader.held:
            return 0, closed
        lots, chance = {
            "steady": (Decimal("0.5"), 0.3),
            "reckless": (Decimal("20"), 0.5),
            "scalper": (Decimal("2"), 0.9),
            "hedger": (Decimal("5"), 0.2),
        }[trader.strategy]
        if self.rng.random() >= chance:
            return 0, closed
        side = "buy" if self.rng.random() < 0.5 else "sell"
        if not all(self._may_open(a) for a in trader.accounts):
            return 0, closed  # read-only or disabled (a breach): the platform lets it only close
        if trader.strategy == "hedger":
            first, second = trader.accounts[:2]
            self._open(trader, first, side, lots)
            self._open(trader, second, "sell" if side == "buy" else "buy", lots)
            return 2, closed
        self._open(trader, trader.accounts[0], side, lots)
        return 1, closed

    def _age(self, trader: SimTrader) -> int:
        limit = {"steady": 5, "reckless": 30, "scalper": 1, "copier": 4, "hedger": 6}[trader.strategy]
        closed = 0
        for position_id in sorted(trader.held):
            trader.held[position_id] += 1
            if trader.held[position_id] > limit:
                self._close(trader, position_id)
                closed += 1
        return closed

    def _copy(self, trader: SimTrader) -> int:
        leader = self.market.account(trader.leader)
        if leader is None:
            return 0
        copied = 0
        for position in sorted(leader.positions.values(), key=lambda p: p.position_id):
            if position.position_id in self._copied:
                continue
            self._copied.add(position.position_id)
            if not self._may_open(trader.accounts[0]):
                continue
            self._open(trader, trader.accounts[0], position.side, position.lots)
            copied += 1
        return copied

    def _may_open(self, account_id: str) -> bool:
        account = self.market.account(account_id)
        return account is not None and account.access == "enabled"

    def _open(self, trader: SimTrader, account_id: str, side: str, lots: Decimal) -> FakePosition:
        position = self.market.open_position(account_id, trader.symbol, side, lots)
        trader.held[f"{account_id}/{position.position_id}"] = 0
        return position

    def _close(self, trader: SimTrader, key: str) -> None:
        account_id, position_id = key.split("/", 1)
        trader.held.pop(key)
        account = self.market.account(account_id)
        if account is not None and position_id in account.positions:
            self.market.close_position(account_id, position_id)


def demo_paths() -> list[PricePath]:
    return [
        PricePath("EURUSD", 0.0004),
        PricePath("GBPUSD", 0.0005),
        PricePath("XAUUSD", 0.001, digits=2),
        PricePath("US30", 0.0008, digits=1),
    ]
