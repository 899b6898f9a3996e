"""The personal-data store against DynamoDB Local: orders found by UTC day and by trader, stripped once (a
new revision, so a stale writer fails), the profile pseudonymized, an erasure's answer kept per key with its
audit entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from propdesk.data.accounts import TraderRepository
from propdesk.data.audit import AuditLog
from propdesk.data.orders import OrderRepository
from propdesk.data.personal_data import PersonalDataRepository
from propdesk.purchases.orders import Transition
from propdesk.purchases.personal_data import (
    EraseTrader,
    PersonalDataRetention,
    RetentionPolicy,
    TraderErasure,
)
from propdesk.purchases.store import StaleOrderError
from propdesk.records import AuditEntry, TraderProfile

from tests.integration.dynamodb_local import TableNames
from tests.unit.purchases.builders import order

pytestmark = pytest.mark.integration

PLACED = datetime(2025, 12, 6, 22, 15, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_the_daily_job_strips_the_day_that_crossed_the_period_once(fresh_tables: TableNames) -> None:
    orders = OrderRepository()
    orders.create(order(order_id="old", created_at=PLACED, updated_at=PLACED, client_ip="203.0.113.9"))
    orders.create(order(order_id="new", created_at=PLACED + timedelta(days=1), updated_at=PLACED))
    job = PersonalDataRetention(PersonalDataRepository(), RetentionPolicy(365, catch_up_days=1))
    assert job.run(NOW).stripped == 1
    assert job.run(NOW).stripped == 0
    old, new = orders.get("old"), orders.get("new")
    assert old is not None and new is not None
    assert (old.email, old.client_ip, old.total, old.revision) == ("", None, new.total, 1)
    assert new.email == "ada@example.com"
    assert PersonalDataRepository().orders_placed_on(date(2025, 12, 6))[0].holds_personal_data is False


def test_a_writer_holding_the_order_before_it_was_stripped_fails_instead_of_restoring_the_e_mail(
    tables: TableNames, unique_id: str
) -> None:
    orders = OrderRepository()
    placed = orders.create(order(order_id=unique_id, trader_id=unique_id))
    assert PersonalDataRepository().strip_order(unique_id)
    with pytest.raises(StaleOrderError):
        orders.put_audited(
            placed,
            0,
            Transition(unique_id, 1, "pending", "pending", "staff", "note", NOW),
            AuditEntry(f"a-{unique_id}", NOW, "staff-1", "order.note", f"ORDER#{unique_id}"),
        )


def test_an_erasure_strips_orders_pseudonymizes_the_profile_and_keeps_its_answer_per_key(
    tables: TableNames, unique_id: str
) -> None:
    OrderRepository().create(order(order_id=unique_id, trader_id=unique_id, client_ip="198.51.100.2"))
    TraderRepository().put(TraderProfile(unique_id, "ada@example.com", "Ada", NOW))
    erasure = TraderErasure(PersonalDataRepository(), lambda: f"e-{unique_id}")
    command = EraseTrader(unique_id, "request 7", "admin-1", ("admin",), NOW, "key-1")
    first = erasure.erase(command)
    assert first.orders == (unique_id,) and first.profile and not first.replayed
    again = erasure.erase(command)
    assert again.replayed and again.orders == first.orders
    profile = TraderRepository().get(unique_id)
    assert profile is not None and (profile.email, profile.display_name) == ("", "Erased trader")
    entries = AuditLog().for_subject(f"TRADER#{unique_id}").items
    assert [(e.action, e.reason) for e in entries] == [("trader.erasure", "request 7")]
