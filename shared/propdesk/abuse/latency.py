"""Latency arbitrage: fills at stale prices. The platform filled the trade at a price the market had
already left; against the firm's reference feed at the fill time, the fill is better than the market by
more than the spread, again and again.

For a fill on the buy side (opening a buy, closing a sell) the advantage is `ask - fill`, on the sell side
`fill - bid`; a fill is stale when its advantage exceeds `spread_multiple x (ask - bid)`. Over the last
`memory_days`, with at least `min_stale_fills` stale fills:

    score = stale_fills / fills

flagged at `min_stale_share`. Honest traders meet a stale-looking fill now and then in a fast market (a
timestamp a few hundred milliseconds off); a few percent of their fills at most.

The quote is the one that came with the fill (`Context.quote`: the platform's feed at the fill instant) or
else the reference feed's at the fill time.

Item `latency#{account}`: fills and stale fills per day, the last few stale fills as examples. One read and
one write per fill with a price and a quote; nothing otherwise (the feed lookup is not a state operation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.feeds import PriceFeed
from propdesk.abuse.flags import DetectorName, Evidence, Flag, TradeRef, flag_id, score_of
from propdesk.abuse.inputs import AbuseEvent, Context, Observed, opposite
from propdesk.abuse.state import KeyedState, day_of, expiry, recent_days
from propdesk.engine.events import PositionClosed, PositionOpened

DAY = 86400
FORMULA = (
    "score = stale fills / fills over memory_days; stale: advantage over the reference quote at the fill "
    "time (ask - fill when buying, fill - bid when selling) > spread_multiple x spread"
)


@dataclass(frozen=True, slots=True)
class LatencyArbitrageSettings:
    spread_multiple: Decimal = Decimal(1)
    min_stale_fills: int = 5
    min_stale_share: Decimal = Decimal("0.2")
    memory_days: int = 14
    examples: int = 5
    enforcement: Enforcement = field(default_factory=Enforcement)

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        return (
            ("spread_multiple", str(self.spread_multiple)),
            ("min_stale_fills", str(self.min_stale_fills)),
            ("min_stale_share", str(self.min_stale_share)),
            ("memory_days", str(self.memory_days)),
        )


class LatencyArbitrageDetector:
    name: DetectorName = "latency_arbitrage"

    def __init__(
        self, state: KeyedState, feed: PriceFeed, settings: LatencyArbitrageSettings | None = None
    ) -> None:
        self._state = state
        self._feed = feed
        self.settings = settings or LatencyArbitrageSettings()

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def first_reads(self, event: AbuseEvent, account_id: str, trader_id: str) -> list[str]:
        """A fill's account counts (read only when the fill has a price and a quote: a spare key costs a
        batch nothing)."""
        return [f"latency#{account_id}"] if isinstance(event, PositionOpened | PositionClosed) else []

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        price = context.price
        if price is None:
            return []
        if isinstance(event, PositionOpened):
            symbol, side, position_id, volume = event.symbol, event.side, event.position_id, event.volume
        elif isinstance(event, PositionClosed) and context.opened is not None:
            symbol, side = context.opened.symbol, opposite(context.opened.side)
            position_id, volume = event.position_id, context.opened.volume
        else:
            return []
        quote = context.quote or self._feed.quote_at(symbol, event.time)
        if quote is None or quote.ask < quote.bid:
            return []
        settings, now = self.settings, event.time
        advantage = quote.ask - price if side == "buy" else price - quote.bid
        stale = advantage > settings.spread_multiple * quote.spread
        moment = now.timestamp()
        key = f"latency#{context.account_id}"
        item = self._state.get(key, now) or {"d": [], "ex": [], "r": -1}
        today = day_of(moment)
        days = recent_days(item["d"], today, settings.memory_days)
        if not days or days[-1][0] != today:
            days.append([today, 0, 0])
        days[-1][1] += 1
        if stale:
            days[-1][2] += 1
            example = [
                position_id, symbol, side, moment, str(price), str(quote.bid), str(quote.ask), event.event_id,
                "open" if isinstance(event, PositionOpened) else "close", str(volume),
            ]  # fmt: skip
            item["ex"] = [*item["ex"], example][-settings.examples :]
        item["d"] = days
        fills = sum(day[1] for day in days)
        stale_fills = sum(day[2] for day in days)
        share = stale_fills / fills
        flagged = stale_fills >= settings.min_stale_fills and share >= float(settings.min_stale_share)
        report = flagged and stale and item["r"] != today
        if report:
            item["r"] = today
        self._state.put(key, item, expiry(moment, settings.memory_days * DAY))
        if not report:
            return []
        return [self._flag(context, item["ex"], fills, stale_fills, share, now)]

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        return []  # every fill is judged against the feed as it comes: hindsight adds nothing

    def _flag(
        self,
        context: Context,
        examples: list[list[object]],
        fills: int,
        stale: int,
        share: float,
        now: datetime,
    ) -> Flag:
        settings = self.settings
        rows = tuple(
            (
                TradeRef(
                    account_id=context.account_id,
                    position_id=str(example[0]),
                    symbol=str(example[1]),
                    side=str(example[2]),
                    volume=Decimal(str(example[9])),
                    opened_at=datetime.fromtimestamp(float(str(example[3])), UTC),
                    price=Decimal(str(example[4])),
                    event_id=None if example[7] is None else str(example[7]),
                    note=f"{example[8]} fill {example[4]} vs reference bid {example[5]} / ask {example[6]}",
                ),
            )
            for example in examples
        )
        inputs = (("fills", str(fills)), ("stale_fills", str(stale)), ("stale_share", str(score_of(share))))
        summary = f"{stale} of {fills} fills were better than the reference market by more than the spread"
        evidence = Evidence(summary, score_of(share), FORMULA, inputs, settings.thresholds(), rows)
        return Flag(
            flag_id=flag_id(self.name, context.account_id),
            detector=self.name,
            severity="high" if stale >= 3 * settings.min_stale_fills else "medium",
            accounts=(context.account_id,),
            traders=(context.trader_id,),
            evidence=evidence,
            detected_at=now,
        )
