"""A controllable monotonic clock for the resilience helpers (`propdesk.resilience.timing`); tests only."""

from __future__ import annotations

from propdesk.resilience.units import Seconds


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
