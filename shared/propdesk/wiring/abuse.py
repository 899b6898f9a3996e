"""Production wiring of identity-signal capture (`propdesk.abuse.signals`) for the functions that meet the
trader: the firm's key read from Secrets Manager on the first signal (not at cold start), signals kept in
the main table (`propdesk.data.abuse_signals`). A function whose settings name no key captures nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from propdesk.abuse.signals import NoSignals, SignalCapture, SignalHasher, SignalSink
from propdesk.observability import logger, metrics

if TYPE_CHECKING:
    from propdesk.abuse.inputs import Network, SignalKind
    from propdesk.config import AbuseSignalSettings
    from propdesk.ports import SecretSource


def signal_sink(settings: AbuseSignalSettings, secrets: SecretSource | None = None) -> SignalSink:
    if not settings.abuse_signal_key_secret_id:
        return NoSignals()
    if secrets is None:
        from propdesk.adapters.secrets import SecretsManagerSource

        secrets = SecretsManagerSource()
    return KeyedSignals(settings.abuse_signal_key_secret_id, secrets)


class KeyedSignals:
    """`SignalSink` whose key comes from a secret, read when the first signal comes (and again while the
    read fails: a capture without the key is skipped, never an error for the caller)."""

    def __init__(self, secret_id: str, secrets: SecretSource) -> None:
        self._secret_id = secret_id
        self._secrets = secrets
        self._capture: SignalCapture | None = None

    def capture(
        self,
        trader_id: str,
        kind: SignalKind,
        raw: str,
        at: datetime,
        account_id: str = "",
        network: Network = "unknown",
    ) -> bool:
        capture = self._ready()
        if capture is None:
            return False
        return capture.capture(trader_id, kind, raw, at, account_id, network)

    def _ready(self) -> SignalCapture | None:
        if self._capture is None:
            try:
                key = str(json.loads(self._secrets.get(self._secret_id))["key"]).encode()
                hasher = SignalHasher(key)
            except Exception as error:  # a missing or malformed key must not fail a sign-in
                logger.warning("identity signal key unavailable", extra={"error": type(error).__name__})
                metrics.add_metric(name="AbuseSignalsLost", unit="Count", value=1)
                return None
            from propdesk.abuse.ip_intelligence import CidrIntelligence
            from propdesk.data.abuse_signals import SignalRepository

            # the sample list shipped with the package (docs/abuse.md): a firm replaces it with its feed
            self._capture = SignalCapture(hasher, SignalRepository(), CidrIntelligence.sample())
        return self._capture
