"""A circuit breaker: after `failure_threshold` consecutive failures the circuit opens and calls fail fast
for `reset_timeout` seconds; then one trial call is let through (half-open): success closes the circuit,
failure opens it again.

The decisions are made here; the state lives in a `BreakerStore`. In memory by default (one process); with
the DynamoDB store every worker of the provisioning function shares one circuit per platform, so a dead
platform gets `failure_threshold` failures in all, not that many per worker, and while half-open only the
worker holding the probe lease (`probe_lease` seconds) calls it. A shared store needs a shared clock: pass
wall-clock seconds (`time.time`), not `time.monotonic`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from propdesk.resilience.breaker_state import BreakerState, BreakerStore, InMemoryBreakerStore
from propdesk.resilience.timing import Monotonic
from propdesk.resilience.units import Seconds

T = TypeVar("T")
State = Literal["closed", "open", "half_open"]


class CircuitOpenError(Exception):
    """The circuit is open (or another worker is making the trial call): the call was not attempted."""

    def __init__(self, name: str, retry_in: Seconds) -> None:
        super().__init__(f"{name} is failing: not calling it for another {retry_in:.1f} s")
        self.retry_in = retry_in


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        clock: Monotonic,
        failure_threshold: int = 5,
        reset_timeout: Seconds = 30.0,
        counts_as_failure: Callable[[Exception], bool] = lambda _: True,
        store: BreakerStore | None = None,
        probe_lease: Seconds | None = None,
    ) -> None:
        self.name = name
        self._clock = clock
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._counts = counts_as_failure
        self._store: BreakerStore = store if store is not None else InMemoryBreakerStore()
        self._probe_lease = probe_lease if probe_lease is not None else reset_timeout

    @property
    def state(self) -> State:
        return self._state_of(self._store.read(self.name), self._clock())

    def call(self, operation: Callable[[], T]) -> T:
        now = self._clock()
        seen = self._store.read(self.name)
        state = self._state_of(seen, now)
        if seen.opened_at is not None and state == "open":
            raise CircuitOpenError(self.name, self._reset_timeout - (now - seen.opened_at))
        probing = seen.opened_at is not None and state == "half_open"
        if probing and not self._take_probe(seen, now):
            raise CircuitOpenError(self.name, self._probe_held_for(seen, now))
        try:
            result = operation()
        except Exception as error:
            if not self._counts(error):
                if probing:  # the platform answered the trial call: it is up again
                    self._store.close(self.name)
                raise
            if probing:
                self._store.reopen(self.name, self._clock())
            else:
                self._store.add_failure(self.name, self._threshold, self._clock())
            raise
        if seen.failures or seen.opened_at is not None:  # a healthy circuit costs no write per call
            self._store.close(self.name)
        return result

    def _take_probe(self, seen: BreakerState, now: Seconds) -> bool:
        assert seen.opened_at is not None
        return self._store.take_probe(self.name, seen.opened_at, now, now + self._probe_lease)

    def _probe_held_for(self, seen: BreakerState, now: Seconds) -> Seconds:
        if seen.probe_until is not None and seen.probe_until > now:
            return seen.probe_until - now
        return self._probe_lease  # taken just now by another worker

    def _state_of(self, seen: BreakerState, now: Seconds) -> State:
        if seen.opened_at is None:
            return "closed"
        if now - seen.opened_at >= self._reset_timeout:
            return "half_open"
        return "open"
