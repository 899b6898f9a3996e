"""An in-memory `propdesk.services.rate_limits.WindowCounter`, for tests only."""

from __future__ import annotations

from datetime import datetime


class InMemoryWindowCounter:
    def __init__(self) -> None:
        self.hits: dict[tuple[str, datetime], int] = {}

    def increment(self, key: str, window_start: datetime, limit: int, expires_at: datetime) -> bool:
        count = self.hits.get((key, window_start), 0)
        if count >= limit:
            return False
        self.hits[(key, window_start)] = count + 1
        return True
