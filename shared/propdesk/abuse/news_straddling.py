"""News straddling: opposite entries on an instrument around a high-impact release, so that whichever way
the news moves the price, one leg rides it (and the other is cancelled or cut).

An entry is a pending order placed or a position opened on a symbol the release targets, from `before` the
release to `after` it. A straddle is two entries of opposite sides within `pair_gap` of each other at sizes
within `volume_tolerance`, the earlier one still alive when the later comes (a position still open; a
pending order is taken as alive, the platform reports no cancellations). A flip (closing a buy after the
release, then selling) is no straddle.

Score: the releases straddled in the last `memory_days`; flagged at `min_straddles`.

Items: `news#{account}#{release}` (the account's entries around one release; entries outside every window
cost nothing) and `news#acct#{account}` (its straddles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.feeds import NewsCalendar
from propdesk.abuse.flags import DetectorName, Evidence, Flag, TradeRef, flag_id, score_of
from propdesk.abuse.inputs import AbuseEvent, Context, Observed, OrderPlaced
from propdesk.abuse.state import KeyedState, expiry
from propdesk.engine.events import PositionOpened
from propdesk.engine.news import NewsRelease

DAY = 86400
FORMULA = (
    "score = releases straddled over memory_days; a straddle: opposite-side entries (pending orders or "
    "positions) on a targeted symbol placed from `before` to `after` the release, within pair_gap of each "
    "other, sizes within volume_tolerance, the earlier still alive"
)

# An entry: [side, "order" | "position", id, epoch, volume, price, event_id, order type]
Entry = list[object]


@dataclass(frozen=True, slots=True)
class NewsStraddlingSettings:
    before: timedelta = timedelta(minutes=5)
    after: timedelta = timedelta(minutes=2)
    pair_gap: timedelta = timedelta(minutes=5)
    volume_tolerance: Decimal = Decimal("0.5")
    min_straddles: int = 2
    memory_days: int = 30
    max_entries: int = 20
    enforcement: Enforcement = field(default_factory=Enforcement)

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        return (
            ("before_seconds", str(int(self.before.total_seconds()))),
            ("after_seconds", str(int(self.after.total_seconds()))),
            ("pair_gap_seconds", str(int(self.pair_gap.total_seconds()))),
            ("volume_tolerance", str(self.volume_tolerance)),
            ("min_straddles", str(self.min_straddles)),
            ("memory_days", str(self.memory_days)),
        )


class NewsStraddlingDetector:
    name: DetectorName = "news_straddling"

    def __init__(
        self, state: KeyedState, calendar: NewsCalendar, settings: NewsStraddlingSettings | None = None
    ) -> None:
        self._state = state
        self._calendar = calendar
        self.settings = settings or NewsStraddlingSettings()

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        if not isinstance(event, OrderPlaced | PositionOpened):
            return []
        settings, now = self.settings, event.time
        releases = [
            release
            for release in self._calendar.releases_between(now - settings.after, now + settings.before)
            if event.symbol in release.symbols
        ]
        flags: list[Flag] = []
        for release in releases:
            flags.extend(self._entry(event, context, release))
        return flags

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        return []  # entries are judged as they come, around releases known beforehand

    def _entry(
        self, event: OrderPlaced | PositionOpened, context: Context, release: NewsRelease
    ) -> list[Flag]:
        settings, now = self.settings, event.time
        moment = now.timestamp()
        released = release.time.timestamp()
        key = f"news#{context.account_id}#{int(released)}"
        item = self._state.get(key, now) or {"e": [], "s": None}
        if isinstance(event, OrderPlaced):
            entry: Entry = [
                event.side,
                "order",
                event.order_id,
                moment,
                str(event.volume),
                None if event.price is None else str(event.price),
                event.event_id,
                event.order_type,
            ]
        else:
            entry = [event.side, "position", event.position_id, moment, str(event.volume),
                     None if context.price is None else str(context.price), event.event_id, ""]  # fmt: skip
        open_now = {position.position_id for position in context.open_positions}
        legs = [
            earlier
            for earlier in item["e"]
            if earlier[0] != event.side
            and abs(moment - float(earlier[3])) <= settings.pair_gap.total_seconds()
            and _alike(Decimal(str(earlier[4])), event.volume, settings.volume_tolerance)
            and (earlier[1] == "order" or earlier[2] in open_now)
        ]
        item["e"] = [*item["e"], entry][-settings.max_entries :]
        straddled = bool(legs) and item["s"] is None
        if straddled:
            item["s"] = [legs[-1], entry]
        lasts = settings.after.total_seconds() + settings.pair_gap.total_seconds()
        self._state.put(key, item, expiry(released, lasts))
        if not straddled:
            return []
        return self._straddle(context, event.symbol, release, [legs[-1], entry], now)

    def _straddle(
        self, context: Context, symbol: str, release: NewsRelease, legs: list[Entry], now: datetime
    ) -> list[Flag]:
        settings = self.settings
        moment = now.timestamp()
        key = f"news#acct#{context.account_id}"
        item = self._state.get(key, now) or {"s": {}, "r": 0}
        memory = settings.memory_days * DAY
        straddles = {
            released: straddle for released, straddle in item["s"].items()
            if moment - float(released) <= memory  # float ok: a detector statistic or epoch s, never money
        }  # fmt: skip
        straddles[str(int(release.time.timestamp()))] = [release.title, symbol, legs]
        item["s"] = straddles
        report = len(straddles) >= settings.min_straddles and len(straddles) > item["r"]
        if report:
            item["r"] = len(straddles)
        self._state.put(key, item, expiry(moment, memory))
        return [self._flag(context, straddles, now)] if report else []

    def _flag(self, context: Context, straddles: dict[str, list[Any]], now: datetime) -> Flag:
        settings = self.settings
        rows = []
        inputs = []
        for released, (title, symbol, legs) in straddles.items():
            at = datetime.fromtimestamp(float(released), UTC)  # float ok: not money
            inputs.append((f"release {at.isoformat()}", f"{title}: {symbol} {legs[0][0]} and {legs[1][0]}"))
            rows.append(tuple(_trade(context.account_id, str(symbol), leg, at) for leg in legs))
        count = len(straddles)
        summary = f"opposite entries around {count} high-impact releases in {settings.memory_days} days"
        evidence = Evidence(
            summary, score_of(count), FORMULA, tuple(inputs), settings.thresholds(), tuple(rows)
        )
        return Flag(
            flag_id=flag_id(self.name, context.account_id),
            detector=self.name,
            severity="high" if count >= 2 * settings.min_straddles else "medium",
            accounts=(context.account_id,),
            traders=(context.trader_id,),
            evidence=evidence,
            detected_at=now,
        )


def _alike(first: Decimal, second: Decimal, tolerance: Decimal) -> bool:
    return abs(first - second) / max(first, second) <= tolerance


def _trade(account: str, symbol: str, leg: list[object], release: datetime) -> TradeRef:
    side, kind, entry_id, moment, volume, price, event_id, order_type = leg
    placed = datetime.fromtimestamp(float(str(moment)), UTC)  # float ok: not money
    offset = (placed - release).total_seconds()
    label = f"{side} {order_type} order" if kind == "order" else f"{side} position"
    return TradeRef(
        account_id=account,
        position_id=str(entry_id),
        symbol=symbol,
        side=str(side),
        volume=Decimal(str(volume)),
        opened_at=placed,
        price=None if price is None else Decimal(str(price)),
        event_id=None if event_id is None else str(event_id),
        note=f"{label} placed {offset:+.0f} s from the release",
    )
