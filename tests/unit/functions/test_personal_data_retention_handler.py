"""The daily retention function strips the orders past the period and answers counts, never personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from propdesk.purchases.personal_data import PersonalDataRetention, RetentionPolicy

from functions.personal_data_retention.handler import Dependencies, process
from tests.unit.purchases.test_personal_data import MemoryPersonalData, StoredOrder


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 12, 7, 2, 30, tzinfo=UTC)


def test_a_run_answers_the_days_it_looked_at_and_how_many_orders_it_stripped() -> None:
    store = MemoryPersonalData({"o1": StoredOrder("t1", date(2025, 12, 6))})
    deps = Dependencies(PersonalDataRetention(store, RetentionPolicy(365, catch_up_days=1)), FixedClock())
    context: Any = None
    answer = process({}, context, deps)
    assert answer == {"days": ["2025-12-05", "2025-12-06"], "stripped": 1}
    assert "example.com" not in str(answer)
