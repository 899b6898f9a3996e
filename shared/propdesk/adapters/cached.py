"""A value read from somewhere slow (Secrets Manager, an AWS describe call), kept for a while.

`get()` answers the cached value while it is younger than `ttl`, else reads it again; `refresh()` reads it
now, unless it was read less than `min_refresh_interval` ago (so a flood of forged webhooks, each asking for
a fresh secret, cannot hammer the source). This is how a secret rotated at its source reaches warm Lambdas:
within `ttl` on its own, at once when a signature fails to verify with the cached copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from propdesk.resilience.timing import Monotonic
from propdesk.resilience.units import Seconds

T = TypeVar("T")
DEFAULT_TTL: Seconds = 300.0  # five minutes: how long a rotated secret may go unnoticed without a failure
DEFAULT_MIN_REFRESH_INTERVAL: Seconds = 5.0


class CachedValue(Generic[T]):
    def __init__(
        self,
        read: Callable[[], T],
        ttl: Seconds = DEFAULT_TTL,
        clock: Monotonic = time.monotonic,
        min_refresh_interval: Seconds = DEFAULT_MIN_REFRESH_INTERVAL,
    ) -> None:
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._min_refresh_interval = min_refresh_interval
        self._value: tuple[T, Seconds] | None = None  # (value, read at)
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is not None and self._clock() - self._value[1] < self._ttl:
                return self._value[0]
        return self._load()

    def refresh(self) -> T:
        """The value read again now (or as recently as `min_refresh_interval` allows)."""
        with self._lock:
            if self._value is not None and self._clock() - self._value[1] < self._min_refresh_interval:
                return self._value[0]
        return self._load()

    def _load(self) -> T:
        value = self._read()
        with self._lock:
            self._value = (value, self._clock())
        return value
