"""Money as a trader reads it in explanations: exact digits, thousands separated, at least two decimals.

Floors and limits are exact (never rounded), so the sentence must show the same figure the breach carries:
"93,827.2345 USD", not a rounded "93,827.23 USD".
"""

from __future__ import annotations

from decimal import Decimal

from propdesk.money import money_str


def money_words(amount: Decimal, currency: str) -> str:
    return f"{Decimal(money_str(amount)):,f} {currency}"
