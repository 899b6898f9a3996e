"""Purchase velocity buckets carry a TTL just past the fraud window that can still count them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from propdesk.data.sales import velocity_expiry


def test_a_bucket_expires_an_hour_after_the_last_window_that_reaches_it() -> None:
    now = datetime(2026, 12, 7, 10, 42, 5, tzinfo=UTC)
    assert velocity_expiry(now, timedelta(hours=24)) == datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def test_a_longer_fraud_window_keeps_the_bucket_longer() -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert velocity_expiry(now, timedelta(days=7)) == datetime(2026, 12, 14, 12, 0, tzinfo=UTC)
