"""The circuit breaker shared by several workers through one state store, on a fake clock: one worker's
failures open every worker's circuit, only one worker makes the half-open trial call (its lease expires if it
dies), and however many workers hammer a dead platform it sees the threshold's failures plus one trial per
reset period, not that many per worker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.resilience.breaker_state import BreakerState, InMemoryBreakerStore
from propdesk.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError

from tests.doubles.timing import FakeTime

THRESHOLD, RESET, LEASE = 3, 30.0, 10.0


class Platform:
    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if not self.up:
            raise ConnectionError("platform down")
        return "ok"


class CountingStore(InMemoryBreakerStore):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def add_failure(self, name: str, threshold: int, now: float) -> None:
        self.writes += 1
        super().add_failure(name, threshold, now)

    def close(self, name: str) -> None:
        self.writes += 1
        super().close(name)


def workers(count: int, store: InMemoryBreakerStore, time: FakeTime) -> list[CircuitBreaker]:
    return [
        CircuitBreaker(
            "match-trader",
            time.monotonic,
            failure_threshold=THRESHOLD,
            reset_timeout=RESET,
            store=store,
            probe_lease=LEASE,
            counts_as_failure=lambda error: isinstance(error, ConnectionError),
        )
        for _ in range(count)
    ]


def attempt(breaker: CircuitBreaker, operation: Callable[[], str]) -> str:
    """What the call came to: the result, the error's name, or `fast` when the circuit refused it."""
    try:
        return breaker.call(operation)
    except CircuitOpenError:
        return "fast"
    except Exception as error:
        return type(error).__name__


def test_one_workers_failures_open_every_workers_circuit() -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    a, b = workers(2, store, time)
    assert [attempt(a, platform) for _ in range(THRESHOLD)] == ["ConnectionError"] * THRESHOLD
    assert (a.state, b.state) == ("open", "open")
    with pytest.raises(CircuitOpenError) as refused:
        b.call(platform)
    assert refused.value.retry_in == RESET
    assert platform.calls == THRESHOLD


def test_failures_from_several_workers_count_together_and_a_success_anywhere_resets_them() -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    a, b, c = workers(3, store, time)
    attempt(a, platform), attempt(b, platform)
    assert attempt(c, lambda: "ok") == "ok"
    assert store.read("match-trader") == BreakerState()
    attempt(a, platform), attempt(b, platform)
    assert c.state == "closed"
    attempt(c, platform)
    assert a.state == "open"


def test_only_one_worker_makes_the_trial_call_and_its_success_closes_every_circuit() -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    a, b = workers(2, store, time)
    for _ in range(THRESHOLD):
        attempt(a, platform)
    time.now += RESET
    assert b.state == "half_open"
    seen_by_b: list[str] = []

    def trial() -> str:  # while A's trial call is in flight, B tries too
        seen_by_b.append(attempt(b, platform))
        return "ok"

    assert a.call(trial) == "ok"
    assert seen_by_b == ["fast"]
    assert (a.state, b.state) == ("closed", "closed")
    platform.up = True
    assert attempt(b, platform) == "ok"


def test_a_failed_trial_reopens_every_circuit_for_another_period() -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    a, b = workers(2, store, time)
    for _ in range(THRESHOLD):
        attempt(a, platform)
    time.now += RESET
    assert attempt(b, platform) == "ConnectionError"
    assert (a.state, b.state) == ("open", "open")
    time.now += RESET - 1
    assert attempt(a, platform) == "fast"
    time.now += 1
    platform.up = True
    assert attempt(a, platform) == "ok"  # the lease went with the reopening: the next period's trial is free
    assert b.state == "closed"


def test_the_probe_lease_of_a_worker_that_died_expires() -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    a, b = workers(2, store, time)
    for _ in range(THRESHOLD):
        attempt(a, platform)
    time.now += RESET
    assert store.take_probe("match-trader", 1000.0, time.now, time.now + LEASE)  # a worker that never returns
    with pytest.raises(CircuitOpenError) as refused:
        b.call(platform)
    assert refused.value.retry_in == LEASE
    time.now += LEASE
    platform.up = True
    assert attempt(b, platform) == "ok"


def test_an_error_that_is_not_the_platforms_fault_in_the_trial_call_closes_the_circuit() -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    (a,) = workers(1, store, time)
    for _ in range(THRESHOLD):
        attempt(a, platform)
    time.now += RESET

    def refused() -> str:
        raise ValueError("422: the platform answered")

    assert attempt(a, refused) == "ValueError"
    assert a.state == "closed"


def test_a_healthy_circuit_costs_no_write_per_call() -> None:
    time, store = FakeTime(1000.0), CountingStore()
    a, b = workers(2, store, time)
    for _ in range(5):
        attempt(a, lambda: "ok"), attempt(b, lambda: "ok")
    assert store.writes == 0


@settings(max_examples=100, deadline=None)
@given(
    worker_count=st.integers(min_value=1, max_value=10),
    calls=st.lists(
        st.tuples(st.integers(min_value=0, max_value=9), st.floats(min_value=0, max_value=5)),
        min_size=1,
        max_size=200,
    ),
)
def test_a_dead_platform_sees_the_threshold_plus_one_trial_per_period_whatever_the_workers(
    worker_count: int, calls: list[tuple[int, float]]
) -> None:
    time, store, platform = FakeTime(1000.0), InMemoryBreakerStore(), Platform()
    pool = workers(worker_count, store, time)
    start = time.now
    for worker, pause in calls:
        time.now += pause
        attempt(pool[worker % worker_count], platform)
    periods = int((time.now - start) // RESET) + 1
    assert platform.calls <= THRESHOLD + periods
