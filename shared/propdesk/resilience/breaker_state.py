"""Where a circuit breaker keeps its state, so that every worker calling one platform shares one circuit.

The port has one operation per state change, each a single conditional update in DynamoDB
(`propdesk.data.breakers`), so concurrent workers never lose each other's failures and exactly one of them
may make the half-open trial call. Instants are seconds on a clock every worker shares (wall-clock time:
monotonic clocks differ between machines). `InMemoryBreakerStore` behaves the same within one process (the
default of `CircuitBreaker`, and the unit tests' store).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Protocol

from propdesk.resilience.units import Seconds


@dataclass(frozen=True, slots=True)
class BreakerState:
    failures: int = 0  # consecutive failures counted since the circuit last closed
    opened_at: Seconds | None = None  # set while open or half-open
    probe_until: Seconds | None = None  # a half-open trial call's lease, held by one worker until then


class BreakerStore(Protocol):
    def read(self, name: str) -> BreakerState: ...

    def add_failure(self, name: str, threshold: int, now: Seconds) -> None:
        """Count one more consecutive failure; the count reaching `threshold` opens the circuit at `now`
        (unless it is open already: the first opener's instant stands)."""
        ...

    def take_probe(self, name: str, opened_at: Seconds, now: Seconds, until: Seconds) -> bool:
        """Lease the half-open trial call until `until`: True for one caller only, while the circuit is still
        the one opened at `opened_at` and no other lease is unexpired at `now`."""
        ...

    def reopen(self, name: str, now: Seconds) -> None:
        """The trial call failed: open again from `now` and drop the lease."""
        ...

    def close(self, name: str) -> None:
        """A call succeeded: no failures, not open, no lease."""
        ...


class InMemoryBreakerStore:
    def __init__(self) -> None:
        self.states: dict[str, BreakerState] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> BreakerState:
        return self.states.get(name, BreakerState())

    def add_failure(self, name: str, threshold: int, now: Seconds) -> None:
        with self._lock:
            state = self.read(name)
            state = replace(state, failures=state.failures + 1)
            if state.opened_at is None and state.failures >= threshold:
                state = replace(state, opened_at=now)
            self.states[name] = state

    def take_probe(self, name: str, opened_at: Seconds, now: Seconds, until: Seconds) -> bool:
        with self._lock:
            state = self.read(name)
            if state.opened_at != opened_at or (state.probe_until is not None and state.probe_until > now):
                return False
            self.states[name] = replace(state, probe_until=until)
            return True

    def reopen(self, name: str, now: Seconds) -> None:
        with self._lock:
            self.states[name] = replace(self.read(name), opened_at=now, probe_until=None)

    def close(self, name: str) -> None:
        with self._lock:
            self.states[name] = BreakerState()
