"""A token bucket: `rate` calls per `per` seconds on average, bursts up to `capacity`.

Match-Trader allows 500 requests a minute per broker token; each concurrent worker gets its share.
"""

from __future__ import annotations

from propdesk.resilience.timing import Monotonic, Sleeper
from propdesk.resilience.units import Calls, Seconds

_EPSILON = 1e-9


class TokenBucket:
    def __init__(self, rate: Calls, per: Seconds, capacity: Calls, clock: Monotonic, sleep: Sleeper) -> None:
        if rate <= 0 or per <= 0 or capacity < 1:
            raise ValueError("rate and per must be positive, capacity at least 1")
        self._refill_per_second = rate / per
        self._capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()

    @classmethod
    def within(
        cls, limit: int, per: Seconds, clock: Monotonic, sleep: Sleeper, burst_share: Calls = 0.1
    ) -> TokenBucket:
        """A bucket that never exceeds `limit` calls in any sliding window of `per` seconds: the burst
        allowance is taken out of the rate (burst + rate * window <= limit)."""
        capacity = max(1.0, Calls(int(limit * burst_share)))
        return cls(limit - capacity, per, capacity, clock, sleep)

    def try_acquire(self) -> Seconds:
        """Take a token if one is there (returns 0), else return how long to wait for the next one."""
        self._refill()
        if self._tokens >= 1 - _EPSILON:  # a float refill may land a hair below a whole token
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        return (1 - self._tokens) / self._refill_per_second

    def acquire(self) -> None:
        """Take a token, waiting as long as needed."""
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._refill_per_second)
        self._updated = now
