"""Abuse detectors on the labelled synthetic population (`benchmarks/abuse_population.py`). Prints:

    abuse.population: N accounts, N events            what was replayed (events in time order)
    abuse.<detector>.precision: x                     flagged accounts that are labelled abusive for it
    abuse.<detector>.recall: x                        labelled accounts flagged, stream and daily deep passes
    abuse.<detector>.stream_recall: x                 labelled accounts the stream flagged before any deep
                                                      pass did (a deep pass writes the rings and clusters it
                                                      finds into the state, and the stream reports them on)
    abuse.<detector>.lag_median: N s                  from the moment the abuse became detectable to the
    abuse.<detector>.lag_p90: N s                     first flag naming the account, in event time
    abuse.<detector>.time_to_flag_p50: N s            the same lag (event time of the planted act that
    abuse.<detector>.time_to_flag_p99: N s            completes the evidence → the flag's time), p50 / p99
    abuse.all.time_to_flag_p50: N s                   over every detector's flagged accounts together
    abuse.all.time_to_flag_p99: N s
    abuse.<detector>.lag_events_median: N events      the same, counted in events of the whole stream
    abuse.<detector>.state_ops_per_event: N ops       reads + writes + deletes of its keyed state per
                                                      trading event (opening, closing, pending order)
    abuse.<detector>.state_items_max: N items         live items at the end of the busiest day
    abuse.book.state_ops_per_event: N ops             the shared position book
    abuse.all.state_ops_per_event: N ops              everything together (book included)
    abuse.stream_rate: N events/s                     wall-clock rate of the stream through all detectors
    abuse.wired.dynamodb_requests_per_event: N        what the wired consumer (abuse_detect) asks of DynamoDB
                                                      per trading event, now: the event's mark and the keys
                                                      it is known to read first in one BatchGetItem, any
                                                      other key once (GetItem), one commit
                                                      (TransactWriteItems); `--wired-events` of the stream
    abuse.wired.dynamodb_requests_per_event_before: N the same events in the same run read as before: the mark
                                                      (GetItem), then one GetItem per distinct key, one commit
    abuse.wired.requests_ratio: x                     now / before
    abuse.wired.process_p50: N ms                     wall-clock per trading event through the wired session
    abuse.wired.process_p99: N ms                     (monitor, flags; no network): the consumer's share of
                                                      the time from an event to its flag
    abuse.wired.writes_per_commit: N items            items written per commit (the transaction's size), max
    abuse.run: N s                                    the whole benchmark, generation included

"Detectable": the planted act that completes the detector's minimum evidence (the `min_repeats`-th copied
opening, the `min_hedges`-th hedge, the `min_stale_fills`-th stale fill, the `min_ladders`-th ladder, the
`min_straddles`-th straddle, the moment both identities had sent every planted shared signal, the first
closing at which a scalper has `min_trades` trades of which more than `max_short_share` were short). A
deep-pass flag counts at the end of the day it ran. Every detector has its own state, so each one's cost
stands alone (the identity link index is counted in both detectors that use it).

Deep passes run after each day's last event: copy trading and hedging over the last 7 days (hedging against
the links known by then); shared identity over every signal so far (the card of a purchase may be weeks old).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from propdesk.abuse.book import PositionBook  # noqa: E402
from propdesk.abuse.copy_trading import CopyTradingDetector  # noqa: E402
from propdesk.abuse.detector import Detector  # noqa: E402
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor  # noqa: E402
from propdesk.abuse.flags import DETECTORS, DetectorName, Flag  # noqa: E402
from propdesk.abuse.hedging import HedgingDetector  # noqa: E402
from propdesk.abuse.identity import SharedIdentityDetector  # noqa: E402
from propdesk.abuse.inputs import TRADE_EVENTS, Observed  # noqa: E402
from propdesk.abuse.latency import LatencyArbitrageDetector  # noqa: E402
from propdesk.abuse.martingale import MartingaleGridDetector  # noqa: E402
from propdesk.abuse.news_straddling import NewsStraddlingDetector  # noqa: E402
from propdesk.abuse.scalping import ScalpingDetector, ScalpingSettings  # noqa: E402
from propdesk.abuse.session import StateSession, StoredItem  # noqa: E402
from propdesk.abuse.state import MemoryState  # noqa: E402
from propdesk.engine.events import PositionClosed, PositionOpened  # noqa: E402

from benchmarks.abuse_population import Population, generate  # noqa: E402

DEEP_WINDOW_DAYS: dict[str, int | None] = {"copy_trading": 7, "hedging": 7, "shared_identity": None}


class Run:
    def __init__(self, population: Population) -> None:
        self.population = population
        self.states: dict[str, MemoryState] = {name: MemoryState() for name in (*DETECTORS, "book")}
        self.book = PositionBook(self.states["book"])
        self.detectors: list[Detector] = [
            CopyTradingDetector(self.states["copy_trading"]),
            HedgingDetector(self.states["hedging"]),
            SharedIdentityDetector(self.states["shared_identity"]),
            ScalpingDetector(self.states["scalping"]),
            LatencyArbitrageDetector(self.states["latency_arbitrage"], population.feed),
            MartingaleGridDetector(self.states["martingale_grid"]),
            NewsStraddlingDetector(self.states["news_straddling"], population.calendar),
        ]
        self.first_flag: dict[DetectorName, dict[str, tuple[datetime, int]]] = defaultdict(dict)
        self.first_by: dict[DetectorName, dict[str, str]] = defaultdict(dict)
        self.flags: list[Flag] = []
        self.items_max: dict[str, int] = defaultdict(int)
        self.trading_events = 0
        self.stream_seconds = 0.0

    def replay(self) -> None:
        records = self.population.records
        window: list[Observed] = []
        times = [record.event.time for record in records]
        for index, record in enumerate(records):
            event = record.event
            began = time.perf_counter()
            context = self.book.context(event, record.account_id, record.trader_id, record.price)
            for detector in self.detectors:
                for flag in detector.observe(event, context):
                    self.note(flag, event.time, index, stream=True)
            self.stream_seconds += time.perf_counter() - began
            window.append(Observed(event, context))
            self.trading_events += isinstance(event, TRADE_EVENTS)
            last_of_day = index + 1 == len(records) or times[index + 1].date() != event.time.date()
            if last_of_day and event.time >= datetime(2026, 3, 2, tzinfo=event.time.tzinfo):
                self.deep(window, event.time, index)
                for name, state in self.states.items():
                    self.items_max[name] = max(self.items_max[name], len(state))

    def deep(self, window: list[Observed], end: datetime, index: int) -> None:
        for detector in self.detectors:
            days = DEEP_WINDOW_DAYS.get(detector.name, 0)
            if days == 0:
                continue
            start = 0 if days is None else _first_at(window, end - timedelta(days=days))
            for flag in detector.deep_pass(window[start:]):
                self.note(flag, end, index, stream=False)

    def note(self, flag: Flag, moment: datetime, index: int, stream: bool) -> None:
        self.flags.append(flag)
        for account in flag.accounts:
            self.first_flag[flag.detector].setdefault(account, (moment, index))
            self.first_by[flag.detector].setdefault(account, "stream" if stream else "deep")


def _first_at(window: list[Observed], start: datetime) -> int:
    low, high = 0, len(window)
    while low < high:
        middle = (low + high) // 2
        if window[middle].event.time < start:
            low = middle + 1
        else:
            high = middle
    return low


def detectable(run: Run, name: DetectorName, account: str) -> datetime | None:
    """When the planted abuse of the account met the detector's minimum evidence (see the module's doc)."""
    detectors = {detector.name: detector for detector in run.detectors}
    if name == "scalping":
        scalping = detectors[name]
        assert isinstance(scalping, ScalpingDetector)
        return _scalping_detectable(run, account, scalping.settings)
    needed = {
        "copy_trading": "min_repeats",
        "hedging": "min_hedges",
        "latency_arbitrage": "min_stale_fills",
        "martingale_grid": "min_ladders",
        "news_straddling": "min_straddles",
    }.get(name)
    k = int(getattr(getattr(detectors[name], "settings"), needed)) if needed else 1  # noqa: B009
    acts = run.population.acts.get(name, {}).get(account, [])
    return acts[k - 1] if len(acts) >= k else None


def _scalping_detectable(run: Run, account: str, settings: ScalpingSettings) -> datetime | None:
    """The first closing at which the account's trades meet the rule as written (at least `min_trades`,
    more than `max_short_share` of them short), whatever the detector's confidence margin."""
    opened: dict[str, datetime] = {}
    trades = shorts = 0
    short_hold = settings.short_hold.total_seconds()
    for record in run.population.records:
        if record.account_id != account:
            continue
        event = record.event
        if isinstance(event, PositionOpened):
            opened[event.position_id] = event.time
        elif isinstance(event, PositionClosed):
            trades += 1
            shorts += (event.time - opened.pop(event.position_id)).total_seconds() < short_hold
            if trades >= settings.min_trades and shorts / trades > settings.max_short_share:
                return event.time
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=2026, help="the population's seed (2026: the tuned one)")
    parser.add_argument("--scale", type=float, default=1.0, help="the population's size (1: ~2,800 accounts)")
    parser.add_argument("--misses", action="store_true", help="list false positives and misses")
    parser.add_argument(
        "--wired-events", type=int, default=20_000, help="events replayed in per-event sessions (0: skip)"
    )
    arguments = parser.parse_args()
    began = time.perf_counter()
    population = generate(seed=arguments.seed, scale=arguments.scale)
    run = Run(population)
    run.replay()
    events = len(population.records)
    times = [record.event.time for record in population.records]
    print(
        f"abuse.population: {len(population.owners)} accounts, {events} events ({run.trading_events} trading)"
    )
    all_lags: list[float] = []
    for name in DETECTORS:
        labelled = population.labels.get(name, frozenset())
        flagged = set(run.first_flag[name])
        hits = flagged & labelled
        precision = len(hits) / len(flagged) if flagged else 1.0
        recall = len(hits) / len(labelled) if labelled else 1.0
        streamed = {account for account, found in run.first_by[name].items() if found == "stream"}
        stream_recall = len(streamed & labelled) / len(labelled) if labelled else 1.0
        lags, lag_events = [], []
        for account in hits:
            ready = detectable(run, name, account)
            if ready is None:
                continue
            moment, index = run.first_flag[name][account]
            lags.append((moment - ready).total_seconds())
            lag_events.append(index - bisect_left(times, ready))
        ops = run.states[name].operations / run.trading_events
        print(f"abuse.{name}.precision: {precision:.3f} ({len(hits)}/{len(flagged)})")
        print(f"abuse.{name}.recall: {recall:.3f} ({len(hits)}/{len(labelled)})")
        print(f"abuse.{name}.stream_recall: {stream_recall:.3f}")
        if lags:
            all_lags.extend(lags)
            print(f"abuse.{name}.lag_median: {statistics.median(lags):.0f} s")
            print(f"abuse.{name}.lag_p90: {_p90(lags):.0f} s")
            print(f"abuse.{name}.time_to_flag_p50: {_quantile(lags, 0.5):.0f} s")
            print(f"abuse.{name}.time_to_flag_p99: {_quantile(lags, 0.99):.0f} s")
            print(f"abuse.{name}.lag_events_median: {statistics.median(lag_events):.0f} events")
        print(f"abuse.{name}.state_ops_per_event: {ops:.2f} ops")
        print(f"abuse.{name}.state_items_max: {run.items_max[name]} items")
        if arguments.misses:
            for account in sorted(flagged - labelled):
                print(f"#   false positive {name}: {account} ({population.kinds[account]})")
            for account in sorted(labelled - flagged):
                print(f"#   missed {name}: {account} ({population.kinds[account]})")
    book = run.states["book"].operations / run.trading_events
    total = sum(state.operations for state in run.states.values()) / run.trading_events
    if all_lags:
        print(f"abuse.all.time_to_flag_p50: {_quantile(all_lags, 0.5):.0f} s")
        print(f"abuse.all.time_to_flag_p99: {_quantile(all_lags, 0.99):.0f} s")
    print(f"abuse.book.state_ops_per_event: {book:.2f} ops")
    print(f"abuse.all.state_ops_per_event: {total:.2f} ops")
    print(f"abuse.stream_rate: {events / run.stream_seconds:.0f} events/s")
    if arguments.wired_events:
        before = wired_requests(population, arguments.wired_events, batched=False)
        after = wired_requests(population, arguments.wired_events, batched=True)
        now_per_event, before_per_event = after.requests / after.trading, before.requests / before.trading
        print(
            f"abuse.wired.dynamodb_requests_per_event: {now_per_event:.2f} ({after.trading} trading events)"
        )
        print(f"abuse.wired.dynamodb_requests_per_event_before: {before_per_event:.2f}")
        print(f"abuse.wired.requests_ratio: {now_per_event / before_per_event:.2f}")
        print(f"abuse.wired.process_p50: {_quantile(after.seconds, 0.5) * 1000:.2f} ms")
        print(f"abuse.wired.process_p99: {_quantile(after.seconds, 0.99) * 1000:.2f} ms")
        print(f"abuse.wired.writes_per_commit: {after.writes_max} items max")
    print(f"abuse.run: {time.perf_counter() - began:.1f} s")


@dataclass
class Wired:
    requests: int = 0
    trading: int = 0
    writes_max: int = 0
    seconds: list[float] = field(default_factory=list)


def wired_requests(population: Population, limit: int, *, batched: bool) -> Wired:
    """The stream as abuse_detect runs it: per trading event, a fresh session over the stored items,
    committed in one transaction. `batched`: as now (the mark and the event's first reads in one
    BatchGetItem, then one GetItem per other key); else as before (the mark, then one GetItem per distinct
    key). Counted as `DynamoAbuseState` counts its requests; the items live in a dict, versions ignored."""
    items: dict[str, StoredItem] = {}
    settings = AbuseSettings()
    found = Wired()
    for record in population.records[:limit]:
        if not isinstance(record.event, TRADE_EVENTS):
            continue
        began = time.perf_counter()
        reader = (lambda keys: {key: items.get(key) for key in keys}) if batched else None
        session = StateSession(items.get, reader)
        monitor = build_monitor(session, settings, population.feed, population.calendar)
        if batched:
            mark = f"seen#{record.event.event_id}"
            session.prefetch([mark, *monitor.first_reads(record.event, record.account_id, record.trader_id)])
        monitor.observe(record.event, record.account_id, record.trader_id, record.price)
        writes = session.writes()
        found.seconds.append(time.perf_counter() - began)
        for write in writes:
            if write.value is None or write.expires_at is None:
                items.pop(write.key, None)
            else:
                items[write.key] = StoredItem(write.value, write.expires_at, 1)
        found.trading += 1
        reads = session.batches + session.reads if batched else 1 + session.reads  # (the mark)
        found.requests += reads + 1  # and the commit
        found.writes_max = max(found.writes_max, len(writes) + 1)
    found.trading = max(found.trading, 1)
    return found


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


if __name__ == "__main__":
    main()
