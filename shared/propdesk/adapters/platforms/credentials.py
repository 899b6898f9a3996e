"""A platform connection's credentials: a JSON secret read through a `SecretSource` on first use and kept for
a while, so a rotated secret is picked up without a cold start (after `ttl`, or at once after `refresh()`,
which an adapter calls when the platform refuses the credentials it has). A source that caches on its own
(`SecretsManagerSource`) is asked to `forget` the secret before each new read."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from propdesk.ports import SecretSource
from propdesk.resilience.timing import Monotonic
from propdesk.resilience.units import Seconds


class CachedSecret:
    def __init__(
        self, source: SecretSource, secret_id: str, ttl: Seconds = 300.0, clock: Monotonic = time.monotonic
    ) -> None:
        self._source = source
        self._secret_id = secret_id
        self._ttl = ttl
        self._clock = clock
        self._value: Mapping[str, Any] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, Any]:
        with self._lock:
            now = self._clock()
            if self._value is None or now - self._read_at >= self._ttl:
                forget = getattr(self._source, "forget", None)
                if self._value is not None and callable(forget):
                    forget(self._secret_id)
                value = json.loads(self._source.get(self._secret_id))
                if not isinstance(value, Mapping):
                    raise ValueError(f"secret {self._secret_id} is not a JSON object")
                self._value, self._read_at = value, now
            return self._value

    def refresh(self) -> None:
        with self._lock:
            self._value = None
            forget = getattr(self._source, "forget", None)
            if callable(forget):
                forget(self._secret_id)

    def field(self, name: str) -> str:
        """One field of the secret as text (empty when absent)."""
        value = self().get(name)
        return "" if value is None else str(value)
