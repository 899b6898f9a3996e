"""A circuit breaker: after `failure_threshold` consecutive failures the circuit opens and calls fail fast
for `reset_timeout` seconds; then one trial call is let through (half-open): success closes the circuit,
failure opens it again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from propdesk.provisioning.timing import Monotonic
from propdesk.provisioning.units import Seconds

T = TypeVar("T")
State = Literal["closed", "open", "half_open"]


class CircuitOpenError(Exception):
    """The circuit is open: the call was not attempted."""

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
    ) -> None:
        self.name = name
        self._clock = clock
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._counts = counts_as_failure
        self._failures = 0
        self._opened_at: Seconds | None = None

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._reset_timeout:
            return "half_open"
        return "open"

    def call(self, operation: Callable[[], T]) -> T:
        if self.state == "open":
            assert self._opened_at is not None
            raise CircuitOpenError(self.name, self._reset_timeout - (self._clock() - self._opened_at))
        try:
            result = operation()
        except Exception as error:
            if self._counts(error):
                self._record_failure()
            raise
        self._failures = 0
        self._opened_at = None
        return result

    def _record_failure(self) -> None:
        self._failures += 1
        if self.state == "half_open" or self._failures >= self._threshold:
            self._opened_at = self._clock()
