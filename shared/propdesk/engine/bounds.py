"""The bounds every number and time entering the engine respects (docs/rules.md, "Bounds").

| What | Range | Decimal places |
|---|---|---|
| money: equity, profits, withdrawals, balances, fixed amounts | \\|x\\| < 10^12 | at most 8 |
| volumes (lots, contracts) | 0 < v < 10^6 | at most 8 |
| prices (stop loss, take profit) | 0 < p < 10^12 | at most 8 |
| percentages | 0 < p <= 100 | at most 8 |
| whole numbers (days, counts, seconds, minutes) | the field's minimum to 10^6 | - |
| times | years 1970 to 2199 (as written, in the time's own offset) | - |

Within them the engine's Decimal arithmetic (28 significant digits) stays exact for money (12 + 8 digits, with
room for sums), never overflows and can always be printed: the reading of an absurd figure (`1E+100`) is a
refused input naming its field, never an exception in the middle of a rule. The account's closed balance is
held inside the money bound as well: an event that would take it out is refused (`EventError`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


class Bound:
    """A range for one kind of decimal: magnitude strictly below `limit`, and a multiple of 10^-`places` (at
    most that many decimal places; trailing zeros beyond them, as in `1.000000000`, change nothing)."""

    __slots__ = ("limit", "lowest", "places", "quantum")

    def __init__(self, limit: Decimal, places: int) -> None:
        self.limit = limit
        self.lowest = -limit
        self.places = places
        self.quantum = Decimal(1).scaleb(-places)

    def problem(self, value: Decimal) -> str | None:
        """Why `value` (finite) is out of bounds, or None. Cheap: it runs for every number of every event."""
        if not self.lowest < value < self.limit:
            return f"must be less than {self.limit:,f} in magnitude, got {value}"
        if value.quantize(self.quantum) != value:  # within the limit, so at most 20 digits: never raises
            return f"must have at most {self.places} decimal places, got {value}"
        return None


MONEY = Bound(Decimal(10) ** 12, 8)
VOLUME = Bound(Decimal(10) ** 6, 8)
PRICE = Bound(Decimal(10) ** 12, 8)
PERCENT = Bound(Decimal(101), 8)  # the readers also hold percentages to 0 < p <= 100

MAX_WHOLE = 1_000_000

FIRST_YEAR = 1970
LAST_YEAR = 2199


def time_problem(moment: datetime) -> str | None:
    """Why `moment` is outside the engine's calendar, or None. By its year as written: comparing aware
    instants costs more than a microsecond, and offsets under a day keep every such time far from overflow."""
    if FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return f"{moment.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}"


def balance_problem(balance: Decimal) -> str | None:
    """Why a closed balance an event would produce is out of bounds, or None."""
    if -MONEY.limit < balance < MONEY.limit:
        return None
    return f"would take the balance to {balance}, beyond the engine's bound of {MONEY.limit:,f}"
