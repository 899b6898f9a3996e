"""The two time functions the resilience helpers need, injected so that tests control them."""

from __future__ import annotations

from collections.abc import Callable

from propdesk.resilience.units import Seconds

Monotonic = Callable[[], float]  # seconds, only differences matter (time.monotonic in production)
Sleeper = Callable[[float], None]  # time.sleep in production


class FakeTime:
    """A monotonic clock whose sleep just moves it forward; records every sleep."""

    def __init__(self, start: Seconds = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> Seconds:
        return self.now

    def sleep(self, seconds: Seconds) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
