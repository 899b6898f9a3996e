"""The labelled synthetic population the benchmark runs on: deterministic, in time order, every detector's
abusers planted, and the hard negatives among the clean."""

from __future__ import annotations

from functools import cache

from propdesk.abuse.flags import DETECTORS
from propdesk.abuse.inputs import IdentitySignal
from propdesk.engine.events import PositionOpened

from benchmarks.abuse_population import Population, generate


@cache
def small() -> Population:
    return generate(seed=5, scale=0.1)


def test_the_same_seed_gives_the_same_population() -> None:
    again = generate(seed=5, scale=0.1)

    assert [record.event for record in again.records] == [record.event for record in small().records]


def test_events_come_in_time_order_and_every_account_has_an_owner() -> None:
    population = small()
    times = [record.event.time for record in population.records]

    assert times == sorted(times)
    assert {record.account_id for record in population.records if record.account_id} <= set(population.owners)


def test_every_detector_has_planted_abusers_with_their_acts() -> None:
    population = small()

    for name in DETECTORS:
        assert population.labels[name], name
    for name in ("copy_trading", "hedging", "scalping", "latency_arbitrage", "news_straddling"):
        assert set(population.acts[name]) == population.labels[name], name


def test_the_clean_include_the_hard_negatives() -> None:
    kinds = set(small().kinds.values())

    assert {"london_crowd", "us_open_crowd", "signal_follower", "nervous", "averager", "news_trader"} <= kinds


def test_a_ring_copies_its_leader_within_seconds() -> None:
    population = small()
    copier = next(account for account, kind in population.kinds.items() if kind == "ring_copier")
    leader = next(account for account, kind in population.kinds.items() if kind == "ring_leader")
    leads = [
        r.event for r in population.records if r.account_id == leader and isinstance(r.event, PositionOpened)
    ]
    copies = [
        r.event for r in population.records if r.account_id == copier and isinstance(r.event, PositionOpened)
    ]

    copied = [
        copy
        for copy in copies
        if any(
            0 < (copy.time - lead.time).total_seconds() <= 40
            and (copy.symbol, copy.side) == (lead.symbol, lead.side)
            for lead in leads
        )
    ]
    assert len(copied) >= len(copies) // 2


def test_identity_values_are_opaque_and_mobile_addresses_are_marked() -> None:
    signals = [record.event for record in small().records if isinstance(record.event, IdentitySignal)]

    assert all("@" not in signal.value for signal in signals)
    assert {signal.network for signal in signals if signal.kind == "ip"} >= {"residential", "mobile"}
