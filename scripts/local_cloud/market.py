"""The living market `make dev` runs: the trading-platform fakes the local stack is connected to, and the
market simulator trading on them (docs/platforms.md, "A living market").

`python -m scripts.local_cloud.market --first-port P --seed S --manifest .local/market.json` (scripts/dev.py
starts it as a process of its own, logs in `.local/market.log`):
- serves Match-Trader's Broker API on P (the port `make dev`'s stack provisions on) with its event stream on
  P+4, and DXtrade's trading and admin APIs on P+5 with its push WebSocket on P+6, over one `Market`;
- opens the simulated traders' accounts through the real adapters (as provisioning would) and writes the
  manifest: the run, the seed, each account's platform reference and the fakes' URLs and credentials
  (dev.py seeds the stack's accounts and the connector from it);
- once the `--go` file exists (dev.py writes it when the stack's accounts and the connectors are ready: a
  deal booked before the stack knows its account would be refused), moves prices and lets the traders act
  every `--interval` seconds, one tick at a time, until SIGTERM.

One seed drives every price step and decision (`fakes.simulator`), so two runs with the same seed trade the
same way; times are the wall clock (the stack refuses events from the future or before an account opened).
Each run gets its own account ids and logins (`sim-<run>-<trader>`), so a later run never mixes its deals
into an earlier run's accounts kept in the local cloud's state.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

from propdesk.platforms.port import NewAccount, PlatformName, TradingPlatform

from fakes.dxtrade import ADMIN_LOGIN, FakeDXtrade
from fakes.market import Market
from fakes.match_trader import FakeMatchTrader
from fakes.simulator import MarketSimulator, SimTrader, Strategy, demo_paths

PROGRAM_ID = "two-step-100k-phase-1"  # the simulated accounts' program (the demo account's)
SYSTEM_UUID = "system-demo"
GATEWAY_UUID = "gateway-manual"
DX_SERVER = "DXtrade-Demo"
MT_SERVER = "MatchTrader"
# The simulated traders: name, strategy, the platform of each account (a hedger has two, on two platforms),
# and for a copier the trader it copies.
TRADERS: tuple[tuple[str, Strategy, tuple[PlatformName, ...], str], ...] = (
    ("steady", "steady", ("match-trader",), ""),
    ("reckless", "reckless", ("dxtrade",), ""),
    ("scalper", "scalper", ("match-trader",), ""),
    ("copier", "copier", ("dxtrade",), "steady"),
    ("hedger", "hedger", ("match-trader", "dxtrade"), ""),
)


@dataclass(frozen=True)
class SimAccount:
    account_id: str  # the stack's account id (our reference on the platform)
    trader: str
    strategy: str
    platform: str
    platform_account_id: str
    login: str
    group: str
    server: str
    book: str  # the market's account id


def ports(first_port: int) -> dict[str, int]:
    return {
        "match_trader": first_port,
        "match_trader_stream": first_port + 4,
        "dxtrade": first_port + 5,
        "dxtrade_push": first_port + 6,
    }


def open_accounts(
    run: str,
    email: str,
    platforms: dict[str, TradingPlatform],
    market: Market,
    currency: str,
    balance: Decimal,
) -> list[SimAccount]:
    opened = []
    for name, strategy, on, _ in TRADERS:
        for number, platform_name in enumerate(on):
            suffix = f"-{'ab'[number]}" if len(on) > 1 else ""
            account_id = f"sim-{run}-{name}{suffix}"
            group = "challenge-100k"
            ref = (
                platforms[platform_name]
                .create_account(NewAccount(account_id, email, "Sim", name.title(), currency, balance, group))
                .ref
            )
            book = next(a for a in market.accounts.values() if a.reference == account_id)
            server = MT_SERVER if platform_name == "match-trader" else DX_SERVER
            opened.append(
                SimAccount(
                    account_id,
                    name,
                    strategy,
                    platform_name,
                    ref.platform_account_id,
                    ref.login,
                    ref.group,
                    server,
                    book.account_id,
                )
            )
    return opened


def simulator(market: Market, accounts: list[SimAccount], seed: int) -> MarketSimulator:
    books: dict[str, list[str]] = {}
    for account in accounts:
        books.setdefault(account.trader, []).append(account.book)
    traders = [
        SimTrader(name, strategy, tuple(books[name]), leader=books[leader][0] if leader else "")
        for name, strategy, _, leader in TRADERS
    ]
    return MarketSimulator(market, demo_paths(), traders, seed=seed)


def adapters(match_trader: FakeMatchTrader, dxtrade: FakeDXtrade) -> dict[str, TradingPlatform]:
    from propdesk.adapters.platforms.dxtrade import DXtradePlatform
    from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
    from propdesk.resilience.circuit_breaker import CircuitBreaker
    from propdesk.resilience.rate_limiter import TokenBucket

    def breaker(name: str) -> CircuitBreaker:
        return CircuitBreaker(name, time.monotonic, failure_threshold=5, reset_timeout=30)

    return {
        "match-trader": MatchTraderPlatform(
            base_url=match_trader.url,
            token=lambda: match_trader.token,
            server=MT_SERVER,
            limiter=TokenBucket.within(100, 60, time.monotonic, time.sleep),
            breaker=breaker("match-trader"),
            sleep=time.sleep,
            system_uuid=SYSTEM_UUID,
            payment_gateway_uuid=GATEWAY_UUID,
        ),
        "dxtrade": DXtradePlatform(
            trading_url=dxtrade.trading_url,
            admin_url=dxtrade.admin_url,
            credentials=lambda: dict(dxtrade.login),
            server=DX_SERVER,
            limiter=TokenBucket.within(100, 60, time.monotonic, time.sleep),
            breaker=breaker("dxtrade"),
            sleep=time.sleep,
        ),
    }


def first_login() -> int:
    """Logins no earlier run used (the stack keeps earlier runs' accounts): a fresh hundred per 10 s."""
    return 1_000_001 + (int(time.time()) // 10 % 10_000_000) * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--first-port", type=int, required=True, help="Match-Trader's port; the others follow"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between ticks")
    parser.add_argument("--email", default="trader@demo.propdesk.local", help="the simulated accounts' owner")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--go", type=Path, help="tick once this file exists (default: at once)")
    args = parser.parse_args()

    from propdesk.catalogue import demo_programs

    program = next(p.summary for p in demo_programs() if p.summary.program_id == PROGRAM_ID)
    at = ports(args.first_port)
    market = Market(first_login=first_login())
    match_trader = FakeMatchTrader(market=market)
    dxtrade = FakeDXtrade(market=market)
    match_trader.start(at["match_trader"], at["match_trader_stream"])
    dxtrade.start(at["dxtrade"], at["dxtrade_push"])
    run = datetime.now(UTC).strftime("%m%d%H%M%S")
    accounts = open_accounts(
        run, args.email, adapters(match_trader, dxtrade), market, program.currency, program.initial_balance
    )
    manifest: dict[str, Any] = {
        "run": run,
        "opened_at": datetime.now(UTC).isoformat(),  # the accounts' opening: before any deal
        "seed": args.seed,
        "interval": args.interval,
        "program_id": PROGRAM_ID,
        "accounts": [asdict(a) for a in accounts],
        "match_trader": {"base_url": match_trader.url, "api_token": match_trader.token,
                         "system_uuid": SYSTEM_UUID, "payment_gateway_uuid": GATEWAY_UUID,
                         "stream_url": match_trader.stream_url, "server": MT_SERVER},
        "dxtrade": {"trading_url": dxtrade.trading_url, "admin_url": dxtrade.admin_url, **ADMIN_LOGIN,
                    "push_url": dxtrade.push_url, "server": DX_SERVER},
    }  # fmt: skip
    args.manifest.write_text(json.dumps(manifest, indent=2))
    print(f"market: run {run}, seed {args.seed}, {len(accounts)} accounts; ticking every {args.interval} s")
    print(json.dumps(manifest["accounts"], indent=1), flush=True)

    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    ticking = simulator(market, accounts, args.seed)
    while args.go is not None and not args.go.exists() and not stop.wait(0.5):
        pass
    print("market: trading", flush=True)
    while not stop.wait(args.interval):
        report = ticking.tick()
        if report.news or report.opened or report.closed:
            news = f" news {','.join(report.news)}" if report.news else ""
            print(f"tick {report.tick}: opened {report.opened}, closed {report.closed}{news}", flush=True)
    match_trader.stop()
    dxtrade.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
