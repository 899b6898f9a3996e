"""Retries with exponential backoff and full jitter (a random wait between 0 and the capped exponential
delay, so that many clients retrying at once spread out)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from propdesk.resilience.timing import Sleeper
from propdesk.resilience.units import Seconds

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: Seconds = 0.2
    max_delay: Seconds = 5.0
    multiplier: float = 2.0  # float ok: a growth factor

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("max_attempts ≥ 1 and 0 ≤ base_delay ≤ max_delay")

    def ceiling(self, retry: int) -> Seconds:
        """The largest wait before retry number `retry` (1 for the first retry)."""
        return Seconds(min(self.max_delay, self.base_delay * self.multiplier ** (retry - 1)))

    def delay(self, retry: int, rng: random.Random) -> Seconds:
        return rng.uniform(0.0, self.ceiling(retry))


def call_with_retry(
    operation: Callable[[], T],
    policy: RetryPolicy,
    retryable: Callable[[Exception], bool],
    sleep: Sleeper,
    rng: random.Random | None = None,
    retry_after: Callable[[Exception], Seconds | None] = lambda _: None,
) -> T:
    """Call `operation` until it succeeds, raises a non-retryable error, or the attempts run out (then the
    last error is raised). `retry_after` may read a server's hint (e.g. HTTP Retry-After): it is honoured
    when longer than the jittered delay."""
    rng = rng or random.Random()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return operation()
        except Exception as error:
            if attempt == policy.max_attempts or not retryable(error):
                raise
            hint = retry_after(error)
            delay = policy.delay(attempt, rng)
            sleep(max(delay, min(hint, policy.max_delay)) if hint is not None else delay)
    raise AssertionError("unreachable")  # pragma: no cover
