"""How figures and times read in e-mails: money with its currency, shares as percentages, instants in the
trader's own zone (UTC when the trader set none, or an unknown one)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from propdesk.money import HUNDRED, money_str, money_text

UTC_NAME = "UTC"


def money(amount: Decimal, currency: str) -> str:
    """Prices, payouts: whole cents, "540.00 USD"."""
    return money_text(amount, currency)


def exact_money(amount: Decimal, currency: str) -> str:
    """Floors, limits and equity exactly as the risk engine holds them (never rounded): "93,827.2345 USD"."""
    return f"{Decimal(money_str(amount)):,f} {currency}"


def percent(share: Decimal) -> str:
    """0.8 -> "80%"; 0.825 -> "82.5%"."""
    value = (share * HUNDRED).normalize()
    return f"{value:f}%"


def zone_of(name: str | None) -> tuple[ZoneInfo, str]:
    """The zone to show times in and its name; UTC for none or a name the zone database does not know."""
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(UTC_NAME), UTC_NAME


def local_time(instant: datetime, zone: str | None) -> str:
    """ "3 March 2026, 14:32 (Europe/London)": the instant on the trader's clock, with the zone named."""
    tz, name = zone_of(zone)
    local = instant.astimezone(tz)
    return f"{local.day} {local:%B %Y, %H:%M} ({name})"


def rule_name(rule: str) -> str:
    """A rule type as a trader reads it: "daily_loss" -> "daily loss limit"."""
    return RULE_NAMES.get(rule, rule.replace("_", " "))


RULE_NAMES = {
    "daily_loss": "daily loss limit",
    "max_loss": "maximum loss limit",
    "max_trade_loss": "maximum loss per trade",
    "profit_target": "profit target",
    "min_trading_days": "minimum trading days",
    "min_profitable_days": "minimum profitable days",
    "consistency": "consistency rule",
    "time_limit": "time limit",
    "inactivity": "inactivity limit",
    "news_blackout": "news trading rule",
    "flat_by": "flat-by time",
    "max_open_positions": "maximum open positions",
    "max_position_volume": "maximum position size",
    "max_total_volume": "maximum total volume",
    "max_trades_per_day": "maximum trades per day",
    "min_hold_time": "minimum holding time",
    "stop_loss_required": "stop-loss rule",
    "allowed_symbols": "allowed instruments",
    "forbidden_symbols": "forbidden instruments",
}
