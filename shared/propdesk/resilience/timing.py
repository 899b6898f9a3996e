"""The two time functions the resilience helpers need, injected so that tests control them (a test double:
`tests/doubles/timing.py`)."""

from __future__ import annotations

from collections.abc import Callable

Monotonic = Callable[[], float]  # seconds, only differences matter (time.monotonic in production)
Sleeper = Callable[[float], None]  # time.sleep in production
