"""A labelled synthetic population of prop-firm traders, for the abuse detectors' benchmark and tests.

Two trading weeks (Monday 2 to Friday 13 March 2026, UTC; the US moves to summer time on the 8th), about
2,800 accounts at `scale=1`, a fixed seed. The abusers are planted; every other account is clean, and the
clean ones include the overlaps that make the detectors' work hard:

- planted: copy-trading rings (a signal provider and 3-8 copiers, human-like delays of one to a few seconds,
  size noise, a fifth of the copiers sizing by a constant factor), cross-account hedging pairs (one person,
  two accounts under one or two identities sharing a device, an IP and a card; one account fails while the
  other profits), shared-identity clusters (fake identities behind one card, payout destination, KYC
  identity or device and home), scalpers, latency arbitrageurs (fills at the platform's stale price when the
  market just moved), martingale and grid traders, news straddlers (opposite stop orders or positions
  minutes before a release);
- clean: day traders (some with two accounts trading alike), the London-open crowd on EURUSD/GBPUSD, the
  US-open crowd on the indices, followers of a popular public signal channel (some signals on news),
  households of independent traders on one home IP, mobile users behind carrier-grade NAT, VPN users, device
  fingerprint collisions, nervous traders stopped out within seconds, traders averaging down once or
  pyramiding into winners, one-sided news traders and flippers; everyone's fills carry a little timestamp
  jitter against the reference feed (which, in a news spike, looks like a stale fill now and then).

Labels say which accounts are abusive for which detector (an account may be in several: a hedger under two
identities is also a shared identity), and `acts` when each planted abusive act happened (for the time from
"detectable" to the flag).

It lives under `benchmarks/` (not `shared/`): it is a fixture, it must not ship in the Lambda asset, and
the benchmark is its main user; the unit tests import it from here too.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.abuse.feeds import Quote, StaticCalendar
from propdesk.abuse.flags import DetectorName
from propdesk.abuse.inputs import AbuseEvent, AccountOutcome, IdentitySignal, OrderPlaced
from propdesk.engine.events import PositionClosed, PositionOpened
from propdesk.engine.news import NewsRelease

START = datetime(2026, 3, 2, tzinfo=UTC)
CALENDAR_DAYS = 12
TRADING_DAYS = [
    START + timedelta(days=day) for day in range(CALENDAR_DAYS) if (START + timedelta(days=day)).weekday() < 5
]
US_SUMMER_TIME = datetime(2026, 3, 8, 7, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    mid: float
    spread: float
    tick: str
    daily_vol: float
    lot_value: float  # account currency per 1.0 price move per lot


SYMBOLS: dict[str, SymbolSpec] = {
    "EURUSD": SymbolSpec(1.0850, 0.00008, "0.00001", 0.005, 100_000),
    "GBPUSD": SymbolSpec(1.2700, 0.00012, "0.00001", 0.006, 100_000),
    "USDJPY": SymbolSpec(150.00, 0.012, "0.001", 0.006, 667),
    "XAUUSD": SymbolSpec(2900.0, 0.30, "0.01", 0.010, 100),
    "US30": SymbolSpec(43000.0, 2.0, "0.1", 0.010, 1),
    "NAS100": SymbolSpec(20500.0, 1.5, "0.1", 0.012, 1),
}
FX = ["EURUSD", "GBPUSD", "USDJPY"]

# Illustrative high-impact releases (UTC): (time, symbols, title)
NEWS = [
    ("2026-03-02T15:00:00", ["EURUSD", "US30", "NAS100", "XAUUSD"], "US ISM manufacturing PMI"),
    ("2026-03-04T13:15:00", ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"], "US ADP employment"),
    ("2026-03-04T15:00:00", ["EURUSD", "US30", "NAS100"], "US ISM services PMI"),
    ("2026-03-05T13:15:00", ["EURUSD"], "ECB rate decision"),
    (
        "2026-03-06T13:30:00",
        ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "US30", "NAS100"],
        "US non-farm payrolls",
    ),
    ("2026-03-10T07:00:00", ["GBPUSD"], "UK GDP"),
    ("2026-03-11T12:30:00", ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "US30", "NAS100"], "US CPI"),
    ("2026-03-12T12:30:00", ["EURUSD", "USDJPY", "XAUUSD"], "US PPI"),
    ("2026-03-12T18:00:00", ["USDJPY", "US30", "NAS100", "XAUUSD"], "FOMC minutes"),
    ("2026-03-13T14:00:00", ["EURUSD", "US30"], "US consumer sentiment"),
]
RELEASES = tuple(
    NewsRelease(datetime.fromisoformat(at).replace(tzinfo=UTC), frozenset(symbols), title)
    for at, symbols, title in NEWS
)


@dataclass(frozen=True, slots=True)
class Planted:
    """One event of the population with what the stream would carry beside it."""

    event: AbuseEvent
    account_id: str
    trader_id: str
    price: Decimal | None = None


@dataclass
class Population:
    records: list[Planted]
    labels: dict[DetectorName, frozenset[str]]
    acts: dict[DetectorName, dict[str, list[datetime]]]
    owners: dict[str, str]  # account -> trader
    kinds: dict[str, str]  # account -> archetype (for reading false positives)
    feed: SyntheticFeed
    calendar: StaticCalendar

    @property
    def accounts(self) -> list[str]:
        return sorted(self.owners)


# -- the market ------------------------------------------------------------------------------------------


class SyntheticFeed:
    """The reference market: a minute random walk per symbol, jumps at the releases that target it and at the
    US open (indices), and a few seconds-scale waves of about two spreads. The spread triples for 30 s after
    a jump. Deterministic for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self._start = START.timestamp()
        minutes = CALENDAR_DAYS * 1440 + 1
        self._paths: dict[str, list[float]] = {}
        self._waves: dict[str, list[tuple[float, float, float]]] = {}
        self._jumps: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for symbol, spec in SYMBOLS.items():
            step = spec.daily_vol / math.sqrt(1440)
            path, level = [], math.log(spec.mid)
            for _ in range(minutes):
                path.append(math.exp(level))
                level += rng.gauss(0, step)
            self._paths[symbol] = path
            self._waves[symbol] = [
                (amplitude * spec.spread, period, rng.uniform(0, 2 * math.pi))
                for amplitude, period in ((0.8, 7.0), (0.6, 13.0), (0.5, 29.0), (0.4, 61.0))
            ]
        for release in RELEASES:
            for symbol in sorted(release.symbols):
                spec = SYMBOLS[symbol]
                size = rng.uniform(10, 40) * spec.spread * rng.choice((-1, 1))
                self._jumps[symbol].append((release.time.timestamp(), size))
        for day in TRADING_DAYS:
            for symbol in ("US30", "NAS100"):
                spec = SYMBOLS[symbol]
                self._jumps[symbol].append(
                    (us_open(day).timestamp(), rng.uniform(8, 30) * spec.spread * rng.choice((-1, 1)))
                )
        for jumps in self._jumps.values():
            jumps.sort()
        self._jump_times = {symbol: [at for at, _ in jumps] for symbol, jumps in self._jumps.items()}

    def mid(self, symbol: str, moment: float) -> float:
        path = self._paths[symbol]
        offset = (moment - self._start) / 60
        index = min(max(int(offset), 0), len(path) - 2)
        fraction = offset - index
        value = path[index] * (1 - fraction) + path[index + 1] * fraction
        for amplitude, period, phase in self._waves[symbol]:
            value += amplitude * math.sin(2 * math.pi * moment / period + phase)
        jumps = self._jumps.get(symbol)
        if jumps:
            times = self._jump_times[symbol]
            settled = bisect_right(times, moment - 20)
            value += sum(size for _, size in jumps[:settled])
            for at, size in jumps[settled : bisect_right(times, moment + 20)]:
                value += size / (1 + math.exp(-(moment - at) / 1.5))
        return value

    def spread(self, symbol: str, moment: float) -> float:
        spec = SYMBOLS[symbol]
        times = self._jump_times.get(symbol, [])
        index = bisect_right(times, moment)
        fast = index > 0 and moment - times[index - 1] < 30
        return spec.spread * (3 if fast else 1)

    def quote_float(self, symbol: str, moment: float) -> tuple[float, float]:
        mid, half = self.mid(symbol, moment), self.spread(symbol, moment) / 2
        return mid - half, mid + half

    def quote_at(self, symbol: str, at: datetime) -> Quote | None:
        if symbol not in SYMBOLS:
            return None
        bid, ask = self.quote_float(symbol, at.timestamp())
        return Quote(price(symbol, bid), price(symbol, ask))


def price(symbol: str, value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(SYMBOLS[symbol].tick))


def london_open(day: datetime) -> datetime:
    return day.replace(hour=8)


def us_open(day: datetime) -> datetime:
    return day.replace(hour=14 if day < US_SUMMER_TIME else 13, minute=30)


# -- the people ------------------------------------------------------------------------------------------


@dataclass
class Trader:
    trader_id: str
    accounts: list[str]
    lot: float
    symbols: list[str]
    home_ip: str
    devices: list[str]
    card: str
    kyc: str
    payout: str
    mobile_ip: str | None = None
    vpn_ip: str | None = None


@dataclass
class World:
    rng: random.Random
    feed: SyntheticFeed
    records: list[tuple[float, int, Planted]] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    labels: dict[DetectorName, set[str]] = field(default_factory=lambda: defaultdict(set))
    acts: dict[DetectorName, dict[str, list[datetime]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    planted_links: list[tuple[list[Trader], tuple[str, ...]]] = field(default_factory=list)
    serial: int = 0
    traders: int = 0
    positions: int = 0

    # -- making people ---------------------------------------------------------------------------------

    def trader(self, kind: str, accounts: int = 1, **overrides: Any) -> Trader:
        self.traders += 1
        tid = f"t{self.traders:05d}"
        rng = self.rng
        ids = []
        for _ in range(accounts):
            aid = f"a{len(self.owners) + 1:05d}"
            self.owners[aid] = tid
            self.kinds[aid] = kind
            ids.append(aid)
        lot = rng.choice((0.1, 0.2, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 5.0))
        symbols = rng.sample(list(SYMBOLS), rng.choice((1, 2, 2, 3)))
        if rng.random() < 0.6 and "EURUSD" not in symbols:
            symbols[0] = "EURUSD"
        person = Trader(
            trader_id=tid,
            accounts=ids,
            lot=lot,
            symbols=symbols,
            home_ip=f"ip-home-{tid}",
            devices=[f"dev-{tid}"] + ([f"dev-{tid}-phone"] if rng.random() < 0.3 else []),
            card=f"card-{tid}",
            kyc=f"kyc-{tid}",
            payout=f"payout-{tid}",
        )
        for name, value in overrides.items():
            setattr(person, name, value)
        return person

    # -- events ----------------------------------------------------------------------------------------

    def emit(
        self, moment: float, event: AbuseEvent, account: str, trader: str, fill: Decimal | None = None
    ) -> None:
        self.serial += 1
        self.records.append((moment, self.serial, Planted(event, account, trader, fill)))

    def signal(
        self,
        person: Trader,
        moment: float,
        kind: Any,
        value: str,
        network: Any = "unknown",
        account: str = "",
    ) -> None:
        self.emit(moment, IdentitySignal(at(moment), kind, value, network), account, person.trader_id)

    def fill(self, symbol: str, side: str, moment: float, jitter: float = 0.25) -> float:
        """An honest fill: the quote a few hundred milliseconds either side (platform and reference clocks
        differ), slippage mostly adverse."""
        bid, ask = self.feed.quote_float(symbol, moment + self.rng.gauss(0, jitter))
        slip = abs(self.rng.gauss(0, 0.15)) * SYMBOLS[symbol].spread * (1 if self.rng.random() < 0.7 else -1)
        return ask + slip if side == "buy" else bid - slip

    def trade(
        self,
        person: Trader,
        account: str,
        symbol: str,
        side: str,
        volume: float,
        opened: float,
        closed: float,
        *,
        open_fill: float | None = None,
        close_fill: float | None = None,
    ) -> str:
        self.positions += 1
        pid = f"p{self.positions:07d}"
        volume = max(0.01, round(volume, 2))
        entry = open_fill if open_fill is not None else self.fill(symbol, side, opened)
        other = "sell" if side == "buy" else "buy"
        leave = close_fill if close_fill is not None else self.fill(symbol, other, closed)
        entry_price, exit_price = price(symbol, entry), price(symbol, leave)
        direction = 1 if side == "buy" else -1
        profit = (
            (exit_price - entry_price)
            * direction
            * Decimal(str(volume))
            * Decimal(str(SYMBOLS[symbol].lot_value))
        )
        tid = person.trader_id
        self.emit(
            opened,
            PositionOpened(at(opened), pid, symbol, side, Decimal(str(volume)), event_id=f"mt:{pid}o"),
            account,
            tid,
            entry_price,
        )
        self.emit(
            closed,
            PositionClosed(at(closed), pid, profit.quantize(Decimal("0.01")), event_id=f"mt:{pid}c"),
            account,
            tid,
            exit_price,
        )
        return pid

    def order(
        self, person: Trader, account: str, symbol: str, side: str, volume: float, moment: float, level: float
    ) -> None:
        self.serial += 1
        order = OrderPlaced(
            at(moment),
            f"o{self.serial:07d}",
            symbol,
            side,
            Decimal(str(round(volume, 2))),
            price(symbol, level),
            "stop",
            f"mt:o{self.serial}",
        )
        self.emit(moment, order, account, person.trader_id)

    def outcome(self, person: Trader, account: str, moment: float, outcome: Any) -> None:
        self.emit(moment, AccountOutcome(at(moment), outcome), account, person.trader_id)

    def label(self, detector: DetectorName, account: str, *acts: float) -> None:
        self.labels[detector].add(account)
        self.acts[detector][account].extend(at(moment) for moment in acts)


def at(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def trading_moment(rng: random.Random, day: datetime) -> float:
    """A moment of a trading day, busiest in the London morning and the New York afternoon."""
    session = rng.random()
    if session < 0.45:
        hour = rng.uniform(7, 12)
    elif session < 0.9:
        hour = rng.uniform(12.5, 18)
    else:
        hour = rng.uniform(18, 21)
    return day.timestamp() + hour * 3600


def hold(rng: random.Random, median_minutes: float, sigma: float = 1.0) -> float:
    return max(61.0, 60 * median_minutes * math.exp(rng.gauss(0, sigma)))


# -- identity signals ------------------------------------------------------------------------------------


def identities(world: World, person: Trader, sign_in_rate: float = 0.8) -> None:
    """The signals everyone sends: the card of each purchase and the KYC identity before the period; on
    trading days, sign-ins (IP and device); a payout destination for some."""
    rng = world.rng
    before = START.timestamp() - rng.uniform(3600, 20 * 86400)
    world.signal(person, before, "kyc_identity", person.kyc)
    for account in person.accounts:
        world.signal(person, before + rng.uniform(0, 3600), "card", person.card, account=account)
    for day in TRADING_DAYS:
        if rng.random() > sign_in_rate:
            continue
        moment = day.timestamp() + rng.uniform(6.5, 9) * 3600
        roll = rng.random()
        if person.mobile_ip and roll < 0.35:
            world.signal(person, moment, "ip", person.mobile_ip, "mobile")
        elif person.vpn_ip and roll < 0.6:
            world.signal(person, moment, "ip", person.vpn_ip, "hosting")
        else:
            world.signal(person, moment, "ip", person.home_ip, "residential")
        world.signal(person, moment + 1, "device", rng.choice(person.devices))
    if rng.random() < 0.3:
        moment = rng.choice(TRADING_DAYS).timestamp() + rng.uniform(10, 20) * 3600
        world.signal(person, moment, "payout_destination", person.payout, account=person.accounts[0])


# -- clean traders ---------------------------------------------------------------------------------------


def day_trader(world: World, person: Trader, per_day: float = 2.5, twin_accounts: bool = False) -> None:
    rng = world.rng
    for day in TRADING_DAYS:
        if rng.random() > 0.7:
            continue
        for _ in range(poisson(rng, per_day)):
            symbol = rng.choice(person.symbols)
            side = rng.choice(("buy", "sell"))
            volume = person.lot * rng.choice((1, 1, 1, 1, 1, 1, 1, 1, 0.5, 2))
            opened = trading_moment(rng, day)
            closed = opened + hold(rng, 25, 1.2)
            if rng.random() < 0.1:
                bid, ask = world.feed.quote_float(symbol, opened - 600)
                world.order(
                    person,
                    person.accounts[0],
                    symbol,
                    side,
                    volume,
                    opened - rng.uniform(60, 1800),
                    (ask if side == "buy" else bid),
                )
            accounts = (
                person.accounts if twin_accounts and rng.random() < 0.5 else [rng.choice(person.accounts)]
            )
            for account in accounts:
                world.trade(person, account, symbol, side, volume, opened + rng.uniform(0, 20), closed)


def london_crowd(world: World, person: Trader, bias: dict[datetime, str]) -> None:
    rng = world.rng
    symbol = rng.choice(("EURUSD", "EURUSD", "GBPUSD"))
    for day in TRADING_DAYS:
        if rng.random() < 0.8:
            side = bias[day] if rng.random() < 0.7 else other_side(bias[day])
            opened = london_open(day).timestamp() + rng.expovariate(1 / 40)
            world.trade(
                person, person.accounts[0], symbol, side, person.lot, opened, opened + hold(rng, 80, 0.7)
            )
        for _ in range(poisson(rng, 0.8)):
            opened = trading_moment(rng, day)
            world.trade(
                person,
                person.accounts[0],
                rng.choice(person.symbols),
                rng.choice(("buy", "sell")),
                person.lot,
                opened,
                opened + hold(rng, 30),
            )


def us_crowd(world: World, person: Trader, bias: dict[datetime, str]) -> None:
    rng = world.rng
    symbol = rng.choice(("US30", "NAS100"))
    for day in TRADING_DAYS:
        if rng.random() < 0.75:
            side = bias[day] if rng.random() < 0.65 else other_side(bias[day])
            opened = us_open(day).timestamp() + rng.expovariate(1 / 30)
            minutes = 0.6 if rng.random() < 0.1 else 20
            world.trade(
                person,
                person.accounts[0],
                symbol,
                side,
                person.lot,
                opened,
                opened + max(20.0, 60 * minutes * math.exp(rng.gauss(0, 0.6))),
            )
        for _ in range(poisson(rng, 0.6)):
            opened = trading_moment(rng, day)
            world.trade(
                person,
                person.accounts[0],
                rng.choice(person.symbols),
                rng.choice(("buy", "sell")),
                person.lot,
                opened,
                opened + hold(rng, 30),
            )


def signal_follower(world: World, person: Trader, posts: list[tuple[float, str, str, float]]) -> None:
    """Takes about half the posts of a public channel, a minute or two after each, at their own size."""
    rng = world.rng
    for posted, symbol, side, closes in posts:
        if rng.random() < 0.5:
            opened = posted + 90 * math.exp(rng.gauss(0, 0.9))
            closed = max(opened + 61, closes + 120 * math.exp(rng.gauss(0, 0.9)))
            world.trade(
                person,
                person.accounts[0],
                symbol,
                side,
                person.lot * rng.choice((1, 1, 0.5, 2)),
                opened,
                closed,
            )
    day_trader(world, person, per_day=1.0)


def nervous(world: World, person: Trader) -> None:
    """Stopped out within seconds on a share of their trades (a tight stop in a noisy market)."""
    rng = world.rng
    quick = rng.uniform(0.2, 0.35)
    for day in TRADING_DAYS:
        for _ in range(poisson(rng, 4)):
            symbol, side = rng.choice(person.symbols), rng.choice(("buy", "sell"))
            opened = trading_moment(rng, day)
            if rng.random() < quick:
                closed = opened + rng.uniform(8, 55)
                bid, ask = world.feed.quote_float(symbol, closed)
                spec = SYMBOLS[symbol]
                stop = (bid - 2 * spec.spread) if side == "buy" else (ask + 2 * spec.spread)
                world.trade(
                    person, person.accounts[0], symbol, side, person.lot, opened, closed, close_fill=stop
                )
            else:
                world.trade(
                    person, person.accounts[0], symbol, side, person.lot, opened, opened + hold(rng, 30)
                )


def averager(world: World, person: Trader) -> None:
    """Adds one to three times at the same or a smaller size, wherever the price went (averaging down or
    pyramiding): never a habit of doubling."""
    rng = world.rng
    for day in TRADING_DAYS:
        if rng.random() > 0.7:
            continue
        symbol, side = rng.choice(person.symbols), rng.choice(("buy", "sell"))
        opened = trading_moment(rng, day)
        closed = opened + hold(rng, 180, 0.4)
        world.trade(person, person.accounts[0], symbol, side, person.lot, opened, closed)
        moment = opened
        adds = rng.choice((1, 1, 2, 3))
        for _ in range(adds):
            moment += rng.uniform(600, 2400)
            if moment >= closed - 60:
                break
            world.trade(
                person, person.accounts[0], symbol, side, person.lot * rng.choice((1, 1, 0.5)), moment, closed
            )
        day_trader_one(world, person, day)


def day_trader_one(world: World, person: Trader, day: datetime) -> None:
    opened = trading_moment(world.rng, day)
    world.trade(
        person,
        person.accounts[0],
        world.rng.choice(person.symbols),
        world.rng.choice(("buy", "sell")),
        person.lot,
        opened,
        opened + hold(world.rng, 30),
    )


def news_trader(world: World, person: Trader) -> None:
    """Trades the news one way: one stop order or one position before the release, or a flip after it."""
    rng = world.rng
    for release in RELEASES:
        symbols = [symbol for symbol in person.symbols if symbol in release.symbols]
        if not symbols or rng.random() > 0.6:
            continue
        symbol = symbols[0]
        moment = release.time.timestamp()
        side = rng.choice(("buy", "sell"))
        style = rng.random()
        if style < 0.35:
            bid, ask = world.feed.quote_float(symbol, moment - 120)
            spec = SYMBOLS[symbol]
            level = ask + 5 * spec.spread if side == "buy" else bid - 5 * spec.spread
            world.order(
                person, person.accounts[0], symbol, side, person.lot, moment - rng.uniform(30, 240), level
            )
            world.trade(
                person,
                person.accounts[0],
                symbol,
                side,
                person.lot,
                moment + rng.uniform(1, 6),
                moment + rng.uniform(120, 900),
            )
        elif style < 0.7:
            opened = moment - rng.uniform(20, 240)
            world.trade(
                person, person.accounts[0], symbol, side, person.lot, opened, moment + rng.uniform(60, 1200)
            )
        else:
            first = moment - rng.uniform(300, 900)
            flip = moment + rng.uniform(20, 90)
            world.trade(person, person.accounts[0], symbol, side, person.lot, first, flip)
            world.trade(
                person,
                person.accounts[0],
                symbol,
                other_side(side),
                person.lot,
                flip + rng.uniform(2, 30),
                flip + rng.uniform(300, 1500),
            )
    day_trader(world, person, per_day=1.5)


# -- abusers ---------------------------------------------------------------------------------------------


def copy_ring(world: World, size: int) -> None:
    rng = world.rng
    leader = world.trader("ring_leader")
    copiers = [world.trader("ring_copier") for _ in range(size)]
    for person in (leader, *copiers):
        identities(world, person)
    styles = []
    for _ in copiers:
        scale = 1.0 if rng.random() < 0.8 else rng.choice((0.5, 2.0))
        styles.append((rng.uniform(1.5, 8.0), scale, rng.uniform(0.6, 0.95)))
    symbols = rng.sample(list(SYMBOLS), 3)
    if rng.random() < 0.6 and "EURUSD" not in symbols:
        symbols[0] = "EURUSD"
    for day in TRADING_DAYS:
        for _ in range(rng.randint(3, 6)):
            symbol, side = rng.choice(symbols), rng.choice(("buy", "sell"))
            opened = (
                london_open(day).timestamp() + rng.expovariate(1 / 40)
                if rng.random() < 0.1
                else trading_moment(rng, day)
            )
            closed = opened + hold(rng, 40)
            volume = leader.lot * rng.choice((1, 1, 1, 0.5, 2))
            world.trade(leader, leader.accounts[0], symbol, side, volume, opened, closed)
            copied_at = []
            for copier, (delay, scale, takes) in zip(copiers, styles, strict=True):
                if rng.random() > takes:
                    continue
                lag = min(40.0, delay * math.exp(rng.gauss(0, 0.5)))
                size_noise = 1 + rng.gauss(0, 0.04)
                world.trade(
                    copier,
                    copier.accounts[0],
                    symbol,
                    side,
                    volume * scale * size_noise,
                    opened + lag,
                    closed + delay * math.exp(rng.gauss(0, 0.5)),
                )
                world.label("copy_trading", copier.accounts[0], opened + lag)
                copied_at.append(opened + lag)
            if copied_at:
                world.label("copy_trading", leader.accounts[0], min(copied_at))
        for copier in copiers:
            if rng.random() < 0.3:
                day_trader_one(world, copier, day)


def hedging_pair(world: World, two_identities: bool) -> None:
    rng = world.rng
    first = world.trader("hedger", accounts=1 if two_identities else 2)
    people = [first]
    if two_identities:
        second = world.trader("hedger", home_ip=first.home_ip, devices=list(first.devices), card=first.card)
        people.append(second)
    for person in people:
        identities(world, person)
    owners = [(people[0], people[0].accounts[0]), (people[-1], people[-1].accounts[-1])]
    lot = rng.choice((2.0, 3.0, 5.0))
    symbol_pool = rng.sample(list(SYMBOLS), 2)
    fail_day = rng.randint(4, 8)
    for number, day in enumerate(TRADING_DAYS):
        if number > fail_day:
            break
        for _ in range(rng.randint(1, 2)):
            symbol = rng.choice(symbol_pool)
            side = rng.choice(("buy", "sell"))
            opened = trading_moment(rng, day)
            second_at = opened + rng.uniform(5, 90)
            closed = opened + hold(rng, 45, 0.6)
            legs = [(owners[0], side, opened), (owners[1], other_side(side), second_at)]
            rng.shuffle(legs)
            for (person, account), leg_side, moment in legs:
                world.trade(
                    person,
                    account,
                    symbol,
                    leg_side,
                    lot * (1 + rng.gauss(0, 0.03)),
                    moment,
                    closed + rng.uniform(0, 60),
                )
            later = max(opened, second_at)
            for _, account in owners:
                world.label("hedging", account, later)
        for person, account in owners:
            if rng.random() < 0.4:
                opened = trading_moment(rng, day)
                world.trade(
                    person,
                    account,
                    rng.choice(person.symbols),
                    rng.choice(("buy", "sell")),
                    person.lot,
                    opened,
                    opened + hold(rng, 30),
                )
    # the loser fails at the end of its last day; which one is decided by the trades above
    last = TRADING_DAYS[min(fail_day, len(TRADING_DAYS) - 1)].timestamp() + 21.5 * 3600
    loser = rng.choice(owners)
    world.outcome(loser[0], loser[1], last, "failed")
    if two_identities:
        world.planted_links.append((people, ("card", "device", "ip")))
        for _, account in owners:
            world.labels["shared_identity"].add(account)


def identity_cluster(world: World, size: int, variant: str) -> None:
    rng = world.rng
    first = world.trader("identity_cluster")
    people = [first]
    for _ in range(size - 1):
        shared: dict[str, Any] = {}
        if variant == "device_payout":
            shared = {"devices": [first.devices[0]], "payout": first.payout}
        elif variant == "card":
            shared = {"card": first.card}
        elif variant == "kyc":
            shared = {"kyc": first.kyc}
        else:
            shared = {"devices": [first.devices[0]], "home_ip": first.home_ip}
        people.append(world.trader("identity_cluster", **shared))
    for person in people:
        identities(world, person, sign_in_rate=0.9)
        if variant == "device_payout":
            moment = TRADING_DAYS[rng.randint(0, 6)].timestamp() + rng.uniform(10, 20) * 3600
            world.signal(person, moment, "payout_destination", person.payout, account=person.accounts[0])
        day_trader(world, person)
    kinds = {"device_payout": ("device", "payout_destination"), "card": ("card",), "kyc": ("kyc_identity",)}
    world.planted_links.append((people, kinds.get(variant, ("device", "ip"))))
    for person in people:
        world.labels["shared_identity"].add(person.accounts[0])


def scalper(world: World, person: Trader) -> None:
    """Dozens of trades a day, most closed within seconds. They wait for a burst of momentum (a move of 1.5
    spreads or more over the seconds they hold) and mostly catch its direction: the scalps make their money
    (the edge the firms forbid, e.g. a demo server's execution); fills are honest."""
    rng = world.rng
    quick = rng.uniform(0.7, 0.9)
    right = rng.uniform(0.8, 0.9)
    for day in TRADING_DAYS:
        for _ in range(rng.randint(15, 40)):
            symbol = rng.choice(person.symbols)
            opened = trading_moment(rng, day)
            if rng.random() < quick:
                held = rng.uniform(5, 50)
                for _ in range(300):
                    move = world.feed.mid(symbol, opened + held) - world.feed.mid(symbol, opened)
                    if abs(move) >= 1.5 * SYMBOLS[symbol].spread:
                        break
                    opened += 1
                closed = opened + held
                side = "buy" if (move > 0) == (rng.random() < right) else "sell"
                world.trade(person, person.accounts[0], symbol, side, person.lot, opened, closed)
                world.label("scalping", person.accounts[0], closed)
            else:
                side = rng.choice(("buy", "sell"))
                world.trade(
                    person, person.accounts[0], symbol, side, person.lot, opened, opened + hold(rng, 8)
                )


def latency_arbitrageur(world: World, person: Trader) -> None:
    """Trades the moments the reference market has just moved and the platform's price has not: buys at the
    platform's stale ask after a rise, sells at the stale bid after a fall; no move, no trade."""
    rng = world.rng
    lag = rng.uniform(1.5, 3.0)
    for day in TRADING_DAYS:
        for _ in range(rng.randint(8, 20)):
            symbol = rng.choice(person.symbols)
            spec = SYMBOLS[symbol]
            moment = trading_moment(rng, day)
            if rng.random() < 0.2:
                side = rng.choice(("buy", "sell"))
                world.trade(
                    person, person.accounts[0], symbol, side, person.lot, moment, moment + hold(rng, 5)
                )
                continue
            for _ in range(900):
                moment += 1
                move = world.feed.mid(symbol, moment) - world.feed.mid(symbol, moment - lag)
                if abs(move) > 1.5 * spec.spread:
                    break
            else:
                continue
            side = "buy" if move > 0 else "sell"
            bid, ask = world.feed.quote_float(symbol, moment - lag)
            stale = ask if side == "buy" else bid
            world.trade(
                person,
                person.accounts[0],
                symbol,
                side,
                person.lot,
                moment,
                moment + hold(rng, 4, 0.5),
                open_fill=stale,
            )
            world.label("latency_arbitrage", person.accounts[0], moment)


def ladder_trader(world: World, person: Trader, ratio: float, max_adds: int, step_share: float) -> None:
    """Opens, and adds `ratio` times the last size each time the price goes `step` further against the last
    entry, up to `max_adds`; closes everything once the price is a step's worth beyond the average entry (or
    at the day's end)."""
    rng = world.rng
    kind = "martingale" if ratio > 1.2 else "grid"
    needed = 2 if kind == "martingale" else 4
    for day in TRADING_DAYS:
        for _ in range(rng.randint(2, 3)):
            symbol, side = rng.choice(person.symbols), rng.choice(("buy", "sell"))
            spec = SYMBOLS[symbol]
            step = spec.mid * spec.daily_vol * step_share
            take_profit = step * rng.uniform(0.8, 1.2)
            moment = trading_moment(rng, day)
            end = day.timestamp() + 21.8 * 3600
            if moment >= end - 3600:
                continue
            volume = person.lot * 0.2
            legs = [(moment, volume, world.fill(symbol, side, moment))]
            direction = 1 if side == "buy" else -1
            while moment < end:
                moment += 60
                mid = world.feed.mid(symbol, moment)
                total = sum(v for _, v, _ in legs)
                average = sum(v * p for _, v, p in legs) / total
                if (mid - average) * direction > take_profit:
                    break
                if len(legs) <= max_adds and (legs[-1][2] - mid) * direction >= step:
                    volume = (
                        round(legs[-1][1] * ratio * (1 + rng.gauss(0, 0.03)), 2)
                        if kind == "martingale"
                        else legs[-1][1]
                    )
                    legs.append((moment, volume, world.fill(symbol, side, moment)))
                    if len(legs) - 1 == needed:
                        world.label("martingale_grid", person.accounts[0], moment)
            for opened, size, entry in legs:
                world.trade(
                    person,
                    person.accounts[0],
                    symbol,
                    side,
                    size,
                    opened,
                    moment + rng.uniform(0, 3),
                    open_fill=entry,
                )
    world.labels["martingale_grid"].add(person.accounts[0])


def news_straddler(world: World, person: Trader) -> None:
    rng = world.rng
    positions = rng.random() < 0.3
    for release in RELEASES:
        symbols = [symbol for symbol in person.symbols if symbol in release.symbols]
        if not symbols or rng.random() > 0.85:
            continue
        symbol = symbols[0]
        spec = SYMBOLS[symbol]
        moment = release.time.timestamp()
        volume = person.lot * rng.choice((1, 2))
        placed = moment - rng.uniform(30, 240)
        if positions:
            second = placed + rng.uniform(1, 20)
            world.trade(
                person, person.accounts[0], symbol, "buy", volume, placed, moment + rng.uniform(10, 60)
            )
            world.trade(
                person, person.accounts[0], symbol, "sell", volume, second, moment + rng.uniform(60, 600)
            )
            world.label("news_straddling", person.accounts[0], second)
            continue
        bid, ask = world.feed.quote_float(symbol, placed)
        world.order(person, person.accounts[0], symbol, "buy", volume, placed, ask + 5 * spec.spread)
        second = placed + rng.uniform(1, 20)
        world.order(person, person.accounts[0], symbol, "sell", volume, second, bid - 5 * spec.spread)
        world.label("news_straddling", person.accounts[0], second)
        jumped = (
            "buy" if world.feed.mid(symbol, moment + 20) > world.feed.mid(symbol, moment - 20) else "sell"
        )
        world.trade(
            person,
            person.accounts[0],
            symbol,
            jumped,
            volume,
            moment + rng.uniform(1, 6),
            moment + rng.uniform(90, 600),
        )
    day_trader(world, person, per_day=1.5)


# -- the population --------------------------------------------------------------------------------------


def generate(seed: int = 2026, scale: float = 1.0) -> Population:
    """The population; `scale` multiplies every group's size (tests use a small one)."""
    rng = random.Random(seed)
    world = World(rng, SyntheticFeed(rng))

    def count(number: int) -> int:
        return max(1, round(number * scale))

    carriers = [f"ip-cgnat-{n}" for n in range(12)]
    vpns = [f"ip-vpn-{n}" for n in range(6)]
    collisions = [f"dev-popular-{n}" for n in range(20)]
    bias_london = {day: rng.choice(("buy", "sell")) for day in TRADING_DAYS}
    bias_us = {day: rng.choice(("buy", "sell")) for day in TRADING_DAYS}
    posts = channel_posts(rng)

    def clean(kind: str, accounts: int = 1) -> Trader:
        person = world.trader(kind, accounts=accounts)
        if rng.random() < 0.3:
            person.mobile_ip = rng.choice(carriers)
        if rng.random() < 0.05:
            person.vpn_ip = rng.choice(vpns)
        if rng.random() < 0.03:
            person.devices.append(rng.choice(collisions))
        return person

    households = []
    for _ in range(count(1400)):
        person = clean("day_trader", accounts=2 if rng.random() < 0.15 else 1)
        identities(world, person)
        day_trader(world, person, per_day=rng.uniform(1, 4), twin_accounts=len(person.accounts) > 1)
        households.append(person)
    # households: 2 to 4 day traders share a home IP (each with their own devices and cards)
    rng.shuffle(households)
    index = 0
    for _ in range(count(60)):
        members = households[index : index + rng.randint(2, 4)]
        index += len(members)
        for member in members[1:]:
            member.home_ip = members[0].home_ip
            for day in TRADING_DAYS:
                if rng.random() < 0.5:
                    moment = day.timestamp() + rng.uniform(18, 22) * 3600
                    world.signal(member, moment, "ip", member.home_ip, "residential")
    for _ in range(count(350)):
        person = clean("london_crowd")
        identities(world, person)
        london_crowd(world, person, bias_london)
    for _ in range(count(150)):
        person = clean("us_open_crowd")
        identities(world, person)
        us_crowd(world, person, bias_us)
    for _ in range(count(150)):
        person = clean("signal_follower")
        identities(world, person)
        signal_follower(world, person, posts)
    for _ in range(count(80)):
        person = clean("nervous")
        identities(world, person)
        nervous(world, person)
    for _ in range(count(80)):
        person = clean("averager")
        identities(world, person)
        averager(world, person)
    for _ in range(count(100)):
        person = clean("news_trader")
        person.symbols = rng.sample(list(SYMBOLS), 2)
        identities(world, person)
        news_trader(world, person)

    for _ in range(count(12)):
        copy_ring(world, rng.randint(3, 8))
    for number in range(count(20)):
        hedging_pair(world, two_identities=number % 5 < 3)
    variants = ("device_payout", "card", "kyc", "device_home")
    for number in range(count(25)):
        identity_cluster(world, rng.randint(2, 4), variants[number % 4])
    for _ in range(count(30)):
        person = world.trader("scalper")
        identities(world, person)
        scalper(world, person)
    for _ in range(count(20)):
        person = world.trader("latency_arbitrageur")
        identities(world, person)
        latency_arbitrageur(world, person)
    for number in range(count(30)):
        person = world.trader("martingale" if number % 2 == 0 else "grid")
        identities(world, person)
        if number % 2 == 0:
            ladder_trader(
                world, person, ratio=rng.uniform(1.8, 2.2), max_adds=rng.randint(3, 5), step_share=0.15
            )
        else:
            ladder_trader(world, person, ratio=1.0, max_adds=rng.randint(5, 8), step_share=0.08)
    for _ in range(count(20)):
        person = world.trader("news_straddler")
        person.symbols = rng.sample(["EURUSD", "XAUUSD", "US30", "USDJPY", "NAS100"], 2)
        identities(world, person)
        news_straddler(world, person)

    for account, trader in list(world.owners.items()):
        if world.kinds[account] in ("day_trader", "london_crowd", "nervous") and rng.random() < 0.03:
            moment = rng.choice(TRADING_DAYS).timestamp() + 22 * 3600
            world.emit(moment, AccountOutcome(at(moment), "failed"), account, trader)
    identity_acts(world)

    world.records.sort(key=lambda record: (record[0], record[1]))
    return Population(
        records=[record for _, _, record in world.records],
        labels={name: frozenset(accounts) for name, accounts in world.labels.items()},
        acts={
            name: {account: sorted(times) for account, times in by.items()} for name, by in world.acts.items()
        },
        owners=dict(world.owners),
        kinds=dict(world.kinds),
        feed=world.feed,
        calendar=StaticCalendar(RELEASES),
    )


def identity_acts(world: World) -> None:
    """When each planted shared identity became visible: the moment the last of the planted shared kinds had
    been sent by both a member and another member of its group."""
    seen: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for moment, _, record in sorted(world.records, key=lambda record: (record[0], record[1])):
        event = record.event
        if isinstance(event, IdentitySignal):
            seen[(event.kind, event.value)].setdefault(record.trader_id, moment)
    for people, kinds in world.planted_links:
        values = {
            "card": [person.card for person in people],
            "device": [person.devices[0] for person in people],
            "ip": [person.home_ip for person in people],
            "payout_destination": [person.payout for person in people],
            "kyc_identity": [person.kyc for person in people],
        }
        for person in people:
            visible: list[float] = []
            for kind in kinds:
                value = values[kind][people.index(person)]
                times = seen.get((kind, value), {})
                mine = times.get(person.trader_id)
                others = [
                    times[other.trader_id]
                    for other in people
                    if other is not person and other.trader_id in times
                ]
                if mine is None or not others:
                    visible = []
                    break
                visible.append(max(mine, min(others)))
            if visible:
                for account in person.accounts:
                    world.acts["shared_identity"][account].append(at(max(visible)))


def channel_posts(rng: random.Random) -> list[tuple[float, str, str, float]]:
    """A public channel's calls: (when, symbol, side, when it says close); a third of them on news."""
    posts = []
    for number in range(12):
        if number % 3 == 0:
            release = RELEASES[rng.randrange(len(RELEASES))]
            symbol = rng.choice(sorted(release.symbols))
            moment = release.time.timestamp() + rng.uniform(-300, 60)
        else:
            symbol = rng.choice(("EURUSD", "XAUUSD", "GBPUSD", "US30"))
            moment = trading_moment(rng, rng.choice(TRADING_DAYS))
        posts.append((moment, symbol, rng.choice(("buy", "sell")), moment + rng.uniform(1800, 7200)))
    return posts


def poisson(rng: random.Random, mean: float) -> int:
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def other_side(side: str) -> str:
    return "sell" if side == "buy" else "buy"


def records_between(population: Population, start: datetime, end: datetime) -> Iterator[Planted]:
    return (record for record in population.records if start <= record.event.time < end)
