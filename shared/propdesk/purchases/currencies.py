"""Currencies the firm sells in, and the provider's minor units (cents) for each.

Amounts are `Decimal` in major units inside propdesk; Stripe wants integer minor units. The conversion is
exact or it fails: a price with more decimals than its currency allows is a configuration error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 exponents of the currencies a firm may price in.
EXPONENTS: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0}
SUPPORTED = frozenset(EXPONENTS)


class CurrencyError(ValueError):
    pass


def exponent(currency: str) -> int:
    try:
        return EXPONENTS[currency.upper()]
    except KeyError:
        supported = ", ".join(sorted(SUPPORTED))
        raise CurrencyError(f"currency {currency!r} is not sold (supported: {supported})") from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's smallest unit, half up (discounts expressed in percent need it)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """19.99 USD → 1999; refuses amounts finer than the currency's minor unit."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise CurrencyError(f"{amount} {currency} has more decimals than {currency} allows")
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """1999 USD → Decimal('19.99') (exact, with the currency's decimals)."""
    return Decimal(units).scaleb(-exponent(currency)).quantize(quantum(currency))
