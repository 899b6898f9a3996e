"""Canonical symbols, each platform's names for them, and volumes in lots.

The engine, the rules and abuse detection speak in canonical symbols (`EURUSD`, `XAUUSD`, `US30`, ...) and in
lots. Platforms do not: brokers add suffixes (`EURUSD.r`, `EURUSD-ECN`, `XAUUSD_i`), DXtrade writes
`EUR/USD`, brokers name indices their own way (`DJ30`, `US30.cash`, `WS30`), and each platform reports
volume in its own unit: Match-Trader and TradeLocker in lots, DXtrade in units of the instrument, cTrader
in hundredths of a unit ("cents": 1 lot of EURUSD = 100 000 units = 10 000 000).

Everything here is a pure table look-up. A firm configures it per platform connection
(`SymbolMapping.from_config`): extra aliases, the suffixes its broker adds, how to write a symbol on the
platform, and contract sizes where its broker differs from the defaults (index and oil CFDs vary most).

Guarantees: `canonical()` never fails (an unknown instrument keeps its cleaned, upper-case name, so a trade
in an exotic still reaches the engine); `to_lots()` and `from_lots()` are exact `Decimal` arithmetic and
inverse to each other, and refuse (`UnknownInstrumentError`) a unit conversion for an instrument whose
contract size nobody configured instead of guessing one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from propdesk.platforms.port import PLATFORMS, PlatformName

AssetClass = Literal["fx", "metal", "index", "energy", "crypto", "other"]


class VolumeUnit(StrEnum):
    """How a platform counts volume on the wire."""

    LOTS = "lots"  # Match-Trader, TradeLocker, MT5
    UNITS = "units"  # DXtrade: the instrument's units (100 000 per lot of EURUSD)
    CENTS = "cents"  # cTrader Open API: hundredths of a unit


class UnknownInstrumentError(ValueError):
    """A volume conversion for an instrument without a known contract size."""

    def __init__(self, symbol: str) -> None:
        super().__init__(f"no contract size for {symbol!r}: configure it for this platform connection")
        self.symbol = symbol


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str  # canonical
    asset_class: AssetClass
    contract_size: Decimal  # units of the instrument in one lot


def _instruments(*rows: tuple[str, AssetClass, str]) -> dict[str, Instrument]:
    return {symbol: Instrument(symbol, kind, Decimal(size)) for symbol, kind, size in rows}


_FX_PAIRS = (
    "EURUSD",
    "GBPUSD",
    "USDJPY",
    "USDCHF",
    "USDCAD",
    "AUDUSD",
    "NZDUSD",
    "EURGBP",
    "EURJPY",
    "EURCHF",
    "EURAUD",
    "EURCAD",
    "EURNZD",
    "GBPJPY",
    "GBPCHF",
    "GBPAUD",
    "GBPCAD",
    "GBPNZD",
    "AUDJPY",
    "AUDCAD",
    "AUDCHF",
    "AUDNZD",
    "CADJPY",
    "CADCHF",
    "CHFJPY",
    "NZDJPY",
    "NZDCAD",
    "NZDCHF",
    "USDMXN",
    "USDZAR",
    "USDTRY",
    "USDSEK",
    "USDNOK",
    "USDSGD",
    "USDHKD",
    "USDPLN",
    "EURPLN",
    "EURSEK",
    "EURNOK",
)

# The contract sizes most CFD brokers use; a firm whose broker differs configures its own.
DEFAULT_INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {
        **_instruments(*((pair, "fx", "100000") for pair in _FX_PAIRS)),
        **_instruments(
            ("XAUUSD", "metal", "100"),
            ("XAGUSD", "metal", "5000"),
            ("XPTUSD", "metal", "100"),
            ("US30", "index", "1"),
            ("NAS100", "index", "1"),
            ("US500", "index", "1"),
            ("US2000", "index", "1"),
            ("GER40", "index", "1"),
            ("UK100", "index", "1"),
            ("FRA40", "index", "1"),
            ("EU50", "index", "1"),
            ("JP225", "index", "1"),
            ("AUS200", "index", "1"),
            ("HK50", "index", "1"),
            ("USOIL", "energy", "1000"),
            ("UKOIL", "energy", "1000"),
            ("NATGAS", "energy", "10000"),
            ("BTCUSD", "crypto", "1"),
            ("ETHUSD", "crypto", "1"),
            ("LTCUSD", "crypto", "1"),
            ("XRPUSD", "crypto", "1"),
            ("SOLUSD", "crypto", "1"),
        ),
    }
)

# Names brokers and platforms use for canonical instruments (compared after cleaning: upper case, no
# separators or suffixes).
DEFAULT_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "GOLD": "XAUUSD",
        "SILVER": "XAGUSD",
        "PLATINUM": "XPTUSD",
        "DJ30": "US30",
        "DJI30": "US30",
        "DOW30": "US30",
        "WS30": "US30",
        "USA30": "US30",
        "US30CASH": "US30",
        "NAS": "NAS100",
        "NDX100": "NAS100",
        "USTEC": "NAS100",
        "US100": "NAS100",
        "USTECH100": "NAS100",
        "NASDAQ100": "NAS100",
        "SPX500": "US500",
        "SP500": "US500",
        "SPX": "US500",
        "USA500": "US500",
        "US2000CASH": "US2000",
        "RUSSELL2000": "US2000",
        "GER30": "GER40",
        "DE40": "GER40",
        "DE30": "GER40",
        "DAX40": "GER40",
        "GERMANY40": "GER40",
        "FTSE100": "UK100",
        "F40": "FRA40",
        "FRANCE40": "FRA40",
        "STOXX50": "EU50",
        "EUSTX50": "EU50",
        "JPN225": "JP225",
        "NIKKEI225": "JP225",
        "ASX200": "AUS200",
        "HSI50": "HK50",
        "WTI": "USOIL",
        "XTIUSD": "USOIL",
        "USOUSD": "USOIL",
        "CL": "USOIL",
        "BRENT": "UKOIL",
        "XBRUSD": "UKOIL",
        "UKOUSD": "UKOIL",
        "XNGUSD": "NATGAS",
        "NGAS": "NATGAS",
        "XBTUSD": "BTCUSD",
        "BTCUSDT": "BTCUSD",
        "ETHUSDT": "ETHUSD",
    }
)

# Broker suffixes seen on the wire (cleaned: upper case). Anything after a '.', '_', '#' or '-' that leaves a
# known instrument is stripped too; these cover suffixes glued on without a separator.
DEFAULT_SUFFIXES: tuple[str, ...] = (
    ".CASH",
    ".RAW",
    ".ECN",
    ".PRO",
    ".STD",
    ".R",
    ".I",
    ".X",
    ".M",
    "+",
    "#",
)

_SEPARATORS = re.compile(r"[\s/]")
_SUFFIX_BOUNDARY = re.compile(r"[._#\-+]")
_PAIR = re.compile(r"^[A-Z]{6}$")


@dataclass(frozen=True, slots=True)
class SymbolMapping:
    """One platform connection's symbols and volumes.

    - `aliases`: platform name → canonical, exact (case-insensitive), checked first (e.g. a broker's
      `"GER40.cash": "GER40"` or a numeric instrument id's name);
    - `suffixes`: broker suffixes to strip (with the defaults);
    - `outgoing`: canonical → platform name where it cannot be derived;
    - `pair_separator` / `append_suffix`: how to write a currency or metal pair on the platform (DXtrade
      `EUR/USD`, a broker's `EURUSD.r`);
    - `instruments`: contract sizes (over the defaults);
    - `volume_unit`: how the platform counts volume.
    """

    platform: PlatformName
    volume_unit: VolumeUnit = VolumeUnit.LOTS
    aliases: Mapping[str, str] = field(default_factory=dict)
    suffixes: tuple[str, ...] = ()
    outgoing: Mapping[str, str] = field(default_factory=dict)
    pair_separator: str = ""
    append_suffix: str = ""
    instruments: Mapping[str, Instrument] = field(default_factory=lambda: DEFAULT_INSTRUMENTS)

    # ---- names ----
    def canonical(self, platform_symbol: str) -> str:
        """The canonical symbol for a platform's name of it (unknown instruments: the cleaned name)."""
        raw = platform_symbol.strip()
        exact = self._exact_aliases().get(raw.upper())
        if exact is not None:
            return exact
        cleaned = _SEPARATORS.sub("", raw.upper())
        known = self._known(cleaned)
        if known is not None:
            return known
        for suffix in sorted((*self.suffixes, *DEFAULT_SUFFIXES), key=len, reverse=True):
            suffix = suffix.upper()
            if suffix and cleaned.endswith(suffix) and len(cleaned) > len(suffix):
                known = self._known(cleaned[: -len(suffix)])
                if known is not None:
                    return known
        boundary = _SUFFIX_BOUNDARY.search(cleaned)
        if boundary is not None and boundary.start() > 0:
            known = self._known(cleaned[: boundary.start()])
            if known is not None:
                return known
        if len(cleaned) == 7 and cleaned[:6].isalpha() and _PAIR.match(cleaned[:6]):
            known = self._known(cleaned[:6])  # a one-letter broker suffix glued on: EURUSDm
            if known is not None:
                return known
        return cleaned

    def platform_symbol(self, canonical: str) -> str:
        """How to write a canonical symbol on this platform."""
        symbol = canonical.upper()
        if symbol in self.outgoing:
            return self.outgoing[symbol]
        instrument = self.instruments.get(symbol)
        if (
            self.pair_separator
            and _PAIR.match(symbol)
            and (instrument is None or instrument.asset_class in ("fx", "metal"))
        ):
            symbol = f"{symbol[:3]}{self.pair_separator}{symbol[3:]}"
        return symbol + self.append_suffix

    # ---- volumes ----
    def contract_size(self, canonical: str) -> Decimal:
        instrument = self.instruments.get(canonical)
        if instrument is None:
            raise UnknownInstrumentError(canonical)
        return instrument.contract_size

    def to_lots(self, canonical: str, volume: Decimal) -> Decimal:
        """A volume as the platform reports it, in lots."""
        if self.volume_unit is VolumeUnit.LOTS:
            return volume
        units = volume if self.volume_unit is VolumeUnit.UNITS else volume / 100
        return units / self.contract_size(canonical)

    def from_lots(self, canonical: str, lots: Decimal) -> Decimal:
        """Lots as the platform counts volume."""
        if self.volume_unit is VolumeUnit.LOTS:
            return lots
        units = lots * self.contract_size(canonical)
        return units if self.volume_unit is VolumeUnit.UNITS else units * 100

    # ---- configuration ----
    @classmethod
    def from_config(cls, platform: PlatformName, config: Mapping[str, Any] | None = None) -> SymbolMapping:
        """The platform's defaults with a firm's settings over them. Keys (all optional): `aliases`
        {platform name: canonical}, `suffixes` [..], `outgoing` {canonical: platform name},
        `pair_separator`, `append_suffix`, `contract_sizes` {canonical: size} (or
        {canonical: {"size": .., "asset_class": ..}} for a new instrument), `volume_unit`."""
        base = default_mapping(platform)
        if not config:
            return base
        unknown = set(config) - _CONFIG_KEYS
        if unknown:
            raise ValueError(f"unknown symbol settings: {', '.join(sorted(unknown))}")
        instruments = dict(base.instruments)
        for symbol, setting in dict(config.get("contract_sizes") or {}).items():
            name = str(symbol).upper()
            if isinstance(setting, Mapping):
                size, kind = setting["size"], setting.get("asset_class", "other")
            else:
                size, kind = setting, instruments[name].asset_class if name in instruments else "other"
            contract = Decimal(str(size))
            if contract <= 0:
                raise ValueError(f"contract size of {name} must be positive")
            instruments[name] = Instrument(name, kind, contract)
        return replace(
            base,
            volume_unit=VolumeUnit(config.get("volume_unit", base.volume_unit)),
            aliases={
                **base.aliases,
                **{str(k): str(v).upper() for k, v in dict(config.get("aliases") or {}).items()},
            },
            suffixes=(*base.suffixes, *(str(s) for s in config.get("suffixes") or ())),
            outgoing={
                **base.outgoing,
                **{str(k).upper(): str(v) for k, v in dict(config.get("outgoing") or {}).items()},
            },
            pair_separator=str(config.get("pair_separator", base.pair_separator)),
            append_suffix=str(config.get("append_suffix", base.append_suffix)),
            instruments=MappingProxyType(instruments),
        )

    # ---- internals ----
    def _exact_aliases(self) -> dict[str, str]:
        return {name.upper(): canonical.upper() for name, canonical in self.aliases.items()}

    def _known(self, cleaned: str) -> str | None:
        if not cleaned:
            return None
        if cleaned in self.instruments:
            return cleaned
        configured = self._exact_aliases().get(cleaned)
        if configured is not None:
            return configured
        return DEFAULT_ALIASES.get(cleaned)


_CONFIG_KEYS = frozenset(
    {"aliases", "suffixes", "outgoing", "pair_separator", "append_suffix", "contract_sizes", "volume_unit"}
)

_DEFAULTS: Mapping[PlatformName, SymbolMapping] = MappingProxyType(
    {
        "match-trader": SymbolMapping("match-trader", VolumeUnit.LOTS),
        "tradelocker": SymbolMapping("tradelocker", VolumeUnit.LOTS),
        "dxtrade": SymbolMapping("dxtrade", VolumeUnit.UNITS, pair_separator="/"),
        "ctrader": SymbolMapping("ctrader", VolumeUnit.CENTS),
        "mt5": SymbolMapping("mt5", VolumeUnit.LOTS),
    }
)
assert set(_DEFAULTS) == set(PLATFORMS)


def default_mapping(platform: PlatformName) -> SymbolMapping:
    """What a platform does out of the box (no broker suffixes, the default contract sizes)."""
    return _DEFAULTS[platform]
