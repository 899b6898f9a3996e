"""Cross-account hedging: one person holding opposite positions on the same instrument in two accounts, so
that one of them passes whatever the market does. Accounts are candidates when they belong to the same
trader or to traders whose identity link reaches `min_link` (`propdesk.abuse.links`).

A hedge: opposite sides of one symbol opened within `max_gap` of each other at sizes within
`volume_tolerance`, leaving the two accounts exposed in opposite directions (each account's net position on
the symbol after its opening, from the position book: a trader who flips within one account is not
hedged against the other). Score of a pair of accounts over `memory_days`:

    score = hedges + mirror_weight x mirrored + outcome_weight x tell_tale

`mirrored` counts hedges whose two legs closed one in profit and one at a loss; `tell_tale` is 1 once one
account failed while the other's hedged legs are in profit. A pair is flagged at `min_hedges` hedges.

The daily deep pass looks at the window's openings again against the links known at its end: a signal that
linked two traders after they hedged (a shared card seen at the next purchase) still catches the hedges.

Items: `hedge#trader#{trader}` (the trader's openings of the last `max_gap`, and which open positions are
legs of which pair), `hedge#pair#{a}#{b}` (the pair's hedges, legs' profits, failures, and the link); plus
the link index's items (shared with the shared-identity detector when both use one table).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import (
    DetectorName,
    Evidence,
    Flag,
    Pass,
    SharedSignal,
    TradeRef,
    flag_id,
    pair_subject,
    score_of,
)
from propdesk.abuse.inputs import AbuseEvent, AccountOutcome, Context, IdentitySignal, Observed
from propdesk.abuse.links import Link, LinkIndex, SignalWeights
from propdesk.abuse.state import Item, KeyedState, expiry
from propdesk.engine.events import PositionClosed, PositionOpened

DAY = 86400
ZERO = Decimal(0)
FORMULA = (
    "score = hedges + mirror_weight x mirrored + outcome_weight x tell_tale; a hedge is opposite sides of "
    "one symbol opened within max_gap at sizes within volume_tolerance in two accounts of one trader or of "
    "traders linked at min_link; mirrored: both legs closed, one in profit, one at a loss; tell_tale: one "
    "account failed while the other's hedged legs are in profit"
)

# An opening: [account, position_id, symbol, side, volume, epoch, price, event_id, trader, the account's net
# volume on the symbol after it (buy positive)]
Row = list[Any]


@dataclass(frozen=True, slots=True)
class HedgingSettings:
    max_gap: timedelta = timedelta(minutes=2)
    volume_tolerance: Decimal = Decimal("0.3")
    min_link: Decimal = Decimal(1)
    min_hedges: int = 2
    mirror_weight: Decimal = Decimal("0.5")
    outcome_weight: Decimal = Decimal(3)
    memory_days: int = 30
    max_linked: int = 10
    max_recent: int = 50
    max_hedges: int = 50
    evidence_rows: int = 10
    weights: SignalWeights = field(default_factory=SignalWeights)
    enforcement: Enforcement = field(default_factory=Enforcement)

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        return (
            ("max_gap_seconds", str(int(self.max_gap.total_seconds()))),
            ("volume_tolerance", str(self.volume_tolerance)),
            ("min_link", str(self.min_link)),
            ("min_hedges", str(self.min_hedges)),
            ("mirror_weight", str(self.mirror_weight)),
            ("outcome_weight", str(self.outcome_weight)),
            ("memory_days", str(self.memory_days)),
        )


class HedgingDetector:
    name: DetectorName = "hedging"

    def __init__(
        self, state: KeyedState, settings: HedgingSettings | None = None, *, record_links: bool = True
    ) -> None:
        """`record_links` False: another detector over the same state (shared identity) records the
        signals in the link index, which this one only reads (recording a signal twice would hide its link
        from the second recorder: the index reports a link once, to whoever records it first)."""
        self._state = state
        self.settings = settings or HedgingSettings()
        self.index = LinkIndex(state, self.settings.weights)
        self._record_links = record_links

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def first_reads(self, event: AbuseEvent, account_id: str, trader_id: str) -> list[str]:
        """The trader's recent openings and legs; for an opening, the trader's links too."""
        if isinstance(event, PositionOpened):
            return [f"hedge#trader#{trader_id}", f"link#trader#{trader_id}"]
        if isinstance(event, PositionClosed | AccountOutcome):
            return [f"hedge#trader#{trader_id}"]
        return []

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        if isinstance(event, IdentitySignal):
            if self._record_links:
                self.index.record(event, context)
            return []
        if isinstance(event, PositionOpened):
            return self._opened(event, context)
        if isinstance(event, PositionClosed):
            return self._closed(event, context)
        if isinstance(event, AccountOutcome) and event.outcome == "failed":
            return self._failed(event, context)
        return []

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        """The window's hedges against the links known now (a signal that came after the trades counts),
        with their outcomes."""
        settings = self.settings
        by_symbol: dict[str, list[tuple[float, str, Observed]]] = defaultdict(list)
        profits: dict[tuple[str, str], Decimal] = {}
        failed: dict[str, float] = {}
        end: datetime | None = None
        for observed in window:
            event, context = observed.event, observed.context
            end = event.time
            if isinstance(event, PositionOpened):
                by_symbol[event.symbol].append((event.time.timestamp(), context.trader_id, observed))
            elif isinstance(event, PositionClosed):
                profits[(context.account_id, event.position_id)] = event.profit
            elif isinstance(event, AccountOutcome) and event.outcome == "failed":
                failed[context.account_id] = event.time.timestamp()
        if end is None:
            return []
        gap = settings.max_gap.total_seconds()
        pairs: dict[str, Item] = {}
        known: dict[str, dict[str, Link]] = {}
        made: dict[int, Row] = {}

        def row_of(observed: Observed) -> Row:
            if id(observed) not in made:
                assert isinstance(observed.event, PositionOpened)
                made[id(observed)] = _row(observed.event, observed.context)
            return made[id(observed)]

        for openings in by_symbol.values():
            for index, (moment, trader, observed) in enumerate(openings):
                back = index - 1
                while back >= 0 and moment - openings[back][0] <= gap:
                    _, other_trader, other = openings[back]
                    back -= 1
                    between = None
                    if other_trader != trader:
                        if trader not in known:
                            known[trader] = self.index.links(trader, end, settings.min_link)
                        between = known[trader].get(other_trader)
                        if between is None:
                            continue
                    earlier, row = row_of(other), row_of(observed)
                    if not self._hedges(earlier, row):
                        continue
                    subject = pair_subject(earlier[0], row[0])
                    pair = pairs.setdefault(subject, _new_pair(earlier, row, between))
                    hedge = [earlier, row, _text(profits.get((earlier[0], earlier[1]))),
                             _text(profits.get((row[0], row[1])))]  # fmt: skip
                    pair["x"][f"{earlier[1]}/{row[1]}"] = hedge
        flags = []
        for subject, pair in pairs.items():
            for account in subject.split("+", 1):
                if account in failed:
                    pair["fail"][account] = failed[account]
            figures = _figures(pair, settings)
            if figures["hedges"] >= settings.min_hedges:
                flags.append(self._flag(subject, pair, figures, end, "deep"))
        return flags

    # -- the stream ------------------------------------------------------------------------------------

    def _opened(self, event: PositionOpened, context: Context) -> list[Flag]:
        settings, state, now = self.settings, self._state, event.time
        moment = now.timestamp()
        gap = settings.max_gap.total_seconds()
        own_key = f"hedge#trader#{context.trader_id}"
        own = state.get(own_key, now) or {"r": [], "pos": {}, "acc": {}}
        own["r"] = [row for row in own["r"] if moment - row[5] <= gap]
        candidates: list[tuple[Row, Link | None]] = [(row, None) for row in own["r"]]
        link: Link | None
        others: dict[str, Item] = {}
        links = [
            link for link in self.index.links(context.trader_id, now, settings.min_link).values()
            if link.trader != context.trader_id
        ][: settings.max_linked]  # fmt: skip
        for link in links:
            item = state.get(f"hedge#trader#{link.trader}", now)
            if item is not None:
                others[link.trader] = item
                candidates.extend((row, link) for row in item["r"] if moment - row[5] <= gap)
        mine = _row(event, context)
        matched: dict[str, tuple[Row, Link | None]] = {}
        for row, link in candidates:
            if self._hedges(row, mine):
                kept = matched.get(row[0])
                if kept is None or abs(row[5] - moment) < abs(kept[0][5] - moment):
                    matched[row[0]] = (row, link)
        own["r"] = [*own["r"], mine][-settings.max_recent :]
        flags: list[Flag] = []
        touched: set[str] = set()
        for row, link in matched.values():
            subject = pair_subject(row[0], mine[0])
            flags.extend(self._hedge(subject, row, mine, link, now))
            hedge_id = f"{row[1]}/{mine[1]}"
            holder = own if row[8] == context.trader_id else others[row[8]]
            for item, leg in ((own, mine), (holder, row)):
                item["pos"][f"{leg[0]}|{leg[1]}"] = [subject, hedge_id]
                subjects = item["acc"].setdefault(leg[0], [])
                if subject not in subjects:
                    subjects.append(subject)
            if holder is not own:
                touched.add(row[8])
        for trader in touched:
            state.put(f"hedge#trader#{trader}", others[trader], self._until(moment))
        state.put(own_key, own, self._until(moment))
        return flags

    def _hedges(self, first: Row, second: Row) -> bool:
        if first[0] == second[0] or first[2] != second[2] or first[3] == second[3]:
            return False
        if first[9] * second[9] >= 0:
            return False
        a, b = float(first[4]), float(second[4])  # float ok: a detector statistic or epoch s, never money
        return abs(a - b) / max(a, b) <= float(self.settings.volume_tolerance)  # float ok: not money

    def _hedge(self, subject: str, theirs: Row, mine: Row, link: Link | None, now: datetime) -> list[Flag]:
        key = f"hedge#pair#{subject}"
        pair = self._state.get(key, now) or _new_pair(theirs, mine, link)
        hedge_id = f"{theirs[1]}/{mine[1]}"
        pair["x"][hedge_id] = [theirs, mine, None, None]
        memory = self.settings.memory_days * DAY
        pair["x"] = {hid: hedge for hid, hedge in pair["x"].items() if mine[5] - hedge[1][5] <= memory}
        while len(pair["x"]) > self.settings.max_hedges:
            del pair["x"][next(iter(pair["x"]))]
        return self._save_and_report(subject, pair, now)

    def _closed(self, event: PositionClosed, context: Context) -> list[Flag]:
        now = event.time
        own_key = f"hedge#trader#{context.trader_id}"
        own = self._state.get(own_key, now)
        leg = f"{context.account_id}|{event.position_id}"
        if own is None or leg not in own["pos"]:
            return []
        subject, hedge_id = own["pos"].pop(leg)
        self._state.put(own_key, own, self._until(now.timestamp()))
        pair = self._state.get(f"hedge#pair#{subject}", now)
        if pair is None or hedge_id not in pair["x"]:
            return []
        hedge = pair["x"][hedge_id]
        side = 2 if hedge[0][0] == context.account_id and hedge[0][1] == event.position_id else 3
        hedge[side] = str(event.profit)
        return self._save_and_report(subject, pair, now)

    def _failed(self, event: AccountOutcome, context: Context) -> list[Flag]:
        now = event.time
        own = self._state.get(f"hedge#trader#{context.trader_id}", now)
        if own is None:
            return []
        flags = []
        for subject in own["acc"].get(context.account_id, []):
            pair = self._state.get(f"hedge#pair#{subject}", now)
            if pair is not None:
                pair["fail"][context.account_id] = now.timestamp()
                flags.extend(self._save_and_report(subject, pair, now))
        return flags

    def _save_and_report(self, subject: str, pair: Item, now: datetime) -> list[Flag]:
        settings = self.settings
        figures = _figures(pair, settings)
        hedges = figures["hedges"]
        level = [int(math.log2(hedges / settings.min_hedges)) if hedges >= settings.min_hedges else -1,
                 figures["tell_tale"]]  # fmt: skip
        report = level[0] >= 0 and (level[0] > pair["lvl"][0] or level[1] > pair["lvl"][1])
        if report:
            pair["lvl"] = level
        self._state.put(f"hedge#pair#{subject}", pair, self._until(now.timestamp()))
        return [self._flag(subject, pair, figures, now, "stream")] if report else []

    def _until(self, moment: float) -> datetime:  # float ok: a detector statistic or epoch s, never money
        return expiry(moment, self.settings.memory_days * DAY)

    def _flag(self, subject: str, pair: Item, figures: dict[str, Any], now: datetime, found_by: Pass) -> Flag:
        settings = self.settings
        accounts = tuple(subject.split("+", 1))
        traders = tuple(sorted(set(pair["t"].values())))
        rows = tuple(
            tuple(_trade(leg, profit) for leg, profit in ((hedge[0], hedge[2]), (hedge[1], hedge[3])))
            for hedge in list(pair["x"].values())[-settings.evidence_rows :]
        )
        signals = tuple(SharedSignal(s[0], s[1], tuple(s[4]), Decimal(s[2]), s[3]) for s in pair["sig"])
        link = "same trader" if len(traders) == 1 else f"strength {pair['link']}"
        inputs = (
            ("hedges", str(figures["hedges"])),
            ("mirrored", str(figures["mirrored"])),
            ("tell_tale", figures["tell_tale_text"]),
            ("hedged_profit", ", ".join(f"{a} {p}" for a, p in figures["profit"].items())),
            ("link", link),
        )
        summary = (
            f"{figures['hedges']} opposite positions on one symbol opened together in {accounts[0]} and "
            f"{accounts[1]} ({link})"
        )
        evidence = Evidence(
            summary, score_of(figures["score"]), FORMULA, inputs, settings.thresholds(), rows, signals
        )
        return Flag(
            flag_id=flag_id(self.name, subject),
            detector=self.name,
            severity="high" if figures["tell_tale"] else "medium",
            accounts=accounts,
            traders=traders,
            evidence=evidence,
            detected_at=now,
            found_by=found_by,
        )


def _row(event: PositionOpened, context: Context) -> Row:
    net = sum(
        (float(p.volume) if p.side == "buy" else -float(p.volume))  # float ok: not money
        for p in context.open_positions
        if p.symbol == event.symbol
    )
    net += float(event.volume) if event.side == "buy" else -float(event.volume)  # float ok: not money
    return [
        context.account_id, event.position_id, event.symbol, event.side, str(event.volume),
        event.time.timestamp(), None if context.price is None else str(context.price), event.event_id,
        context.trader_id, round(net, 6),
    ]  # fmt: skip


def _new_pair(first: Row, second: Row, link: Link | None) -> Item:
    signals = [] if link is None else [
        [s.kind, s.value, str(s.weight), s.network, list(s.traders)] for s in link.signals
    ]  # fmt: skip
    return {
        "x": {}, "t": {first[0]: first[8], second[0]: second[8]}, "fail": {}, "lvl": [-1, 0],
        "sig": signals, "link": "" if link is None else str(link.strength),
    }  # fmt: skip


def _figures(pair: Item, settings: HedgingSettings) -> dict[str, Any]:
    hedges = list(pair["x"].values())
    profit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    mirrored = 0
    for first, second, first_profit, second_profit in hedges:
        for leg, value in ((first, first_profit), (second, second_profit)):
            if value is not None:
                profit[leg[0]] += Decimal(value)
        if first_profit is not None and second_profit is not None:
            mirrored += (Decimal(first_profit) > 0) != (Decimal(second_profit) > 0)
    tell_tale = 0
    text = "none"
    for account in pair["fail"]:
        others = [other for other in pair["t"] if other != account]
        if others and profit.get(others[0], ZERO) > 0:
            tell_tale = 1
            text = f"{account} failed while {others[0]} made {profit[others[0]]} on the hedges"
    mirror, outcome = float(settings.mirror_weight), float(settings.outcome_weight)  # float ok: weights
    score = len(hedges) + mirror * mirrored + outcome * tell_tale
    return {
        "hedges": len(hedges),
        "mirrored": mirrored,
        "tell_tale": tell_tale,
        "tell_tale_text": text,
        "profit": dict(profit),
        "score": score,
    }


def _trade(row: Row, profit: str | None) -> TradeRef:
    return TradeRef(
        account_id=row[0],
        position_id=row[1],
        symbol=row[2],
        side=row[3],
        volume=Decimal(row[4]),
        opened_at=datetime.fromtimestamp(row[5], UTC),
        price=None if row[6] is None else Decimal(row[6]),
        profit=None if profit is None else Decimal(profit),
        event_id=row[7],
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
