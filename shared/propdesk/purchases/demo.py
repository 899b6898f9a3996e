"""The demo firm's add-ons and discount codes (seeded next to its programs by the local cloud's seed)."""

from __future__ import annotations

from decimal import Decimal

from propdesk.purchases.pricing import AddOn, DiscountCode


def demo_add_ons() -> list[AddOn]:
    return [
        AddOn(
            "split-90",
            "90% profit split",
            prices={"USD": Decimal("99.00"), "EUR": Decimal("89.00"), "GBP": Decimal("79.00")},
            effects={"profit_split": "90"},
        ),
        AddOn(
            "no-time-limit", "No time limit", percent_of_program=Decimal("15"), effects={"time_limit": "none"}
        ),
    ]


def demo_discount_codes() -> list[DiscountCode]:
    return [
        DiscountCode("LAUNCH10", "percent", percent=Decimal("10"), max_uses=1000),
        DiscountCode("WELCOME50", "fixed", amounts={"USD": Decimal("50.00"), "EUR": Decimal("45.00")}),
    ]
