"""The living market's simulator: a seed makes a run reproducible; copiers open what their leader opens at
the same instant, hedgers opposite sides on their two accounts at once; prices move, with news spikes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fakes.market import ManualClock, Market
from fakes.simulator import MarketSimulator, SimTrader, demo_paths


def world(seed: int) -> tuple[MarketSimulator, ManualClock, dict[str, str]]:
    clock = ManualClock()
    market = Market(now=clock.now)
    ids = {
        name: market.open_account(f"{name}@example.com", "USD", Decimal(100000), "g", name).account_id
        for name in ("steady", "reckless", "scalper", "leader", "copier", "hedge-a", "hedge-b")
    }
    traders = [
        SimTrader("steady", "steady", (ids["steady"],)),
        SimTrader("reckless", "reckless", (ids["reckless"],)),
        SimTrader("scalper", "scalper", (ids["scalper"],)),
        SimTrader("leader", "steady", (ids["leader"],)),
        SimTrader("copier", "copier", (ids["copier"],), leader=ids["leader"]),
        SimTrader("hedger", "hedger", (ids["hedge-a"], ids["hedge-b"])),
    ]
    return MarketSimulator(market, demo_paths(), traders, seed=seed), clock, ids


def run(seed: int, ticks: int = 200) -> list[tuple[str, str, str, str, str]]:
    simulator, clock, _ = world(seed)
    for _ in range(ticks):
        clock.advance(timedelta(seconds=5))
        simulator.tick()
    return sorted(
        (account.account_id, deal.deal_id, deal.kind, deal.side, str(deal.price))
        for account in simulator.market.accounts.values()
        for deal in account.deals
    )


def test_the_same_seed_books_the_same_deals_and_another_seed_others() -> None:
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_copiers_follow_their_leader_and_hedgers_trade_both_sides_at_once() -> None:
    simulator, clock, ids = world(7)
    for _ in range(200):
        clock.advance(timedelta(seconds=5))
        simulator.tick()
    accounts = simulator.market.accounts

    def opens(name: str) -> list[tuple[object, str]]:
        return [(deal.time, deal.side) for deal in accounts[ids[name]].deals if deal.kind == "open"]

    assert opens("leader") and opens("copier") == opens("leader")
    hedged = list(zip(opens("hedge-a"), opens("hedge-b"), strict=True))
    assert hedged and all(a[0] == b[0] and a[1] != b[1] for a, b in hedged)


def test_prices_move_and_news_spikes_happen() -> None:
    simulator, _clock, _ = world(7)
    start = dict(simulator.market.prices)
    news = [symbol for _ in range(300) for symbol in simulator.tick().news]
    assert news and simulator.market.prices != start
