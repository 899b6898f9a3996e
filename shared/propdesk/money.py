"""Money helpers shared by the domain: exact parsing, rounding to cents, display.

Money is always `decimal.Decimal`. Limits and floors are rounded to cents half-up (`to_cents`); amounts read
from events are kept exactly as given and only padded to at least two decimals for display (`money_str`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round to whole cents, half up (the rounding used for every floor, limit and target)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(amount: Decimal) -> str:
    """A JSON-safe string with at least two decimals and no precision lost ("99750" -> "99750.00")."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(CENT)
    return str(amount)


def money_text(amount: Decimal, currency: str) -> str:
    """Human-readable money for explanations: "194,000.00 USD"."""
    return f"{to_cents(amount):,.2f} {currency}"


def parse_decimal(value: object) -> Decimal:
    """Parse an exact decimal from a string, an int or a Decimal; floats are refused (they are not exact).

    Raises ValueError with a readable message.
    """
    if isinstance(value, bool):
        raise ValueError("expected a decimal number as a string, got a boolean")
    if isinstance(value, float):
        raise ValueError("expected a decimal number as a string (floats are not exact), got a float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError(f"expected a decimal number as a string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def json_number(amount: Decimal) -> float:  # float ok: for APIs that take money as a JSON number only
    """`amount` as a JSON number for an API that takes no string. Whole-cent amounts below 10^13 survive a
    binary float exactly (the shortest repr is the same decimal); that is checked, never assumed."""
    number = float(amount)  # float ok: checked exact just below
    if Decimal(repr(number)) != amount:
        raise ValueError(f"{amount} cannot be sent as a JSON number exactly")
    return number
