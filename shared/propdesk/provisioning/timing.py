"""The two time functions the resilience helpers need, injected so that tests control them."""

from __future__ import annotations

from collections.abc import Callable

Monotonic = Callable[[], float]  # seconds, only differences matter (time.monotonic in production)
Sleeper = Callable[[float], None]  # time.sleep in production


class FakeTime:
    """A monotonic clock whose sleep just moves it forward; records every sleep."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
