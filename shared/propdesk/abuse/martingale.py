"""Martingale and grid: adding to a losing position, in the same direction, again and again.

When an account opens a position, its open positions on the same symbol and side (from the position book)
and the new one form a ladder; the run of adds that each came in at a worse price than the entry before
(still underwater) is what counts. A ladder is:

- martingale: at least `martingale_adds` adds each `min_ratio` to `max_ratio` times the size before (the
  doubling that wins back every loss with the first tick of luck);
- grid: at least `grid_adds` adds, none smaller than `grid_min_ratio` times the size before (the firms'
  rule against adding more than five positions to a losing trade is this with `grid_adds` = 5).

Score: the qualifying ladders of the last `memory_days`; flagged at `min_ladders` (one ladder may be a
trader's bad day; a habit is the strategy).

Item `mg#{account}`: the qualifying ladders with their positions. Openings that form no qualifying ladder
cost nothing; the others one read and one write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import DetectorName, Evidence, Flag, TradeRef, flag_id, score_of
from propdesk.abuse.inputs import AbuseEvent, BookPosition, Context, Observed
from propdesk.abuse.state import KeyedState, expiry
from propdesk.engine.events import PositionOpened

DAY = 86400
FORMULA = (
    "score = qualifying ladders over memory_days; a ladder is the run of same-side adds each at a worse "
    "price than the entry before; martingale: >= martingale_adds adds of min_ratio..max_ratio x the size "
    "before; grid: >= grid_adds adds of at least grid_min_ratio x the size before"
)


@dataclass(frozen=True, slots=True)
class MartingaleGridSettings:
    min_ratio: Decimal = Decimal("1.5")
    max_ratio: Decimal = Decimal(3)
    martingale_adds: int = 2
    grid_adds: int = 4
    grid_min_ratio: Decimal = Decimal("0.9")
    min_ladders: int = 2
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
        run = _underwater_run([*sorted(same, key=lambda position: position.opened_at), new])
        kind = self._kind(run)
        if kind is None:
            return []
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
        report = len(ladders) >= settings.min_ladders and len(ladders) > item["r"]
        if report:
            item["r"] = len(ladders)
        self._state.put(key, item, expiry(moment, memory))
        if not report:
            return []
        return [self._flag(context, event.symbol, event.side, ladders, now)]

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        return []  # every ladder is judged when its add arrives: hindsight adds nothing

    def _kind(self, run: list[BookPosition]) -> str | None:
        settings = self.settings
        ratios = [later.volume / earlier.volume for earlier, later in pairwise(run)]
        adds = len(ratios)
        geometric = sum(settings.min_ratio <= ratio <= settings.max_ratio for ratio in ratios)
        if geometric >= settings.martingale_adds:
            return "martingale"
        if adds >= settings.grid_adds and all(ratio >= settings.grid_min_ratio for ratio in ratios):
            return "grid"
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


def _underwater_run(ladder: list[BookPosition]) -> list[BookPosition]:
    """The last entries of the ladder that each came in at a worse price than the one before."""
    run = [ladder[-1]]
    for earlier in reversed(ladder[:-1]):
        later = run[0]
        assert later.price is not None and earlier.price is not None
        worse = later.price < earlier.price if later.side == "buy" else later.price > earlier.price
        if not worse:
            break
        run.insert(0, earlier)
    return run
