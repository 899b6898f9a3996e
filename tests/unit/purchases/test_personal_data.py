"""Orders lose the buyer's e-mail and IP after the firm's period; an admin erases a trader's personal data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from propdesk.access import OwnAccountError
from propdesk.errors import NotFoundError
from propdesk.purchases.personal_data import (
    ERASED_DISPLAY_NAME,
    EraseTrader,
    Erasure,
    OrderContact,
    PersonalDataRetention,
    RetentionPolicy,
    TraderErasure,
)
from propdesk.records import AuditEntry

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@dataclass
class StoredOrder:
    trader_id: str
    placed_on: date
    email: str | None = "buyer@example.com"
    ip: str | None = "203.0.113.9"


@dataclass
class MemoryPersonalData:
    orders: dict[str, StoredOrder] = field(default_factory=dict)
    profiles: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    erasures: dict[tuple[str, str], Erasure] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    days_read: list[date] = field(default_factory=list)

    def _contact(self, order_id: str) -> OrderContact:
        order = self.orders[order_id]
        return OrderContact(order_id, order.email is not None or order.ip is not None)

    def orders_placed_on(self, day: date) -> list[OrderContact]:
        self.days_read.append(day)
        return [self._contact(o) for o, stored in self.orders.items() if stored.placed_on == day]

    def orders_of_trader(self, trader_id: str) -> list[OrderContact]:
        return [self._contact(o) for o, stored in self.orders.items() if stored.trader_id == trader_id]

    def strip_order(self, order_id: str) -> bool:
        order = self.orders[order_id]
        changed = order.email is not None or order.ip is not None
        order.email = order.ip = None
        return changed

    def pseudonymize_profile(self, trader_id: str, display_name: str) -> bool | None:
        if trader_id not in self.profiles:
            return None
        changed = self.profiles[trader_id] != (None, display_name)
        self.profiles[trader_id] = (None, display_name)
        return changed

    def erasure(self, trader_id: str, idempotency_key: str) -> Erasure | None:
        return self.erasures.get((trader_id, idempotency_key))

    def record_erasure(self, erasure: Erasure, entry: AuditEntry, idempotency_key: str | None) -> None:
        self.audit.append(entry)
        if idempotency_key is not None:
            self.erasures[(erasure.trader_id, idempotency_key)] = erasure


def erase(trader_id: str, key: str | None = None) -> EraseTrader:
    return EraseTrader(trader_id, "GDPR art. 17 request #12", "admin-1", ("admin",), NOW, key)


def test_the_daily_job_strips_the_orders_of_the_day_that_crossed_the_period_and_the_catch_up_days() -> None:
    store = MemoryPersonalData()
    store.orders["old"] = StoredOrder("t1", date(2025, 12, 6))
    store.orders["missed"] = StoredOrder("t1", date(2025, 12, 1))
    store.orders["recent"] = StoredOrder("t1", date(2025, 12, 7))
    run = PersonalDataRetention(store, RetentionPolicy(retention_days=365, catch_up_days=7)).run(NOW)
    assert run.days[-1] == date(2025, 12, 6) and run.days[0] == date(2025, 11, 29)
    assert run.stripped == 2
    assert store.orders["recent"].email == "buyer@example.com"
    assert store.orders["old"].email is None and store.orders["old"].ip is None


def test_a_second_run_strips_nothing_more() -> None:
    store = MemoryPersonalData({"old": StoredOrder("t1", date(2025, 12, 6))})
    job = PersonalDataRetention(store, RetentionPolicy())
    assert job.run(NOW).stripped == 1
    assert job.run(NOW).stripped == 0


def test_a_retention_period_needs_at_least_a_day() -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(retention_days=0)


def test_an_erasure_strips_every_order_of_the_trader_and_pseudonymizes_the_profile_audited() -> None:
    store = MemoryPersonalData(
        {"o1": StoredOrder("t1", date(2026, 12, 1)), "o2": StoredOrder("t2", date(2026, 12, 1))},
        {"t1": ("t1@example.com", "Ada")},
    )
    erasure = TraderErasure(store, lambda: "e1").erase(erase("t1"))
    assert erasure.orders == ("o1",) and erasure.profile
    assert store.profiles["t1"] == (None, ERASED_DISPLAY_NAME)
    assert store.orders["o2"].email == "buyer@example.com"
    [entry] = store.audit
    assert (entry.action, entry.subject, entry.actor, entry.reason) == (
        "trader.erasure",
        "TRADER#t1",
        "admin-1",
        "GDPR art. 17 request #12",
    )


def test_a_repeat_with_the_same_idempotency_key_answers_the_first_result() -> None:
    store = MemoryPersonalData({"o1": StoredOrder("t1", date(2026, 12, 1))}, {"t1": ("a@b.c", "Ada")})
    erasure = TraderErasure(store, lambda: "e1")
    first = erasure.erase(erase("t1", "k1"))
    again = erasure.erase(erase("t1", "k1"))
    assert again.replayed and again.orders == first.orders == ("o1",)
    assert len(store.audit) == 1


def test_a_repeat_without_a_key_erases_nothing_more() -> None:
    store = MemoryPersonalData({"o1": StoredOrder("t1", date(2026, 12, 1))}, {"t1": ("a@b.c", "Ada")})
    erasure = TraderErasure(store, lambda: "e1")
    erasure.erase(erase("t1"))
    again = erasure.erase(erase("t1"))
    assert again.orders == () and not again.profile


def test_an_unknown_trader_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        TraderErasure(MemoryPersonalData(), lambda: "e1").erase(erase("nobody"))


def test_an_admin_cannot_erase_their_own_data_another_admin_must() -> None:
    store = MemoryPersonalData({"o1": StoredOrder("admin-1", date(2026, 1, 1))})
    erasure = TraderErasure(store, lambda: "entry-1")

    with pytest.raises(OwnAccountError) as refused:
        erasure.erase(erase("admin-1"))

    assert (refused.value.code, refused.value.field) == ("own_account", "trader_id")
    assert store.orders["o1"].email is not None and store.audit == []
