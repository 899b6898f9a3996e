"""An in-memory `propdesk.services.rate_limits.WindowCounter`, for tests only."""

from __future__ import annotations

from datetime import datetime


class InMemoryWindowCounter:
    def __init__(self) -> None:
        self.hits: dict[tuple[str, datetime], int] = {}
        self.tokens: dict[tuple[str, datetime], set[str]] = {}

    def increment(
        self, key: str, window_start: datetime, limit: int, expires_at: datetime, token: str | None = None
    ) -> bool:
        counted = self.tokens.setdefault((key, window_start), set())
        if token is not None and token in counted:
            return True
        count = self.hits.get((key, window_start), 0)
        if count >= limit:
            return False
        self.hits[(key, window_start)] = count + 1
        if token is not None:
            counted.add(token)
        return True
