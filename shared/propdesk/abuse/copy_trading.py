"""Copy trading: accounts of different traders opening the same symbol in the same direction within seconds
at similar sizes, again and again, more often than chance would have it. Rings (a signal provider and its
copiers) come out as groups: the connected components of the pairs that count.

Score of a pair (A, B), over the last `memory_days`: each time one opens within `max_delay` of the other
(same symbol, same side, sizes within `volume_tolerance`) the pair gains `1 / max(1, λ)`, where λ is how
many such openings chance alone would have put in that window:

    λ = max(r x 2 x max_delay, others_in_window / crowd)

r is the rate of openings of that symbol and side by anyone just before the window (not counting the window
itself, so a ring does not make itself look busy), the highest of the rates over each of `busy_scales` (the
last minute catches a spike such as the US open a few seconds in; the last ten minutes a busy session), and
`others_in_window` the other accounts that opened it within `max_delay` (more than `crowd` of them is a
crowd: a ring of up to `crowd + 1` accounts keeps full weight, a ring of nine weighs 0.75 a repeat).

A pair counts when it has at least `min_repeats` matches, a score of at least `min_score`, and its matches
are at least `min_share` of the openings of the less active of the two (two busy traders meet by chance; a
copier's trades are nearly all copies). Matches worth less than `min_weight` are not recorded at all (they
cost nothing and prove nothing).

The daily deep pass sees the whole window: busyness on both sides of each opening, copiers who size by a
constant factor (a copier on an account twice as large trades twice the volume: the ratio is steady within
`ratio_tolerance` rather than near one), and positions closed together.

State (every key expires; see `docs/abuse.md`): `copy#open#{symbol}#{side}#{bucket}` (the openings of one
`max_delay` bucket), `copy#rate#{symbol}#{side}#{bucket}` (counts per `max_delay` slot of a `busy_span`;
the last two spans are read per opening), `copy#acct#{account}` (openings per day), `copy#pair#{a}#{b}`,
`copy#ring-of#{account}`, `copy#ring#{ring_id}`.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import DetectorName, Evidence, Flag, Pass, TradeRef, flag_id, pair_subject, score_of
from propdesk.abuse.graph import components
from propdesk.abuse.inputs import AbuseEvent, Context, Observed
from propdesk.abuse.state import Item, KeyedState, day_of, expiry, recent_days
from propdesk.engine.events import PositionClosed, PositionOpened

DAY = 86400


@dataclass(frozen=True, slots=True)
class CopyTradingSettings:
    max_delay: timedelta = timedelta(seconds=15)
    volume_tolerance: Decimal = Decimal("0.25")
    busy_span: timedelta = timedelta(minutes=10)
    busy_scales: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=10))
    crowd: int = 6
    min_weight: Decimal = Decimal("0.1")
    min_repeats: int = 5
    min_score: Decimal = Decimal("4")
    min_share: Decimal = Decimal("0.3")
    memory_days: int = 14
    ratio_tolerance: Decimal = Decimal("0.1")
    max_candidates: int = 20
    max_bucket_entries: int = 100
    evidence_rows: int = 10
    max_ring_members: int = 50
    max_ring_edges: int = 60
    enforcement: Enforcement = field(default_factory=Enforcement)

    def __post_init__(self) -> None:
        delay, span = self.max_delay.total_seconds(), self.busy_span.total_seconds()
        if delay <= 0 or span % delay or any(scale > self.busy_span for scale in self.busy_scales):
            raise ValueError("busy_span must be a multiple of max_delay and cover every busy scale")

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        return (
            ("max_delay_seconds", str(int(self.max_delay.total_seconds()))),
            ("volume_tolerance", str(self.volume_tolerance)),
            ("busy_scales_seconds", ",".join(str(int(scale.total_seconds())) for scale in self.busy_scales)),
            ("crowd", str(self.crowd)),
            ("min_weight", str(self.min_weight)),
            ("min_repeats", str(self.min_repeats)),
            ("min_score", str(self.min_score)),
            ("min_share", str(self.min_share)),
            ("memory_days", str(self.memory_days)),
        )


FORMULA = (
    "pair score = sum over matched openings of 1 / max(1, λ), λ = max(r x 2 x max_delay, "
    "others_in_window / crowd), r the highest rate of openings of the symbol and side over the busy scales "
    "before the window (both sides of it in the deep pass); a pair counts when repeats >= min_repeats, "
    "score >= min_score and repeats / openings of the less active account >= min_share; a ring is a "
    "connected component of counted pairs, scored by its strongest pair"
)

# An opening as kept in state and evidence: [account, trader, volume, epoch, position_id, event_id, price,
# account's openings so far in the memory window, symbol, side]
Row = list[Any]


@dataclass(frozen=True, slots=True)
class PairFigures:
    accounts: tuple[str, str]
    traders: tuple[str, str]
    repeats: int
    score: float  # float ok: a detector statistic, never money
    share: float  # float ok: a share of trades, never money
    first: dict[str, int]
    rows: list[list[Row]]
    together: int = 0


class CopyTradingDetector:
    name: DetectorName = "copy_trading"

    def __init__(self, state: KeyedState, settings: CopyTradingSettings | None = None) -> None:
        self._state = state
        self.settings = settings or CopyTradingSettings()

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def first_reads(self, event: AbuseEvent, account_id: str, trader_id: str) -> list[str]:
        """An opening's bucket and the one before, their busy-rate counts, the account's openings."""
        if not isinstance(event, PositionOpened):
            return []
        moment = event.time.timestamp()
        fine = int(moment // self.settings.max_delay.total_seconds())
        coarse = int(moment // self.settings.busy_span.total_seconds())
        opens, rates = f"copy#open#{event.symbol}#{event.side}#", f"copy#rate#{event.symbol}#{event.side}#"
        return [
            f"{opens}{fine}", f"{opens}{fine - 1}", f"{rates}{coarse}", f"{rates}{coarse - 1}",
            f"copy#acct#{account_id}",
        ]  # fmt: skip

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        if not isinstance(event, PositionOpened):
            return []
        settings, state, now = self.settings, self._state, event.time
        delta = settings.max_delay.total_seconds()
        moment = now.timestamp()
        fine = int(moment // delta)
        prefix = f"copy#open#{event.symbol}#{event.side}#"
        current = state.get(prefix + str(fine), now) or {"e": []}
        previous = state.get(prefix + str(fine - 1), now) or {"e": []}
        near = [
            row
            for row in previous["e"] + current["e"]
            if abs(row[3] - moment) <= delta and row[0] != context.account_id
        ]
        others = len({row[0] for row in near})
        rate = self._rate_before(event, moment, fine)
        weight = 1.0 / max(1.0, rate * 2 * delta, others / settings.crowd)
        openings = self._count_opening(context.account_id, moment, now)
        mine: Row = [
            context.account_id, context.trader_id, str(event.volume), moment, event.position_id,
            event.event_id, None if context.price is None else str(context.price), openings,
            event.symbol, event.side,
        ]  # fmt: skip
        current["e"].append(mine)
        if len(current["e"]) > settings.max_bucket_entries:
            current["e"] = current["e"][-settings.max_bucket_entries :]
        state.put(prefix + str(fine), current, expiry(moment, 3 * delta))
        if weight < float(settings.min_weight):  # float ok: a size weight, never money
            return []
        flags: list[Flag] = []
        for row in self._candidates(near, mine, float(event.volume)):  # float ok: not money
            flags.extend(self._match(mine, row, weight, now))
        return flags

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        """Rescore the window with hindsight; rings found here keep the ids the stream gave them."""
        settings = self.settings
        delta = settings.max_delay.total_seconds()
        scales = [scale.total_seconds() for scale in settings.busy_scales]
        by_book: dict[tuple[str, str], list[Row]] = defaultdict(list)
        closed: dict[tuple[str, str], float] = {}
        openings: dict[str, int] = defaultdict(int)
        end: datetime | None = None
        for observed in window:
            event, context = observed.event, observed.context
            end = event.time
            if isinstance(event, PositionOpened):
                openings[context.account_id] += 1
                by_book[(event.symbol, event.side)].append(
                    [
                        context.account_id, context.trader_id, str(event.volume), event.time.timestamp(),
                        event.position_id, event.event_id,
                        None if context.price is None else str(context.price), 0, event.symbol, event.side,
                    ]
                )  # fmt: skip
            elif isinstance(event, PositionClosed):
                closed[(context.account_id, event.position_id)] = event.time.timestamp()
        if end is None:
            return []
        matches: dict[str, list[tuple[float, float, Row, Row]]] = defaultdict(list)
        for rows in by_book.values():
            rows.sort(key=lambda row: row[3])
            busy = _Busyness(rows, delta, scales, settings.crowd)
            for index, row in enumerate(rows):
                later = index + 1
                while later < len(rows) and rows[later][3] - row[3] <= delta:
                    other = rows[later]
                    if other[1] != row[1] and other[0] != row[0]:
                        weight = min(busy.weight(index), busy.weight(later))
                        if weight >= float(settings.min_weight):  # float ok: not money
                            first, second = sorted((row, other), key=lambda r: r[0])
                            ratio = float(second[2]) / float(first[2])
                            matches[pair_subject(row[0], other[0])].append((weight, ratio, row, other))
                    later += 1
        counted: list[PairFigures] = []
        for subject, found in matches.items():
            figures = self._deep_pair(subject, found, openings, closed)
            if figures is not None:
                counted.append(figures)
        return self._deep_rings(counted, end)

    # -- the stream ---------------------------------------------------------------------------------------

    def _rate_before(self, event: PositionOpened, moment: float, fine: int) -> float:  # float ok: not money
        """Openings per second of the symbol and side just before the window, the highest over the busy
        scales; counts this opening in."""
        settings = self.settings
        delta = settings.max_delay.total_seconds()
        slots = int(settings.busy_span.total_seconds() // delta)
        coarse = int(moment // settings.busy_span.total_seconds())
        prefix = f"copy#rate#{event.symbol}#{event.side}#"
        current = self._state.get(prefix + str(coarse), event.time) or {"c": [0] * slots}
        previous = self._state.get(prefix + str(coarse - 1), event.time) or {"c": [0] * slots}
        slot = fine - coarse * slots
        before = (previous["c"] + current["c"])[: slots + slot - 1]
        rate = max(
            sum(before[-int(scale.total_seconds() // delta) :]) / scale.total_seconds()
            for scale in settings.busy_scales
        )
        current["c"][slot] += 1
        until = expiry(moment, 2 * settings.busy_span.total_seconds())
        self._state.put(prefix + str(coarse), current, until)
        return float(rate)  # float ok: a detector statistic or epoch s, never money

    def _count_opening(self, account: str, moment: float, now: datetime) -> int:  # float ok: not money
        key = f"copy#acct#{account}"
        today = day_of(moment)
        item = self._state.get(key, now) or {"d": []}
        days = recent_days(item["d"], today, self.settings.memory_days)
        if days and days[-1][0] == today:
            days[-1][1] += 1
        else:
            days.append([today, 1])
        self._state.put(key, {"d": days}, expiry(moment, self.settings.memory_days * DAY))
        return sum(day[1] for day in days)

    def _candidates(self, near: list[Row], mine: Row, volume: float) -> list[Row]:  # float ok: not money
        tolerance = float(self.settings.volume_tolerance)  # float ok: not money
        best: dict[str, Row] = {}
        for row in near:
            if row[1] == mine[1]:
                continue
            other = float(row[2])  # float ok: a detector statistic or epoch s, never money
            if abs(other - volume) / max(other, volume) > tolerance:
                continue
            kept = best.get(row[0])
            if kept is None or abs(row[3] - mine[3]) < abs(kept[3] - mine[3]):
                best[row[0]] = row
        ordered = sorted(best.values(), key=lambda row: abs(row[3] - mine[3]))
        return ordered[: self.settings.max_candidates]

    def _match(self, mine: Row, theirs: Row, weight: float, now: datetime) -> list[Flag]:  # float ok
        settings = self.settings
        moment = mine[3]
        low, high = sorted((mine[0], theirs[0]))
        key = f"copy#pair#{low}#{high}"
        pair = self._state.get(key, now) or {
            "d": [], "t": {mine[0]: mine[1], theirs[0]: theirs[1]}, "n": {}, "first": {}, "rows": [],
            "lvl": -1,
        }  # fmt: skip
        today = day_of(moment)
        days = recent_days(pair["d"], today, settings.memory_days)
        if days and days[-1][0] == today:
            days[-1][1] += 1
            days[-1][2] += weight
        else:
            days.append([today, 1, weight])
        pair["d"] = days
        pair["n"][mine[0]] = mine[7]
        pair["n"][theirs[0]] = max(pair["n"].get(theirs[0], 0), theirs[7])
        pair["first"][theirs[0]] = pair["first"].get(theirs[0], 0) + 1
        pair["rows"] = ([*pair["rows"], [theirs, mine]])[-settings.evidence_rows :]
        figures = _figures(pair, (low, high))
        level = self._level(figures)
        report = level > pair["lvl"]
        if report:
            pair["lvl"] = level
        self._state.put(key, pair, expiry(moment, settings.memory_days * DAY))
        if not report:
            return []
        return [self._ring_update(figures, now, "stream")]

    def _level(self, figures: PairFigures) -> int:
        """-1 while the pair does not count; then 0, 1, 2... as its repeats pass 1, 2, 4... x min_repeats
        (the flag is refreshed at those steps, not at every repeat)."""
        settings = self.settings
        counts = (
            figures.repeats >= settings.min_repeats
            and figures.score >= float(settings.min_score)  # float ok: not money
            and figures.share >= float(settings.min_share)  # float ok: not money
        )
        return int(math.log2(figures.repeats / settings.min_repeats)) if counts else -1

    # -- rings ----------------------------------------------------------------------------------------------

    def _ring_update(self, figures: PairFigures, now: datetime, found_by: Pass) -> Flag:
        ring_id, ring, absorbed = self._ring_of(list(figures.accounts), now, pair_subject(*figures.accounts))
        self._add_edge(ring, figures)
        self._save_ring(ring_id, ring, absorbed, now)
        return self._ring_flag(ring_id, ring, now, found_by)

    def _ring_of(self, accounts: list[str], now: datetime, new_id: str) -> tuple[str, Item, list[str]]:
        """The ring the accounts belong to (merging the rings they are in: the largest survives)."""
        ids = []
        for account in accounts:
            found = self._state.get(f"copy#ring-of#{account}", now)
            if found is not None and found["r"] not in ids:
                ids.append(found["r"])
        rings = {ring_id: self._state.get(f"copy#ring#{ring_id}", now) for ring_id in ids}
        live = {ring_id: ring for ring_id, ring in rings.items() if ring is not None}
        if not live:
            return new_id, {"m": {}, "e": {}, "sup": []}, []
        survivor = min(live, key=lambda ring_id: (-len(live[ring_id]["m"]), ring_id))
        ring = live[survivor]
        absorbed = [ring_id for ring_id in live if ring_id != survivor]
        for ring_id in absorbed:
            other = live[ring_id]
            for account, trader in other["m"].items():
                if len(ring["m"]) < self.settings.max_ring_members:
                    ring["m"][account] = trader
            ring["e"].update(other["e"])
            ring["sup"] = sorted({*ring["sup"], ring_id, *other["sup"]})
        return survivor, ring, absorbed

    def _add_edge(self, ring: Item, figures: PairFigures) -> None:
        for account, trader in zip(figures.accounts, figures.traders, strict=True):
            if account in ring["m"] or len(ring["m"]) < self.settings.max_ring_members:
                ring["m"][account] = trader
        leader = max(figures.first, key=lambda account: figures.first[account]) if figures.first else ""
        ring["e"][pair_subject(*figures.accounts)] = [
            figures.repeats, round(figures.score, 4), round(figures.share, 4), leader,
            figures.first.get(leader, 0), figures.rows[-3:], figures.together,
        ]  # fmt: skip
        if len(ring["e"]) > self.settings.max_ring_edges:
            weakest = sorted(ring["e"], key=lambda subject: ring["e"][subject][1])
            for subject in weakest[: len(ring["e"]) - self.settings.max_ring_edges]:
                del ring["e"][subject]

    def _save_ring(self, ring_id: str, ring: Item, absorbed: list[str], now: datetime) -> None:
        until = expiry(now.timestamp(), self.settings.memory_days * DAY)
        for old in absorbed:
            self._state.delete(f"copy#ring#{old}")
        self._state.put(f"copy#ring#{ring_id}", ring, until)
        for account in ring["m"]:
            self._state.put(f"copy#ring-of#{account}", {"r": ring_id}, until)

    def _ring_flag(self, ring_id: str, ring: Item, now: datetime, found_by: Pass) -> Flag:
        settings = self.settings
        edges = sorted(ring["e"].items(), key=lambda item: -item[1][1])
        repeats, score = max(edge[0] for _, edge in edges), max(edge[1] for _, edge in edges)
        members = sorted(ring["m"])
        traders = tuple(sorted(set(ring["m"].values())))
        inputs = tuple(
            (
                subject,
                f"repeats {edge[0]}, score {score_of(edge[1])}, share {score_of(edge[2])}, "
                f"first in {edge[4]}: {edge[3]}" + (f", closed together {edge[6]}" if edge[6] else ""),
            )
            for subject, edge in edges
        )
        rows: list[tuple[TradeRef, ...]] = []
        for _, edge in edges:
            for row in edge[5]:
                if len(rows) < settings.evidence_rows:
                    rows.append(tuple(_trade(opening) for opening in row))
        grave = len(members) >= 3 or repeats >= 2 * settings.min_repeats
        summary = (
            f"{len(members)} accounts of {len(traders)} traders opened the same symbol and side within "
            f"{int(settings.max_delay.total_seconds())} s, up to {repeats} times per pair"
        )
        evidence = Evidence(summary, score_of(score), FORMULA, inputs, settings.thresholds(), tuple(rows))
        return Flag(
            flag_id=flag_id(self.name, ring_id),
            detector=self.name,
            severity="high" if grave else "medium",
            accounts=tuple(members),
            traders=traders,
            evidence=evidence,
            detected_at=now,
            found_by=found_by,
            supersedes=tuple(ring["sup"]),
        )

    # -- the deep pass --------------------------------------------------------------------------------------

    def _deep_pair(
        self,
        subject: str,
        found: list[tuple[float, float, Row, Row]],
        openings: dict[str, int],
        closed: dict[tuple[str, str], float],
    ) -> PairFigures | None:
        settings = self.settings
        tolerance, ratio_tolerance = float(settings.volume_tolerance), float(settings.ratio_tolerance)
        alike = [match for match in found if abs(match[1] - 1) / max(match[1], 1) <= tolerance]
        steady_ratio = median(match[1] for match in found)
        steady = [match for match in found if abs(match[1] / steady_ratio - 1) <= ratio_tolerance]
        chosen = steady if len(steady) > len(alike) else alike
        if len(chosen) < settings.min_repeats:
            return None
        low, high = subject.split("+", 1)
        repeats = len(chosen)
        score = sum(match[0] for match in chosen)
        share = repeats / max(1, min(openings[low], openings[high]))
        first: dict[str, int] = defaultdict(int)
        together = 0
        for _, _, earlier, later in chosen:
            first[earlier[0]] += 1
            closes = closed.get((earlier[0], earlier[4])), closed.get((later[0], later[4]))
            if closes[0] is not None and closes[1] is not None:
                together += abs(closes[0] - closes[1]) <= settings.max_delay.total_seconds()
        traders = {row[0]: row[1] for match in chosen for row in match[2:]}
        rows = [[earlier, later] for _, _, earlier, later in chosen[-settings.evidence_rows :]]
        figures = PairFigures(
            (low, high), (traders[low], traders[high]), repeats, score, share, dict(first), rows, together
        )
        return figures if self._level(figures) >= 0 else None

    def _deep_rings(self, counted: list[PairFigures], end: datetime) -> list[Flag]:
        by_subject = {pair_subject(*figures.accounts): figures for figures in counted}
        groups = components([figures.accounts for figures in counted])
        flags = []
        for group in groups:
            edges = [
                figures for subject, figures in by_subject.items() if set(subject.split("+", 1)) <= group
            ]
            strongest = max(edges, key=lambda figures: figures.score)
            ring_id, ring, absorbed = self._ring_of(sorted(group), end, pair_subject(*strongest.accounts))
            for figures in edges:
                self._add_edge(ring, figures)
            self._save_ring(ring_id, ring, absorbed, end)
            flags.append(self._ring_flag(ring_id, ring, end, "deep"))
        return flags


class _Busyness:
    """The two-sided weights of the openings of one symbol and side in a window (computed on demand: only
    openings that match another need one)."""

    def __init__(self, rows: list[Row], delta: float, scales: list[float], crowd: int) -> None:  # float ok
        self._rows = rows
        self._times = [row[3] for row in rows]
        self._delta, self._scales, self._crowd = delta, scales, crowd
        self._weights: dict[int, float] = {}

    def weight(self, index: int) -> float:  # float ok: a detector statistic or epoch s, never money
        if index not in self._weights:
            times, delta = self._times, self._delta
            moment = times[index]
            low, high = bisect_left(times, moment - delta), bisect_right(times, moment + delta)
            others = len({row[0] for row in self._rows[low:high]} - {self._rows[index][0]})
            rate = max(
                (bisect_right(times, moment + scale) - bisect_left(times, moment - scale) - (high - low))
                / (2 * scale - 2 * delta)
                for scale in self._scales
            )
            self._weights[index] = 1.0 / max(1.0, rate * 2 * delta, others / self._crowd)
        return self._weights[index]


def _figures(pair: Item, accounts: tuple[str, str]) -> PairFigures:
    repeats = sum(day[1] for day in pair["d"])
    score = sum(day[2] for day in pair["d"])
    fewer = min(pair["n"].get(accounts[0], repeats), pair["n"].get(accounts[1], repeats))
    return PairFigures(
        accounts=accounts,
        traders=(pair["t"][accounts[0]], pair["t"][accounts[1]]),
        repeats=repeats,
        score=score,
        share=repeats / max(1, fewer),
        first=dict(pair["first"]),
        rows=pair["rows"],
    )


def _trade(row: Row) -> TradeRef:
    return TradeRef(
        account_id=row[0],
        position_id=row[4],
        symbol=row[8],
        side=row[9],
        volume=Decimal(row[2]),
        opened_at=datetime.fromtimestamp(row[3], UTC),
        price=None if row[6] is None else Decimal(row[6]),
        event_id=row[5],
    )
