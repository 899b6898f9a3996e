"""`make dev`'s living market (scripts/local_cloud/market.py): the simulated traders' accounts opened through
the real adapters on the Match-Trader and DXtrade fakes over one market, and a run its seed reproduces."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from fakes.dxtrade import FakeDXtrade
from fakes.market import Market
from fakes.match_trader import FakeMatchTrader
from scripts.local_cloud.market import TRADERS, SimAccount, adapters, open_accounts, simulator


@contextmanager
def living(first_login: int = 5_000_001) -> Iterator[tuple[Market, list[SimAccount]]]:
    market = Market(first_login=first_login)
    match_trader, dxtrade = FakeMatchTrader(market=market), FakeDXtrade(market=market)
    match_trader.start()
    dxtrade.start()
    try:
        platforms = adapters(match_trader, dxtrade)
        yield market, open_accounts("run1", "t@example.com", platforms, market, "USD", Decimal(100000))
    finally:
        match_trader.stop()
        dxtrade.stop()


def trading(seed: int, ticks: int = 40) -> list[tuple[str, str, str, str, Decimal]]:
    with living() as (market, accounts):
        names = {a.book: a.account_id for a in accounts}
        ticking = simulator(market, accounts, seed)
        for _ in range(ticks):
            ticking.tick()
        return [
            (names[book.account_id], deal.kind, deal.symbol, deal.side, deal.lots)
            for book in market.accounts.values()
            for deal in book.deals
        ]


def test_every_trader_has_its_accounts_on_its_platforms() -> None:
    with living() as (_, accounts):
        placed = {(a.trader, a.platform) for a in accounts}
        wanted = {(name, platform) for name, _, on, _ in TRADERS for platform in on}
        assert placed == wanted
        assert len({a.login for a in accounts}) == len(accounts)
        assert all(a.account_id.startswith("sim-run1-") for a in accounts)


def test_the_same_seed_trades_the_same_way_and_another_seed_does_not() -> None:
    first, again, other = trading(7), trading(7), trading(8)
    assert first and first == again
    assert other != first


def test_a_disabled_account_opens_nothing_more() -> None:
    with living() as (market, accounts):
        reckless = next(a for a in accounts if a.trader == "reckless")
        book = market.account(reckless.book)
        assert book is not None
        book.access = "disabled"
        ticking = simulator(market, accounts, 7)
        for _ in range(40):
            ticking.tick()
        assert not [d for d in book.deals if d.kind == "open"]
