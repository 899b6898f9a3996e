"""The purchase data layer against DynamoDB Local: idempotent creates, discount limits in the same
transaction, optimistic locking, receipts once per event id, history, the GSIs, velocity, account statuses."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.accounts import AccountRepository
from propdesk.data.orders import OrderRepository
from propdesk.data.sales import ReviewFlagRepository, SalesCatalogueRepository, VelocityRepository
from propdesk.purchases.orders import apply_payment
from propdesk.purchases.pricing import AddOn, DiscountCode, PriceLine
from propdesk.purchases.store import (
    DiscountUnavailableError,
    DuplicateDeliveryError,
    StaleOrderError,
    WebhookReceipt,
)

from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.unit.purchases.builders import order, payment

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def receipt(event_id: str, order_id: str = "o") -> WebhookReceipt:
    return WebhookReceipt(
        "stripe", event_id, "checkout.session.completed", order_id, T0, ({"detail_type": "x"},)
    )


def test_an_order_round_trips_exactly(tables: TableNames, unique_id: str) -> None:
    repo = OrderRepository()
    placed = order(
        "pending",
        order_id=unique_id,
        lines=(
            PriceLine("program", "p", "P", Decimal("540.00")),
            PriceLine("add_on", "X", "x", Decimal("-54.00")),
        ),
        total=Decimal("486.00"),
        flags=("country_mismatch: a",),
        open_disputes=frozenset({"dp_1"}),
        add_on_effects={"split": "90"},
    )
    assert repo.create(placed) is placed
    loaded = repo.get(unique_id)
    assert loaded == placed


def test_creating_the_same_order_twice_returns_the_first(tables: TableNames, unique_id: str) -> None:
    repo = OrderRepository()
    first = order(order_id=unique_id)
    repo.create(first)
    twin = replace(first, created_at=T0 + timedelta(seconds=1))
    assert repo.create(twin) == first


def test_a_discount_code_is_counted_with_the_order_and_refused_past_its_limit(
    fresh_tables: TableNames, unique_id: str
) -> None:
    sales, repo = SalesCatalogueRepository(), OrderRepository()
    sales.put_discount(DiscountCode("TWICE", "percent", percent=Decimal("10"), max_uses=2))
    line = PriceLine("discount", "TWICE", "discount", Decimal("-54.00"))
    for n in range(2):
        repo.create(order(order_id=f"{unique_id}-{n}", lines=(line,)))
    with pytest.raises(DiscountUnavailableError):
        repo.create(order(order_id=f"{unique_id}-3", lines=(line,)))
    assert repo.get(f"{unique_id}-3") is None
    code = sales.discount("twice")
    assert code is not None and code.uses == 2


def test_concurrent_orders_never_exceed_a_codes_limit(fresh_tables: TableNames, unique_id: str) -> None:
    sales, repo = SalesCatalogueRepository(), OrderRepository()
    sales.put_discount(DiscountCode("FIVE", "fixed", amounts={"USD": Decimal("5")}, max_uses=5))
    line = PriceLine("discount", "FIVE", "discount", Decimal("-5"))
    refused: list[int] = []

    def buy(n: int) -> None:
        try:
            repo.create(order(order_id=f"{unique_id}-{n}", lines=(line,)))
        except DiscountUnavailableError:
            refused.append(n)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    code = sales.discount("FIVE")
    assert code is not None and code.uses == 5
    assert len(refused) == 7


def test_a_stale_revision_is_refused(tables: TableNames, unique_id: str) -> None:
    repo = OrderRepository()
    placed = repo.create(order(order_id=unique_id))
    outcome = apply_payment(placed, payment("paid", order_id=unique_id), T0)
    repo.put(outcome.order, placed.revision, outcome.transition, receipt(f"evt-{unique_id}", unique_id))
    with pytest.raises(StaleOrderError):
        repo.put(outcome.order, placed.revision, outcome.transition)
    assert repo.history(unique_id) == [outcome.transition]


def test_a_receipt_makes_the_effect_happen_once_even_when_deliveries_race(
    tables: TableNames, unique_id: str
) -> None:
    repo = OrderRepository()
    placed = repo.create(order(order_id=unique_id))
    results: list[str] = []

    def deliver() -> None:
        current = repo.get(unique_id)
        assert current is not None
        outcome = apply_payment(current, payment("paid", order_id=unique_id), T0)
        try:
            repo.put(
                outcome.order, current.revision, outcome.transition, receipt(f"evt-{unique_id}", unique_id)
            )
            results.append("applied")
        except DuplicateDeliveryError:
            results.append("duplicate")
        except StaleOrderError:
            results.append("stale")

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("applied") == 1
    assert len(repo.history(unique_id)) == 1
    assert repo.get(unique_id) is not None and placed.revision + 1 == repo.get(unique_id).revision  # type: ignore[union-attr]


def test_receipts_links_and_publication_marks(tables: TableNames, unique_id: str) -> None:
    repo = OrderRepository()
    repo.add_receipt(receipt(f"evt-{unique_id}"))
    with pytest.raises(DuplicateDeliveryError):
        repo.add_receipt(receipt(f"evt-{unique_id}"))
    stored = repo.receipt("stripe", f"evt-{unique_id}")
    assert stored is not None and not stored.published and stored.events == ({"detail_type": "x"},)
    repo.mark_published("stripe", f"evt-{unique_id}")
    assert repo.receipt("stripe", f"evt-{unique_id}").published  # type: ignore[union-attr]
    repo.link_payment("stripe", f"pi_{unique_id}", unique_id)
    assert repo.order_for_payment("stripe", f"pi_{unique_id}") == unique_id
    assert repo.order_for_payment("stripe", "pi_nope") is None


def test_a_traders_orders_newest_first_and_a_days_orders_for_reconciliation(
    tables: TableNames, unique_id: str
) -> None:
    repo = OrderRepository()
    trader = f"trader-{unique_id}"
    for n in range(3):
        repo.create(
            order(order_id=f"{unique_id}-{n}", trader_id=trader, created_at=T0 + timedelta(hours=20 * n))
        )
    eventually(lambda: len(repo.list_for_trader(trader).items) == 3)
    page = repo.list_for_trader(trader, limit=2)
    assert [o.order_id for o in page.items] == [f"{unique_id}-2", f"{unique_id}-1"]
    rest = repo.list_for_trader(trader, limit=2, cursor=page.next_cursor)
    assert [o.order_id for o in rest.items] == [f"{unique_id}-0"]
    window = repo.created_between(T0 + timedelta(hours=1), T0 + timedelta(hours=41))
    assert [o.order_id for o in window if o.trader_id == trader] == [f"{unique_id}-1", f"{unique_id}-2"]


def test_add_ons_are_on_sale_and_velocity_counts_hourly(fresh_tables: TableNames, unique_id: str) -> None:
    sales = SalesCatalogueRepository()
    sales.put_add_on(AddOn("split-90", "90% split", {"USD": Decimal("99.00")}, effects={"split": "90"}))
    sales.put_add_on(AddOn("no-limit", "No time limit", percent_of_program=Decimal("15")))
    assert sales.add_ons()["split-90"].prices == {"USD": Decimal("99.00")}
    assert sales.add_ons()["no-limit"].percent_of_program == Decimal("15")
    velocity = VelocityRepository()
    for hours in (0, 0, 1, 30):
        velocity.record("email", f"{unique_id}@Example.com", T0 - timedelta(hours=hours))
    assert velocity.count("email", f"{unique_id}@example.com", T0 - timedelta(hours=24), T0) == 3


def test_each_velocity_bucket_expires_by_ttl_an_hour_after_the_window_that_can_count_it(
    fresh_tables: TableNames, unique_id: str
) -> None:
    from propdesk.data import keys
    from propdesk.data.models import VelocityItem
    from propdesk.data.sales import _digest

    VelocityRepository(timedelta(hours=24)).record("ip", f"{unique_id}.1", T0 + timedelta(minutes=37))
    item = VelocityItem.get(keys.velocity_pk("ip", _digest(f"{unique_id}.1")), keys.velocity_sk(T0))
    assert item.expires_at == T0 + timedelta(hours=26)


def test_review_flags_keep_the_first_reason_per_order(tables: TableNames, unique_id: str) -> None:
    reviews = ReviewFlagRepository()
    reviews.flag(unique_id, "o1", "dispute dp_1", T0)
    reviews.flag(unique_id, "o1", "again", T0)
    assert reviews.flags_for(unique_id) == [("o1", "dispute dp_1", T0)]


def test_suspending_leaves_the_reset_group_and_reinstating_returns_to_it(
    tables: TableNames, unique_id: str
) -> None:
    book = PurchaseAccountBook()
    book.open(account(unique_id))
    repo = AccountRepository()

    def in_group() -> bool:
        return any(a.account_id == unique_id for a in repo.active_in_reset_group("Europe/Prague", "00:00"))

    assert eventually(in_group)
    assert book.set_status(unique_id, "suspended", "dispute", T0, ("active",))
    assert not book.set_status(unique_id, "suspended", "dispute", T0, ("active",))
    assert eventually(lambda: not in_group())
    assert book.get(unique_id).status == "suspended"  # type: ignore[union-attr]
    assert book.set_status(unique_id, "active", "dispute won", T0, ("suspended",))
    assert eventually(in_group)
    assert book.set_status(unique_id, "disabled", "refunded", T0, ("active", "suspended"))
    assert not book.set_status(f"{unique_id}-missing", "disabled", "refunded", T0, ("active",))
