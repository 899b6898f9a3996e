"""Reads provider secrets from Secrets Manager, cached for `ttl` seconds (five minutes by default), so that a
secret ops rotate is picked up by warm functions without a cold start. KYC adapters use
`propdesk.adapters.kyc.credentials.TtlSecrets`, which also re-reads at once after a signature fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from propdesk.adapters.aws import secrets_client
from propdesk.resilience.timing import Monotonic
from propdesk.resilience.units import Seconds

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

DEFAULT_TTL: Seconds = 300.0


class SecretsManagerSource:
    def __init__(
        self,
        client: Callable[[], SecretsManagerClient] = secrets_client,
        ttl: Seconds = DEFAULT_TTL,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[str, Seconds]] = {}  # secret id -> (value, read at)

    def get(self, secret_id: str) -> str:
        cached = self._cache.get(secret_id)
        if cached is not None and self._clock() - cached[1] < self._ttl:
            return cached[0]
        value = self._client().get_secret_value(SecretId=secret_id)["SecretString"]
        self._cache[secret_id] = (value, self._clock())
        return value

    def forget(self, secret_id: str) -> None:
        """Read the secret again on the next `get` (it may have been rotated)."""
        self._cache.pop(secret_id, None)
