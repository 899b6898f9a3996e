"""Canonical symbols and volumes in lots, whatever each platform calls them and however it counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.platforms.symbols import (
    DEFAULT_INSTRUMENTS,
    SymbolMapping,
    UnknownInstrumentError,
    VolumeUnit,
    default_mapping,
)

MT = default_mapping("match-trader")


@pytest.mark.parametrize(
    ("platform_symbol", "canonical"),
    [
        ("EURUSD", "EURUSD"),
        ("eurusd", "EURUSD"),
        ("EURUSD.r", "EURUSD"),
        ("EURUSD.raw", "EURUSD"),
        ("EURUSD-ECN", "EURUSD"),
        ("EURUSDm", "EURUSD"),
        ("EURUSD+", "EURUSD"),
        ("EUR/USD", "EURUSD"),
        ("XAUUSD_i", "XAUUSD"),
        ("GOLD", "XAUUSD"),
        ("US30.cash", "US30"),
        ("DJ30", "US30"),
        ("WS30", "US30"),
        ("USTEC", "NAS100"),
        ("SPX500", "US500"),
        ("GER30", "GER40"),
        ("DE40.cash", "GER40"),
        ("XTIUSD", "USOIL"),
        ("BTC/USD", "BTCUSD"),
    ],
)
def test_broker_names_map_to_the_canonical_symbol(platform_symbol: str, canonical: str) -> None:
    assert MT.canonical(platform_symbol) == canonical


def test_an_unknown_instrument_keeps_its_cleaned_name() -> None:
    assert MT.canonical(" aapl.us ") == "AAPL.US"
    assert MT.canonical("ABCXYZ") == "ABCXYZ"


def test_a_firm_alias_wins_over_the_defaults() -> None:
    mapping = SymbolMapping.from_config("mt5", {"aliases": {"GOLD": "XAUEUR", "DAX": "GER40"}})
    assert mapping.canonical("gold") == "XAUEUR"
    assert mapping.canonical("DAX") == "GER40"
    assert mapping.canonical("DAX.pro") == "GER40"


def test_a_firm_suffix_glued_on_without_a_separator_is_stripped() -> None:
    mapping = SymbolMapping.from_config("mt5", {"suffixes": ["pro"]})
    assert mapping.canonical("XAUUSDpro") == "XAUUSD"


def test_dxtrade_writes_currency_pairs_with_a_slash_and_indices_plainly() -> None:
    dx = default_mapping("dxtrade")
    assert dx.platform_symbol("EURUSD") == "EUR/USD"
    assert dx.platform_symbol("XAUUSD") == "XAU/USD"
    assert dx.platform_symbol("US30") == "US30"
    assert dx.canonical("EUR/USD") == "EURUSD"


def test_a_broker_suffix_and_explicit_names_are_written_outward() -> None:
    mapping = SymbolMapping.from_config(
        "match-trader", {"append_suffix": ".r", "outgoing": {"US30": "DJ30.r"}}
    )
    assert mapping.platform_symbol("EURUSD") == "EURUSD.r"
    assert mapping.platform_symbol("US30") == "DJ30.r"
    assert mapping.canonical(mapping.platform_symbol("EURUSD")) == "EURUSD"


def test_each_platform_counts_volume_in_its_own_unit() -> None:
    assert default_mapping("match-trader").to_lots("EURUSD", Decimal("0.25")) == Decimal("0.25")
    assert default_mapping("tradelocker").to_lots("XAUUSD", Decimal("1.5")) == Decimal("1.5")
    assert default_mapping("dxtrade").to_lots("EURUSD", Decimal(10000)) == Decimal("0.1")
    assert default_mapping("dxtrade").to_lots("XAUUSD", Decimal(50)) == Decimal("0.5")
    assert default_mapping("ctrader").to_lots("EURUSD", Decimal(10_000_000)) == Decimal(1)
    assert default_mapping("ctrader").from_lots("EURUSD", Decimal("0.01")) == Decimal(100_000)


def test_a_firm_sets_its_brokers_contract_sizes() -> None:
    mapping = SymbolMapping.from_config(
        "dxtrade",
        {"contract_sizes": {"US30": "10", "COCOA": {"size": "10", "asset_class": "other"}}},
    )
    assert mapping.to_lots("US30", Decimal(5)) == Decimal("0.5")
    assert mapping.to_lots("COCOA", Decimal(20)) == Decimal(2)


def test_a_unit_conversion_without_a_contract_size_is_refused_not_guessed() -> None:
    with pytest.raises(UnknownInstrumentError, match="AAPL"):
        default_mapping("dxtrade").to_lots("AAPL", Decimal(10))
    assert default_mapping("match-trader").to_lots("AAPL", Decimal(10)) == Decimal(10)  # lots need no size


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="sufixes"):
        SymbolMapping.from_config("mt5", {"sufixes": [".r"]})
    with pytest.raises(ValueError, match="positive"):
        SymbolMapping.from_config("mt5", {"contract_sizes": {"US30": "0"}})


@given(
    symbol=st.sampled_from(sorted(DEFAULT_INSTRUMENTS)),
    lots=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2),
    unit=st.sampled_from(list(VolumeUnit)),
)
def test_lots_survive_a_round_trip_through_any_platform_unit(
    symbol: str, lots: Decimal, unit: VolumeUnit
) -> None:
    mapping = SymbolMapping.from_config("mt5", {"volume_unit": unit.value})
    assert mapping.to_lots(symbol, mapping.from_lots(symbol, lots)) == lots


@given(
    symbol=st.sampled_from(sorted(DEFAULT_INSTRUMENTS)),
    platform=st.sampled_from(["dxtrade", "mt5", "ctrader"]),
)
def test_a_symbol_written_for_a_platform_reads_back_as_itself(symbol: str, platform: str) -> None:
    mapping = SymbolMapping.from_config(platform, {"append_suffix": ".r"})  # type: ignore[arg-type]
    assert mapping.canonical(mapping.platform_symbol(symbol)) == symbol
