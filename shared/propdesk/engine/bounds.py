"""The bounds every number and time entering the engine respects (docs/rules.md, "Bounds").

| What | Range | Decimal places |
|---|---|---|
| money: equity, profits, withdrawals, balances, fixed amounts | \\|x\\| < 10^12 | at most 8 |
| volumes (lots, contracts) | 0 < v < 10^6 | at most 8 |
| prices (stop loss, take profit) | 0 < p < 10^12 | at most 8 |
| percentages | 0 < p <= 100 | at most 8 |
| whole numbers (days, counts, seconds, minutes) | the field's minimum to 10^6 | - |
| times | 1970-01-01 <= t < 2200-01-01 (UTC) | - |

Within them the engine's Decimal arithmetic (28 significant digits) stays exact for money (12 + 8 digits, with
room for sums), never overflows and can always be printed: the reading of an absurd figure (`1E+100`) is a
refused input naming its field, never an exception in the middle of a rule. The account's closed balance is
held inside the money bound as well: an event that would take it out is refused (`EventError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Bound:
    """A range for one kind of decimal: magnitude strictly below `limit`, at most `places` decimal places."""

    limit: Decimal
    places: int

    def problem(self, value: Decimal) -> str | None:
        """Why `value` (finite) is out of bounds, or None."""
        if not -self.limit < value < self.limit:
            return f"must be less than {self.limit:,f} in magnitude, got {value}"
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.places:
            return f"must have at most {self.places} decimal places, got {value}"
        return None


MONEY = Bound(Decimal(10) ** 12, 8)
VOLUME = Bound(Decimal(10) ** 6, 8)
PRICE = Bound(Decimal(10) ** 12, 8)
PERCENT = Bound(Decimal(101), 8)  # the readers also hold percentages to 0 < p <= 100

MAX_WHOLE = 1_000_000

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def time_problem(moment: datetime) -> str | None:
    """Why an aware `moment` is outside the engine's calendar, or None."""
    if moment < EARLIEST or moment >= LATEST:
        return f"{moment.isoformat()} is outside {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"
    return None


def balance_problem(balance: Decimal) -> str | None:
    """Why a closed balance an event would produce is out of bounds, or None."""
    if -MONEY.limit < balance < MONEY.limit:
        return None
    return f"would take the balance to {balance}, beyond the engine's bound of {MONEY.limit:,f}"
