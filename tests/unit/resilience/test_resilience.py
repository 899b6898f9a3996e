"""Retries with backoff and jitter, the token bucket and the circuit breaker, on a fake clock."""

from __future__ import annotations

import random

import pytest
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy, call_with_retry

from tests.doubles.timing import FakeTime


def state(breaker: CircuitBreaker) -> str:
    return breaker.state


class Flaky:
    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error or ConnectionError("down")

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def test_retries_back_off_exponentially_with_full_jitter_under_a_cap() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=4.0)
    result = call_with_retry(Flaky(4), policy, lambda e: True, time.sleep, random.Random(7))
    assert result == "ok"
    assert len(time.sleeps) == 4
    for retry, slept in enumerate(time.sleeps, start=1):
        assert 0 <= slept <= policy.ceiling(retry)
    assert [policy.ceiling(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 4.0]


def test_the_last_error_is_raised_when_attempts_run_out() -> None:
    time = FakeTime()
    flaky = Flaky(10)
    with pytest.raises(ConnectionError):
        call_with_retry(flaky, RetryPolicy(max_attempts=3), lambda e: True, time.sleep, random.Random(1))
    assert flaky.calls == 3


def test_a_non_retryable_error_is_raised_at_once() -> None:
    flaky = Flaky(1, ValueError("bad request"))
    with pytest.raises(ValueError):
        call_with_retry(flaky, RetryPolicy(), lambda e: isinstance(e, ConnectionError), FakeTime().sleep)
    assert flaky.calls == 1


def test_a_servers_retry_after_hint_is_honoured_up_to_the_cap() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=2, base_delay=0.1, max_delay=3.0)
    call_with_retry(Flaky(1), policy, lambda e: True, time.sleep, random.Random(1), retry_after=lambda e: 2.0)
    assert time.sleeps == [2.0]


def test_the_bucket_allows_a_burst_then_paces_calls_to_the_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=500, per=60, capacity=5, clock=time.monotonic, sleep=time.sleep)
    for _ in range(5):
        bucket.acquire()
    assert time.sleeps == []
    for _ in range(10):
        bucket.acquire()
    assert time.now == pytest.approx(10 * 60 / 500)


def test_over_a_minute_the_bucket_never_exceeds_its_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=500, per=60, capacity=50, clock=time.monotonic, sleep=time.sleep)
    calls = 0
    while time.now < 60:
        bucket.acquire()
        calls += 1
    assert calls <= 50 + 500 + 1  # the burst, a minute's refill, and the call at the boundary


def test_the_circuit_opens_after_consecutive_failures_and_half_opens_after_the_timeout() -> None:
    time = FakeTime()
    breaker = CircuitBreaker("platform", time.monotonic, failure_threshold=3, reset_timeout=30)
    down = Flaky(100)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            breaker.call(down)
    assert state(breaker) == "open"
    with pytest.raises(CircuitOpenError):
        breaker.call(down)
    assert down.calls == 3  # failing fast: not called
    time.now += 30
    assert state(breaker) == "half_open"
    with pytest.raises(ConnectionError):
        breaker.call(down)
    assert state(breaker) == "open"  # one failed trial reopens it
    time.now += 30
    assert breaker.call(lambda: "ok") == "ok"
    assert state(breaker) == "closed"


def test_errors_that_are_not_the_platforms_fault_do_not_trip_the_breaker() -> None:
    time = FakeTime()
    breaker = CircuitBreaker(
        "platform", time.monotonic, failure_threshold=1, counts_as_failure=lambda e: isinstance(e, OSError)
    )
    with pytest.raises(ValueError):
        breaker.call(Flaky(1, ValueError("refused")))
    assert state(breaker) == "closed"
