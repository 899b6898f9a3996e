"""Martingale and grid: adding to a losing position, in the same direction, again and again.

When an account opens a position, its open positions on the same symbol and side (from the position book)
and the new one form a ladder; the chain of adds that each came in at a worse price than the entry before
(still underwater), back from the new one, is what counts. A ladder is:

- martingale: at least `martingale_adds` adds each `min_ratio` to `max_ratio` times the size before (the
  doubling that wins back every loss with the first tick of luck);
- grid: at least `grid_adds` adds, none smaller than `grid_min_ratio` times the size before.

Each chain runs back from the new entry through the latest earlier entry at a better price whose size fits
(so two ladders running at once on one symbol are each seen).

Score: the qualifying ladders of the last `memory_days`; flagged at `min_ladders` (one ladder may be a
trader's bad day; a habit is the strategy), or at once for a ladder of `single_ladder_adds` adds or more
(the firms' rule against adding more than five positions to a losing trade is broken by one trade).

Item `mg#{account}`: the qualifying ladders with their positions. Openings that form no qualifying ladder
cost nothing; the others one read and one write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import DetectorName, Evidence, Flag, TradeRef, flag_id, score_of
from propdesk.abuse.inputs import AbuseEvent, BookPosition, Context, Observed
from propdesk.abuse.state import KeyedState, expiry
from propdesk.engine.events import PositionOpened

DAY = 86400
FORMULA = (
    "score = qualifying ladders over memory_days, flagged at min_ladders or at one ladder of "
    "single_ladder_adds adds; a ladder is the chain of same-side adds each at a worse price than the entry "
    "before; martingale: >= martingale_adds adds of min_ratio..max_ratio x the size before; grid: >= "
    "grid_adds adds of at least grid_min_ratio x the size before"
)


@dataclass(frozen=True, slots=True)
class MartingaleGridSettings:
    min_ratio: Decimal = Decimal("1.5")
    max_ratio: Decimal = Decimal(3)
    martingale_adds: int = 2
    grid_adds: int = 4
    grid_min_ratio: Decimal = Decimal("0.9")
    min_ladders: int = 2
    single_ladder_adds: int | None = 6
    memory_days: int = 14
    max_ladders: int = 20
    enforcement: Enforcement = field(default_factory=Enforcement)

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        return (
            ("min_ratio", str(self.min_ratio)),
            ("max_ratio", str(self.max_ratio)),
            ("martingale_adds", str(self.martingale_adds)),
            ("grid_adds", str(self.grid_adds)),
            ("grid_min_ratio", str(self.grid_min_ratio)),
            ("min_ladders", str(self.min_ladders)),
            ("single_ladder_adds", str(self.single_ladder_adds)),
            ("memory_days", str(self.memory_days)),
        )


class MartingaleGridDetector:
    name: DetectorName = "martingale_grid"

    def __init__(self, state: KeyedState, settings: MartingaleGridSettings | None = None) -> None:
        self._state = state
        self.settings = settings or MartingaleGridSettings()

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        if not isinstance(event, PositionOpened) or context.price is None:
            return []
        same = [
            position for position in context.open_positions
            if position.symbol == event.symbol and position.side == event.side and position.price is not None
        ]  # fmt: skip
        if not same:
            return []
        new = BookPosition(
            event.position_id,
            event.symbol,
            event.side,
            event.volume,
            event.time,
            context.price,
            event.event_id,
        )
        found = self._ladder([*sorted(same, key=lambda position: position.opened_at), new])
        if found is None:
            return []
        kind, run = found
        settings, now = self.settings, event.time
        moment = now.timestamp()
        key = f"mg#{context.account_id}"
        item = self._state.get(key, now) or {"l": {}, "r": 0}
        memory = settings.memory_days * DAY
        ladders = {lid: ladder for lid, ladder in item["l"].items() if moment - ladder[1] <= memory}
        ladders[run[0].position_id] = [
            kind,
            run[0].opened_at.timestamp(),
            [[p.position_id, str(p.volume), str(p.price), p.opened_at.timestamp(), p.event_id] for p in run],
        ]
        while len(ladders) > settings.max_ladders:
            del ladders[next(iter(ladders))]
        item["l"] = ladders
        longest = max(len(ladder[2]) - 1 for ladder in ladders.values())
        single = settings.single_ladder_adds is not None and longest >= settings.single_ladder_adds
        report = (len(ladders) >= settings.min_ladders or single) and len(ladders) > item["r"]
        if report:
            item["r"] = len(ladders)
        self._state.put(key, item, expiry(moment, memory))
        if not report:
            return []
        return [self._flag(context, event.symbol, event.side, ladders, now)]

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        return []  # every ladder is judged when its add arrives: hindsight adds nothing

    def _ladder(self, entries: list[BookPosition]) -> tuple[str, list[BookPosition]] | None:
        """The ladder the newest entry completes, if any: a martingale chain (each add `min_ratio` to
        `max_ratio` times the size of the entry it doubles), else a grid chain (each add at least
        `grid_min_ratio` times the one before), else a long chain of any sizes (`single_ladder_adds`)."""
        settings = self.settings
        martingale = _chain(entries, lambda ratio: settings.min_ratio <= ratio <= settings.max_ratio)
        if len(martingale) - 1 >= settings.martingale_adds:
            return "martingale", martingale
        grid = _chain(entries, lambda ratio: ratio >= settings.grid_min_ratio)
        if len(grid) - 1 >= settings.grid_adds:
            return "grid", grid
        longest = _chain(entries, lambda ratio: True)
        if settings.single_ladder_adds is not None and len(longest) - 1 >= settings.single_ladder_adds:
            return "adds", longest
        return None

    def _flag(
        self, context: Context, symbol: str, side: str, ladders: dict[str, list[object]], now: datetime
    ) -> Flag:
        settings = self.settings
        rows = []
        inputs = []
        longest = 0
        for ladder_id, (kind, _, positions) in ladders.items():
            legs = list(positions)  # type: ignore[call-overload]
            longest = max(longest, len(legs) - 1)
            volumes = " -> ".join(str(leg[1]) for leg in legs)
            inputs.append(
                (f"ladder {ladder_id}", f"{kind}: {len(legs) - 1} adds underwater, sizes {volumes}")
            )
            rows.append(
                tuple(
                    TradeRef(
                        account_id=context.account_id,
                        position_id=leg[0],
                        symbol=symbol,
                        side=side,
                        volume=Decimal(leg[1]),
                        opened_at=datetime.fromtimestamp(leg[3], UTC),
                        price=Decimal(leg[2]),
                        event_id=leg[4],
                    )
                    for leg in legs
                )
            )
        summary = f"{len(ladders)} ladders of adds to losing positions in {settings.memory_days} days"
        evidence = Evidence(
            summary, score_of(len(ladders)), FORMULA, tuple(inputs), settings.thresholds(), tuple(rows)
        )
        return Flag(
            flag_id=flag_id(self.name, context.account_id),
            detector=self.name,
            severity="high" if longest >= 5 or len(ladders) >= 2 * settings.min_ladders else "medium",
            accounts=(context.account_id,),
            traders=(context.trader_id,),
            evidence=evidence,
            detected_at=now,
        )


def _chain(entries: list[BookPosition], sized: Callable[[Decimal], bool]) -> list[BookPosition]:
    """The chain back from the newest entry: each time the latest earlier entry at a better price whose size
    the link's size ratio accepts (another ladder running at the same time does not break it)."""
    chain = [entries[-1]]
    for earlier in reversed(entries[:-1]):
        later = chain[0]
        assert later.price is not None and earlier.price is not None
        worse = later.price < earlier.price if later.side == "buy" else later.price > earlier.price
        if worse and sized(later.volume / earlier.volume):
            chain.insert(0, earlier)
    return chain
