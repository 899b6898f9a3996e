"""Scalping (high-frequency trading, as the firms' rules word it): most trades held only seconds, and the
profit made in them.

Over the last `memory_days`, with at least `min_trades` closed trades:

    score = short_trades / closed_trades        (short: held under `short_hold`)
    concentration = net profit of the short trades / net profit of all trades

flagged when the score is above `max_short_share` (E8's rule: more than 50% of trades held under one
minute) beyond chance: the lower bound of its Wilson interval at `confidence_z` must be above the line, so
that a lucky run of quick stop-outs over twenty trades does not flag a trader whose habit is a third (a firm
that applies the rule literally sets `confidence_z` to 0). The flag is high when the short trades made at
least `high_concentration` of a positive net profit; `profit_concentration` (off by default) makes some
concentration a condition of the flag.

Item `scalp#{account}`: per day, trades, short trades, their profit and the gross profit; and the last few
short trades as examples. One read and one write per closing (hold times come from the position book).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import DetectorName, Evidence, Flag, TradeRef, flag_id, score_of
from propdesk.abuse.inputs import AbuseEvent, Context, Observed
from propdesk.abuse.state import KeyedState, day_of, expiry, recent_days
from propdesk.engine.events import PositionClosed

DAY = 86400
ZERO = Decimal(0)
FORMULA = (
    "score = trades held under short_hold / closed trades, over memory_days; flagged when the Wilson lower "
    "bound of the score at confidence_z is above max_short_share (and, if profit_concentration is set, the "
    "short trades made at least that share of a positive net profit)"
)


@dataclass(frozen=True, slots=True)
class ScalpingSettings:
    short_hold: timedelta = timedelta(seconds=60)
    max_short_share: Decimal = Decimal("0.5")
    min_trades: int = 20
    confidence_z: Decimal = Decimal("1.64")
    profit_concentration: Decimal | None = None
    high_concentration: Decimal = Decimal("0.8")
    memory_days: int = 14
    examples: int = 5
    enforcement: Enforcement = field(default_factory=Enforcement)

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        return (
            ("short_hold_seconds", str(int(self.short_hold.total_seconds()))),
            ("max_short_share", str(self.max_short_share)),
            ("confidence_z", str(self.confidence_z)),
            ("min_trades", str(self.min_trades)),
            ("profit_concentration", str(self.profit_concentration)),
            ("high_concentration", str(self.high_concentration)),
            ("memory_days", str(self.memory_days)),
        )


class ScalpingDetector:
    name: DetectorName = "scalping"

    def __init__(self, state: KeyedState, settings: ScalpingSettings | None = None) -> None:
        self._state = state
        self.settings = settings or ScalpingSettings()

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def first_reads(self, event: AbuseEvent, account_id: str, trader_id: str) -> list[str]:
        return [f"scalp#{account_id}"] if isinstance(event, PositionClosed) else []

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        opened = context.opened
        if not isinstance(event, PositionClosed) or opened is None:
            return []
        settings, now = self.settings, event.time
        moment = now.timestamp()
        held = moment - opened.opened_at.timestamp()
        short = held < settings.short_hold.total_seconds()
        key = f"scalp#{context.account_id}"
        item = self._state.get(key, now) or {"d": [], "ex": [], "r": -1}
        today = day_of(moment)
        days = recent_days(item["d"], today, settings.memory_days)
        if not days or days[-1][0] != today:
            days.append([today, 0, 0, "0", "0", "0"])
        row = days[-1]
        profit = event.profit
        row[1] += 1
        row[5] = str(Decimal(row[5]) + max(profit, ZERO))
        row[4] = str(Decimal(row[4]) + profit)
        if short:
            row[2] += 1
            row[3] = str(Decimal(row[3]) + profit)
            example = [
                opened.position_id, opened.symbol, opened.side, str(opened.volume),
                opened.opened_at.timestamp(), moment, str(profit), event.event_id,
            ]  # fmt: skip
            item["ex"] = [*item["ex"], example][-settings.examples :]
        item["d"] = days
        trades = sum(day[1] for day in days)
        shorts = sum(day[2] for day in days)
        share = shorts / trades
        z, most = float(settings.confidence_z), float(settings.max_short_share)  # float ok: statistics
        flagged = (
            trades >= settings.min_trades
            and wilson_lower(shorts, trades, z) > most
            and self._concentrated(days, settings.profit_concentration)
        )
        report = flagged and item["r"] != today
        if report:
            item["r"] = today
        self._state.put(key, item, expiry(moment, settings.memory_days * DAY))
        if not report:
            return []
        return [self._flag(context, item, days, trades, shorts, share, now)]

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        return []  # the stream's per-day counts are exact: hindsight adds nothing

    def _concentrated(self, days: list[list[object]], share: Decimal | None) -> bool:
        if share is None:
            return True
        short_profit, net_profit = _profits(days)
        return net_profit > 0 and short_profit >= net_profit * share

    def _flag(
        self,
        context: Context,
        item: dict[str, list[list[object]]],
        days: list[list[object]],
        trades: int,
        shorts: int,
        share: float,  # float ok: a detector statistic or epoch s, never money
        now: datetime,
    ) -> Flag:
        settings = self.settings
        short_profit, net_profit = _profits(days)
        concentration = short_profit / net_profit if net_profit > 0 else ZERO
        inputs = (
            ("closed_trades", str(trades)),
            ("short_trades", str(shorts)),
            ("short_share", str(score_of(share))),
            (
                "short_share_lower_bound",
                str(score_of(wilson_lower(shorts, trades, float(settings.confidence_z)))),  # float ok
            ),
            ("short_trades_profit", str(short_profit)),
            ("net_profit", str(net_profit)),
            ("concentration", str(score_of(concentration))),
        )
        examples = tuple(
            (
                TradeRef(
                    account_id=context.account_id,
                    position_id=str(example[0]),
                    symbol=str(example[1]),
                    side=str(example[2]),
                    volume=Decimal(str(example[3])),
                    opened_at=datetime.fromtimestamp(float(str(example[4])), UTC),  # float ok: not money
                    closed_at=datetime.fromtimestamp(float(str(example[5])), UTC),  # float ok: not money
                    profit=Decimal(str(example[6])),
                    event_id=None if example[7] is None else str(example[7]),
                    note=f"held {float(str(example[5])) - float(str(example[4])):.0f} s",  # float ok
                ),
            )
            for example in item["ex"]
        )
        summary = (
            f"{shorts} of {trades} trades held under {int(settings.short_hold.total_seconds())} s "
            f"in {settings.memory_days} days; they made {short_profit} of a net {net_profit}"
        )
        evidence = Evidence(summary, score_of(share), FORMULA, inputs, settings.thresholds(), examples)
        return Flag(
            flag_id=flag_id(self.name, context.account_id),
            detector=self.name,
            severity="high" if concentration >= settings.high_concentration else "medium",
            accounts=(context.account_id,),
            traders=(context.trader_id,),
            evidence=evidence,
            detected_at=now,
        )


def _profits(days: list[list[object]]) -> tuple[Decimal, Decimal]:
    """The net profit of the short trades and of all trades over the days."""
    short_profit = sum((Decimal(str(day[3])) for day in days), ZERO)
    net_profit = sum((Decimal(str(day[4])) for day in days), ZERO)
    return short_profit, net_profit


def wilson_lower(successes: int, trials: int, z: float) -> float:  # float ok: not money
    """The lower bound of the Wilson score interval of a proportion (z = 0: the proportion itself)."""
    if trials == 0:
        return 0.0
    share = successes / trials
    if z == 0:
        return share
    denominator = 1 + z * z / trials
    centre = share + z * z / (2 * trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / denominator
