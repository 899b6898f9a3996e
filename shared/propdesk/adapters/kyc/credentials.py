"""Provider secrets, read lazily and re-read after a TTL, so a secret rotated in Secrets Manager is picked up
by warm Lambdas without a cold start.

A provider signs with its new secret as soon as ops rotate it; until our cached copy expires a webhook may
fail to verify. The adapters then call `refresh` once (at most every `min_refresh_interval` seconds per
secret, so a flood of forged webhooks cannot hammer Secrets Manager) and verify again. During a rotation the
secret document may also hold the previous value (`previous_*` fields), which still verifies webhooks.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from propdesk.adapters.aws import secrets_client
from propdesk.ports import SecretSource
from propdesk.resilience.timing import Monotonic
from propdesk.resilience.units import Seconds

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class RotatingSecrets(Protocol):
    def get(self, secret_id: str) -> str:
        """The secret's value, possibly cached."""
        ...

    def refresh(self, secret_id: str) -> str:
        """The secret's value read from the source now (or as recently as the source allows)."""
        ...


class SecretsManagerReader:
    """Reads a secret from Secrets Manager on every call (wrap it in `TtlSecrets`)."""

    def __init__(self, client: Callable[[], SecretsManagerClient] = secrets_client) -> None:
        self._client = client

    def get(self, secret_id: str) -> str:
        return self._client().get_secret_value(SecretId=secret_id)["SecretString"]


class TtlSecrets:
    def __init__(
        self,
        source: SecretSource,
        ttl: Seconds = 300.0,
        clock: Monotonic = time.monotonic,
        min_refresh_interval: Seconds = 5.0,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._clock = clock
        self._min_refresh_interval = min_refresh_interval
        self._cache: dict[str, tuple[str, Seconds]] = {}  # secret id -> (value, read at)
        self._lock = threading.Lock()

    def get(self, secret_id: str) -> str:
        with self._lock:
            cached = self._cache.get(secret_id)
            if cached is not None and self._clock() - cached[1] < self._ttl:
                return cached[0]
        return self._read(secret_id)

    def refresh(self, secret_id: str) -> str:
        with self._lock:
            cached = self._cache.get(secret_id)
            if cached is not None and self._clock() - cached[1] < self._min_refresh_interval:
                return cached[0]
        return self._read(secret_id)

    def _read(self, secret_id: str) -> str:
        value = self._source.get(secret_id)
        with self._lock:
            self._cache[secret_id] = (value, self._clock())
        return value


def secret_fields(secret_string: str) -> dict[str, str]:
    """The JSON object a provider secret holds (`{"api_key": ..., "shared_secret": ...}`), string fields
    only; anything else reads as no fields (the adapter then reports what is missing)."""
    try:
        document = json.loads(secret_string)
    except ValueError:
        return {}
    if not isinstance(document, dict):
        return {}
    return {key: value for key, value in document.items() if isinstance(value, str)}
