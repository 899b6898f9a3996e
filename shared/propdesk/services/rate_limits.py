"""Per-identity rate limits on sensitive actions: a fixed-window counter per (action, identity).

The counter lives behind the `WindowCounter` port (DynamoDB in production: one conditional update per hit);
a refused hit raises `RateLimitedError` with the seconds until the window ends (HTTP 429 + `Retry-After`).

A hit may carry a token (the client's `Idempotency-Key`): the same token counts once per window, so a retry of
a request that failed on our side (a 5xx, a timeout before anything was stored) is not charged again. A new
request needs a new key, and a new key counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from propdesk.errors import RateLimitedError


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds < 1:
            raise ValueError("a rate limit needs a positive limit and window")


class WindowCounter(Protocol):
    def increment(
        self, key: str, window_start: datetime, limit: int, expires_at: datetime, token: str | None = None
    ) -> bool:
        """Count one hit in the window unless it already holds `limit`; False when refused. A hit whose
        `token` was counted in this window already is admitted without counting again."""
        ...


class RateLimiter:
    def __init__(self, counter: WindowCounter) -> None:
        self._counter = counter

    def hit(
        self, action: str, identity: str, rule: RateLimit, now: datetime, token: str | None = None
    ) -> None:
        """Count this call (once per `token`); raise `RateLimitedError` when the identity used up the
        window's allowance."""
        window_start = window_of(now, rule.window_seconds)
        window_end = window_start + timedelta(seconds=rule.window_seconds)
        # Keep the counter a window longer than needed: clocks of concurrent callers differ slightly.
        expires_at = window_end + timedelta(seconds=rule.window_seconds)
        if not self._counter.increment(f"{action}#{identity}", window_start, rule.limit, expires_at, token):
            retry_after = max(1, math.ceil((window_end - now).total_seconds()))
            raise RateLimitedError(
                f"at most {rule.limit} of these per {rule.window_seconds} s; try again in {retry_after} s",
                retry_after,
            )


def window_of(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window holding `now` (windows are aligned on the Unix epoch)."""
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % window_seconds, UTC)
