"""The firm's abuse settings, from two setting strings, and the monitor they configure.

- thresholds: `"copy_trading.min_repeats=6,scalping.short_hold=30,hedging.max_gap=90"`: any scalar field of a
  detector's settings dataclass (`docs/abuse.md` lists them); durations in seconds, amounts and shares as
  decimals, counts as integers. An unknown detector or field, or a malformed value, is refused (a typo must
  not silently leave a default in force).
- enforcement: `"hedging=fail_accounts:high,copy_trading=deny_payout:medium"`: the decision taken without
  staff for a detector's flags from that severity (`propdesk.abuse.decisions.Enforcement`). Empty (the
  default): staff decide everything.

`build_monitor` assembles the position book and every detector over one `KeyedState`: the stream consumer
gives it a per-event session of the state table, the deep pass a fresh `MemoryState`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.abuse.book import PositionBook
from propdesk.abuse.copy_trading import CopyTradingDetector, CopyTradingSettings
from propdesk.abuse.decisions import Decision, Enforcement
from propdesk.abuse.feeds import NewsCalendar, PriceFeed, Quote
from propdesk.abuse.flags import DETECTORS, SEVERITIES, DetectorName
from propdesk.abuse.hedging import HedgingDetector, HedgingSettings
from propdesk.abuse.identity import SharedIdentityDetector, SharedIdentitySettings
from propdesk.abuse.latency import LatencyArbitrageDetector, LatencyArbitrageSettings
from propdesk.abuse.martingale import MartingaleGridDetector, MartingaleGridSettings
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.news_straddling import NewsStraddlingDetector, NewsStraddlingSettings
from propdesk.abuse.scalping import ScalpingDetector, ScalpingSettings
from propdesk.abuse.state import KeyedState
from propdesk.errors import InvalidInputError

DEFAULTS: dict[DetectorName, Any] = {
    "copy_trading": CopyTradingSettings(),
    "hedging": HedgingSettings(),
    "shared_identity": SharedIdentitySettings(),
    "scalping": ScalpingSettings(),
    "latency_arbitrage": LatencyArbitrageSettings(),
    "martingale_grid": MartingaleGridSettings(),
    "news_straddling": NewsStraddlingSettings(),
}


class AbuseSettingsError(InvalidInputError):
    code = "abuse_setting_invalid"


@dataclass(frozen=True, slots=True)
class AbuseSettings:
    """Each detector's settings dataclass, defaults unless the firm set a threshold or an enforcement."""

    detectors: dict[DetectorName, Any] = field(default_factory=lambda: dict(DEFAULTS))

    def of(self, name: DetectorName) -> Any:
        return self.detectors[name]


def parse_settings(thresholds: str = "", enforcement: str = "") -> AbuseSettings:
    chosen: dict[DetectorName, Any] = dict(DEFAULTS)
    for name, field_name, text in _entries(thresholds, "thresholds"):
        current = chosen[name]
        fields = {f.name for f in dataclasses.fields(current)}
        if field_name not in fields or field_name in ("enforcement", "weights"):
            raise AbuseSettingsError(f"{name} has no threshold {field_name!r}", "thresholds")
        value = _coerce(getattr(current, field_name), text, f"{name}.{field_name}")
        chosen[name] = replace(current, **{field_name: value})
    for part in _parts(enforcement):
        named, _, rule = part.partition("=")
        detector = _detector(named.strip(), "enforcement")
        decision_text, _, severity = rule.strip().partition(":")
        try:
            decision = Decision(decision_text.strip())
        except ValueError:
            raise AbuseSettingsError(f"unknown decision {decision_text!r}", "enforcement") from None
        level = severity.strip() or "high"
        if level not in SEVERITIES:
            raise AbuseSettingsError(f"unknown severity {level!r}", "enforcement")
        rules = Enforcement(automatic=decision, min_severity=level)
        chosen[detector] = replace(chosen[detector], enforcement=rules)
    return AbuseSettings(chosen)


def build_monitor(
    state: KeyedState,
    settings: AbuseSettings,
    feed: PriceFeed | None = None,
    calendar: NewsCalendar | None = None,
) -> AbuseMonitor:
    """The book and the detectors over `state`. Latency arbitrage judges each fill against the quote that
    came with it (the platform's feed at the fill) or else `feed`'s; without a calendar, no news
    straddling."""
    detectors: list[Any] = [
        CopyTradingDetector(state, settings.of("copy_trading")),
        # one link index over the one state: shared identity records the signals, hedging reads the links
        HedgingDetector(state, settings.of("hedging"), record_links=False),
        SharedIdentityDetector(state, settings.of("shared_identity")),
        ScalpingDetector(state, settings.of("scalping")),
        MartingaleGridDetector(state, settings.of("martingale_grid")),
    ]
    reference = feed if feed is not None else NoReferenceFeed()
    detectors.append(LatencyArbitrageDetector(state, reference, settings.of("latency_arbitrage")))
    if calendar is not None:
        detectors.append(NewsStraddlingDetector(state, calendar, settings.of("news_straddling")))
    return AbuseMonitor(PositionBook(state), detectors)


class NoReferenceFeed:
    """A `PriceFeed` that knows no price (no fill is judged)."""

    def quote_at(self, symbol: str, at: Any) -> Quote | None:
        return None


def _entries(text: str, setting: str) -> list[tuple[DetectorName, str, str]]:
    entries = []
    for part in _parts(text):
        key, _, value = part.partition("=")
        name, _, field_name = key.strip().partition(".")
        if not field_name or not value.strip():
            raise AbuseSettingsError(f"expected detector.field=value, got {part!r}", setting)
        entries.append((_detector(name, setting), field_name, value.strip()))
    return entries


def _parts(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _detector(name: str, setting: str) -> DetectorName:
    if name not in DETECTORS:
        raise AbuseSettingsError(f"unknown detector {name!r}", setting)
    return name


def _coerce(current: Any, text: str, name: str) -> Any:
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "on", "off"):
                raise ValueError(text)
            return text.lower() in ("true", "on")
        if isinstance(current, timedelta):
            return timedelta(seconds=float(Decimal(text)))
        if isinstance(current, int):
            return int(text)
        if isinstance(current, Decimal):
            return Decimal(text)
        if isinstance(current, float):
            return float(Decimal(text))  # float ok: a detector statistic or epoch s, never money
    except (ValueError, InvalidOperation):
        raise AbuseSettingsError(f"{name}: malformed value {text!r}", "thresholds") from None
    raise AbuseSettingsError(f"{name} cannot be set here", "thresholds")
