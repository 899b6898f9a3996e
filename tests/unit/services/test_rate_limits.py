"""Per-identity fixed windows: the limit-th call passes, the next is refused with the seconds to wait, and
the HTTP edge answers 429 with Retry-After in the usual error body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from propdesk.http.errors import domain_error_response
from propdesk.services.rate_limits import RateLimit, RateLimitedError, RateLimiter, window_of

from tests.doubles.rate_limits import InMemoryWindowCounter

RULE = RateLimit(limit=3, window_seconds=60)
START = datetime(2026, 11, 25, 14, 0, 10, tzinfo=UTC)


def test_calls_up_to_the_limit_pass_and_the_next_one_waits_for_the_window() -> None:
    limiter = RateLimiter(InMemoryWindowCounter())
    for second in range(3):
        limiter.hit("overrideBreach", "staff-1", RULE, START + timedelta(seconds=second))

    with pytest.raises(RateLimitedError) as refused:
        limiter.hit("overrideBreach", "staff-1", RULE, START + timedelta(seconds=5))

    assert refused.value.retry_after_seconds == 45  # the window 14:00:00-14:01:00 ends in 45 s
    limiter.hit("overrideBreach", "staff-1", RULE, START + timedelta(seconds=50))  # the next window


def test_each_identity_and_action_has_its_own_allowance() -> None:
    limiter = RateLimiter(InMemoryWindowCounter())
    for _ in range(3):
        limiter.hit("overrideBreach", "staff-1", RULE, START)

    limiter.hit("overrideBreach", "staff-2", RULE, START)
    limiter.hit("changeProgramVersion", "staff-1", RULE, START)


def test_windows_are_aligned_on_the_epoch() -> None:
    assert window_of(START, 60) == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert window_of(START, 3600) == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def test_a_refusal_is_a_429_with_retry_after_and_the_json_error_body() -> None:
    response = domain_error_response(RateLimitedError("slow down", 7))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.body == {"error": {"code": "rate_limited", "message": "slow down"}}


def test_a_limit_needs_a_positive_count_and_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimit(limit=0, window_seconds=60)


def test_the_same_idempotency_key_counts_once_so_a_retry_after_our_failure_is_not_charged_again() -> None:
    limiter = RateLimiter(InMemoryWindowCounter())
    limiter.hit("requestPayout", "trader-1", RULE, START, token="key-1")
    limiter.hit("requestPayout", "trader-1", RULE, START, token="key-1")  # the retry after a 5xx: free
    limiter.hit("requestPayout", "trader-1", RULE, START, token="key-2")
    limiter.hit("requestPayout", "trader-1", RULE, START, token="key-3")

    with pytest.raises(RateLimitedError):
        limiter.hit("requestPayout", "trader-1", RULE, START, token="key-4")  # a new request: counted
    limiter.hit("requestPayout", "trader-1", RULE, START, token="key-2")  # a retry still passes
