"""How a rule states an amount of money: `{"percent_of_initial": D}`, `{"percent_of_base": D}` or `{"fixed":
D}`.

`percent_of_base` is a percentage of the rule's base (for a daily loss, the day's base); amounts are exact,
floors computed from them stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from propdesk.engine.bounds import MONEY, PERCENT
from propdesk.engine.reading import Reader
from propdesk.money import HUNDRED

PERCENT_OF_INITIAL = "percent_of_initial"
PERCENT_OF_BASE = "percent_of_base"
FIXED = "fixed"
ALL_KINDS = (PERCENT_OF_INITIAL, PERCENT_OF_BASE, FIXED)


@dataclass(frozen=True, slots=True)
class Amount:
    kind: str
    value: Decimal

    def of(self, initial: Decimal, base: Decimal) -> Decimal:
        """The exact amount of money for an account with this initial balance and current base."""
        if self.kind == FIXED:
            return self.value
        reference = initial if self.kind == PERCENT_OF_INITIAL else base
        return reference * self.value / HUNDRED

    def describe(self) -> str:
        """Words for explanations: "5% of the initial balance"."""
        if self.kind == FIXED:
            return f"a fixed {self.value:,}"
        of_what = "the initial balance" if self.kind == PERCENT_OF_INITIAL else "the base"
        return f"{self.value.normalize():f}% of {of_what}"

    def to_dict(self) -> dict[str, str]:
        return {self.kind: str(self.value)}


def read_amount(reader: Reader, key: str, kinds: tuple[str, ...] = ALL_KINDS) -> Amount:
    """Read an amount object at `key`, allowing only `kinds`."""
    spec = reader.mapping(key)
    present = [kind for kind in ALL_KINDS if spec.has(kind)]
    if len(present) != 1:
        raise reader.fail(key, f"must have exactly one of {', '.join(kinds)}")
    kind = present[0]
    if kind not in kinds:
        raise spec.fail(kind, f"is not allowed here; use one of {', '.join(kinds)}")
    value = spec.decimal(kind, positive=True, bound=MONEY if kind == FIXED else PERCENT)
    if kind != FIXED and value > HUNDRED:
        raise spec.fail(kind, f"must be a percentage between 0 and 100, got {value}")
    return Amount(kind, value)
