"""Reads provider secrets from Secrets Manager, cached for the life of the execution environment."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from propdesk.adapters.aws import secrets_client

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class SecretsManagerSource:
    def __init__(self, client: Callable[[], SecretsManagerClient] = secrets_client) -> None:
        self._client = client
        self._cache: dict[str, str] = {}

    def get(self, secret_id: str) -> str:
        if secret_id not in self._cache:
            self._cache[secret_id] = self._client().get_secret_value(SecretId=secret_id)["SecretString"]
        return self._cache[secret_id]

    def forget(self, secret_id: str) -> None:
        """Read the secret again on the next `get` (it may have been rotated)."""
        self._cache.pop(secret_id, None)
