"""Pricing: per-currency prices set by the firm, add-ons and discount codes, exact to the cent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.purchases.currencies import CurrencyError, from_minor_units, round_money, to_minor_units
from propdesk.purchases.errors import PricingError
from propdesk.purchases.pricing import AddOn, AddOnOffer, DiscountCode, add_on_offers, quote

from tests.unit.purchases.builders import PROGRAM, T0

SPLIT_90 = AddOn("split-90", "90% profit split", prices={"USD": Decimal("99.00"), "EUR": Decimal("89.00")})
NO_TIME_LIMIT = AddOn("no-time-limit", "No time limit", percent_of_program=Decimal("15"))
ADD_ONS = {a.add_on_id: a for a in (SPLIT_90, NO_TIME_LIMIT)}


def test_the_program_is_priced_in_the_currency_the_firm_set_for_it() -> None:
    assert quote(PROGRAM, "eur", [], ADD_ONS, None, T0).total == Decimal("499.00")
    assert quote(PROGRAM, "GBP", [], ADD_ONS, None, T0).total == Decimal("429.00")


def test_a_currency_the_program_is_not_sold_in_is_refused_by_name() -> None:
    with pytest.raises(PricingError) as refused:
        quote(PROGRAM, "CHF", [], ADD_ONS, None, T0)
    assert refused.value.field == "currency"
    assert "sold in EUR, GBP, USD" in refused.value.message


def test_add_ons_add_fixed_or_percent_prices_line_by_line() -> None:
    priced = quote(PROGRAM, "USD", ["split-90", "no-time-limit"], ADD_ONS, None, T0)
    assert [line.amount for line in priced.lines] == [Decimal("540.00"), Decimal("99.00"), Decimal("81.00")]
    assert priced.total == Decimal("720.00")
    assert priced.add_on_ids == ("split-90", "no-time-limit")


def test_an_add_on_without_a_price_in_the_currency_or_listed_twice_is_refused() -> None:
    with pytest.raises(PricingError, match="no price in GBP"):
        quote(PROGRAM, "GBP", ["split-90"], ADD_ONS, None, T0)
    with pytest.raises(PricingError, match="twice"):
        quote(PROGRAM, "USD", ["split-90", "split-90"], ADD_ONS, None, T0)
    with pytest.raises(PricingError, match="not sold with"):
        quote(PROGRAM, "USD", ["free-money"], ADD_ONS, None, T0)


def test_the_catalogue_offers_add_ons_at_the_prices_checkout_charges() -> None:
    elsewhere = AddOn(
        "reset", "Free reset", prices={"USD": Decimal("25")}, programs=frozenset({"futures-50k"})
    )
    unpriced = AddOn("nothing", "No price in any currency of the program", prices={"CHF": Decimal("10")})
    offers = add_on_offers(PROGRAM.program_id, PROGRAM.prices, [SPLIT_90, NO_TIME_LIMIT, elsewhere, unpriced])

    assert offers == (
        AddOnOffer(
            "no-time-limit",
            "No time limit",
            {"EUR": Decimal("74.85"), "GBP": Decimal("64.35"), "USD": Decimal("81.00")},
        ),
        AddOnOffer("split-90", "90% profit split", {"EUR": Decimal("89.00"), "USD": Decimal("99.00")}),
    )
    for offer in offers:
        for currency, price in offer.prices.items():
            charged = quote(PROGRAM, currency, [offer.add_on_id], ADD_ONS, None, T0).lines[1].amount
            assert charged == price


def test_a_percent_discount_applies_to_the_subtotal_rounded_half_up_to_the_cent() -> None:
    code = DiscountCode("BF15", "percent", percent=Decimal("15"))
    priced = quote(PROGRAM, "EUR", ["split-90"], ADD_ONS, code, T0)
    # (499.00 + 89.00) * 15% = 88.20
    assert priced.discount == Decimal("88.20")
    assert priced.total == Decimal("499.80")
    assert priced.discount_code == "BF15"


def test_a_fixed_discount_has_an_amount_per_currency() -> None:
    code = DiscountCode("WELCOME50", "fixed", amounts={"USD": Decimal("50.00")})
    assert quote(PROGRAM, "USD", [], ADD_ONS, code, T0).total == Decimal("490.00")
    with pytest.raises(PricingError, match="no amount in EUR"):
        quote(PROGRAM, "EUR", [], ADD_ONS, code, T0)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (DiscountCode("OLD", "percent", percent=Decimal("10"), expires_at=T0), "expired"),
        (DiscountCode("GONE", "percent", percent=Decimal("10"), max_uses=100, uses=100), "used up"),
        (
            DiscountCode("FX", "percent", percent=Decimal("10"), programs=frozenset({"futures-50k"})),
            "not apply",
        ),
        (DiscountCode("OFF", "percent", percent=Decimal("10"), active=False), "not active"),
    ],
)
def test_a_discount_code_is_refused_with_its_reason(code: DiscountCode, reason: str) -> None:
    with pytest.raises(PricingError, match=reason) as refused:
        quote(PROGRAM, "USD", [], ADD_ONS, code, T0)
    assert refused.value.field == "discount_code"


def test_a_code_valid_until_later_applies_now() -> None:
    code = DiscountCode("LATER", "percent", percent=Decimal("10"), expires_at=T0 + timedelta(seconds=1))
    assert quote(PROGRAM, "USD", [], ADD_ONS, code, T0).total == Decimal("486.00")


def test_a_discount_that_leaves_nothing_to_pay_is_refused() -> None:
    code = DiscountCode("FREE", "percent", percent=Decimal("100"))
    with pytest.raises(PricingError, match="above zero"):
        quote(PROGRAM, "USD", [], ADD_ONS, code, T0)


def test_malformed_codes_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="percent"):
        DiscountCode("BAD", "percent", percent=Decimal("120"))
    with pytest.raises(ValueError, match="fixed"):
        DiscountCode("BAD", "fixed")


def test_minor_units_are_exact_or_refused() -> None:
    assert to_minor_units(Decimal("540.00"), "USD") == 54000
    assert to_minor_units(Decimal("1999"), "JPY") == 1999
    assert from_minor_units(54000, "EUR") == Decimal("540.00")
    with pytest.raises(CurrencyError, match="more decimals"):
        to_minor_units(Decimal("0.001"), "USD")
    with pytest.raises(CurrencyError, match="not sold"):
        to_minor_units(Decimal(1), "XYZ")


@given(
    price=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("100000"), places=2),
    percent=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2),
)
def test_lines_always_add_up_to_the_total_in_whole_cents(price: Decimal, percent: Decimal) -> None:
    program = PROGRAM.__class__(PROGRAM.program_id, PROGRAM.name, {"USD": price})
    code = DiscountCode("ANY", "percent", percent=percent)
    try:
        priced = quote(program, "USD", ["no-time-limit"], ADD_ONS, code, T0)
    except PricingError:
        return  # rounding left nothing to pay
    assert sum(line.amount for line in priced.lines) == priced.total
    assert priced.total == round_money(priced.total, "USD")
    assert to_minor_units(priced.total, "USD") > 0
