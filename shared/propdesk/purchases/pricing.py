"""Pricing a basket: a program's price in the chosen currency, add-ons, and at most one discount code.

Prices are set by the firm per currency (never converted); every amount is `Decimal` in major units,
rounded to the currency's minor unit only where a percentage produces finer amounts (half up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from propdesk.money import HUNDRED, ZERO
from propdesk.purchases.currencies import SUPPORTED, round_money
from propdesk.purchases.errors import PricingError

LineKind = Literal["program", "add_on", "discount"]


@dataclass(frozen=True, slots=True)
class AddOn:
    """An option bought with a program (e.g. a 90% profit split): a fixed price per currency or a percent
    of the program's price. `programs` limits where it is sold (empty: every program); `effects` is what the
    account gets (recorded on the order, applied at provisioning)."""

    add_on_id: str
    name: str
    prices: Mapping[str, Decimal] = field(default_factory=dict)
    percent_of_program: Decimal | None = None
    programs: frozenset[str] = frozenset()
    effects: Mapping[str, str] = field(default_factory=dict)

    def price(self, program_price: Decimal, currency: str) -> Decimal:
        if self.percent_of_program is not None:
            return round_money(program_price * self.percent_of_program / HUNDRED, currency)
        if currency not in self.prices:
            raise PricingError(f"add-on {self.add_on_id!r} has no price in {currency}", "add_ons")
        return self.prices[currency]


@dataclass(frozen=True, slots=True)
class DiscountCode:
    """A percent or fixed (per currency) reduction with an optional expiry, usage limit and program list."""

    code: str
    kind: Literal["percent", "fixed"]
    percent: Decimal | None = None
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    expires_at: datetime | None = None
    max_uses: int | None = None
    uses: int = 0
    programs: frozenset[str] = frozenset()
    active: bool = True

    def __post_init__(self) -> None:
        if self.kind == "percent" and (self.percent is None or not ZERO < self.percent <= HUNDRED):
            raise ValueError(f"discount code {self.code!r}: a percent code needs 0 < percent ≤ 100")
        if self.kind == "fixed" and (not self.amounts or any(a <= ZERO for a in self.amounts.values())):
            raise ValueError(f"discount code {self.code!r}: a fixed code needs positive amounts per currency")

    def refusal(self, program_id: str, currency: str, now: datetime) -> str | None:
        """Why the code cannot be used for this purchase, or None."""
        if not self.active:
            return f"discount code {self.code!r} is not active"
        if self.expires_at is not None and now >= self.expires_at:
            return f"discount code {self.code!r} expired on {self.expires_at.isoformat()}"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return f"discount code {self.code!r} has been used up ({self.max_uses} uses)"
        if self.programs and program_id not in self.programs:
            return f"discount code {self.code!r} does not apply to program {program_id!r}"
        if self.kind == "fixed" and currency not in self.amounts:
            return f"discount code {self.code!r} has no amount in {currency}"
        return None

    def reduction(self, subtotal: Decimal, currency: str) -> Decimal:
        if self.kind == "percent" and self.percent is not None:
            amount = round_money(subtotal * self.percent / HUNDRED, currency)
        else:
            amount = self.amounts[currency]
        return min(amount, subtotal)


@dataclass(frozen=True, slots=True)
class PriceLine:
    kind: LineKind
    reference: str
    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[PriceLine, ...]
    subtotal: Decimal
    discount: Decimal
    total: Decimal

    @property
    def add_on_ids(self) -> tuple[str, ...]:
        return tuple(line.reference for line in self.lines if line.kind == "add_on")

    @property
    def discount_code(self) -> str | None:
        return next((line.reference for line in self.lines if line.kind == "discount"), None)


@dataclass(frozen=True, slots=True)
class ProgramOnSale:
    program_id: str
    name: str
    prices: Mapping[str, Decimal]


def quote(
    program: ProgramOnSale,
    currency: str,
    add_on_ids: Sequence[str],
    add_ons: Mapping[str, AddOn],
    discount: DiscountCode | None,
    now: datetime,
) -> Quote:
    """The price of the basket, line by line; raises `PricingError` naming the field at fault."""
    currency = currency.upper()
    if currency not in SUPPORTED or currency not in program.prices:
        on_sale = ", ".join(sorted(program.prices))
        raise PricingError(f"{program.name} is not sold in {currency} (it is sold in {on_sale})", "currency")
    program_price = program.prices[currency]
    lines = [PriceLine("program", program.program_id, program.name, program_price)]
    if len(set(add_on_ids)) != len(add_on_ids):
        raise PricingError("an add-on is listed twice", "add_ons")
    for add_on_id in add_on_ids:
        add_on = add_ons.get(add_on_id)
        if add_on is None or (add_on.programs and program.program_id not in add_on.programs):
            raise PricingError(f"add-on {add_on_id!r} is not sold with {program.program_id!r}", "add_ons")
        lines.append(PriceLine("add_on", add_on_id, add_on.name, add_on.price(program_price, currency)))
    subtotal = sum((line.amount for line in lines), ZERO)
    reduction = ZERO
    if discount is not None:
        refusal = discount.refusal(program.program_id, currency, now)
        if refusal is not None:
            raise PricingError(refusal, "discount_code")
        reduction = discount.reduction(subtotal, currency)
        lines.append(PriceLine("discount", discount.code, f"discount {discount.code}", -reduction))
    total = subtotal - reduction
    if total <= ZERO:
        raise PricingError("the total after the discount must be above zero", "discount_code")
    return Quote(currency=currency, lines=tuple(lines), subtotal=subtotal, discount=reduction, total=total)


@dataclass(frozen=True, slots=True)
class AddOnOffer:
    """An add-on as the catalogue shows it next to a program: its price in each currency of the program."""

    add_on_id: str
    description: str
    prices: Mapping[str, Decimal]


def add_on_offers(
    program_id: str, program_prices: Mapping[str, Decimal], add_ons: Iterable[AddOn]
) -> tuple[AddOnOffer, ...]:
    """The add-ons that can be bought with the program (by id), priced exactly as `quote` would price them;
    a currency the add-on has no price in is left out, and an add-on with no price at all is not offered."""
    offers = []
    for add_on in sorted(add_ons, key=lambda candidate: candidate.add_on_id):
        if add_on.programs and program_id not in add_on.programs:
            continue
        prices = {
            currency: add_on.price(program_price, currency)
            for currency, program_price in sorted(program_prices.items())
            if add_on.percent_of_program is not None or currency in add_on.prices
        }
        if prices:
            offers.append(AddOnOffer(add_on.add_on_id, add_on.name, prices))
    return tuple(offers)
