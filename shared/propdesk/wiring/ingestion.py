"""Production wiring of trusted ingestion: each platform's signing secrets from Secrets Manager, and the
reconciliation of the platforms' figures with ours.

A platform's signing secret is its own Secrets Manager secret (JSON `{"signing_secret": ...}`, plus
`previous_signing_secret` while a rotation is under way, so both verify until the platform's connector uses
the new one), read through the `SecretSource` on first use and kept `CREDENTIALS_TTL_SECONDS` (a rotated
secret
is picked up without a cold start). Nothing is read before the first push.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from propdesk.wiring.purchases import CREDENTIALS_TTL_SECONDS

if TYPE_CHECKING:
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.config import PlatformReconciliationSettings
    from propdesk.platforms.port import PlatformName, TradingPlatform
    from propdesk.platforms.push_auth import SigningSecrets
    from propdesk.platforms.reconciliation import PlatformReconciliation
    from propdesk.platforms.signing import Secret
    from propdesk.ports import SecretSource

SIGNING_FIELDS = ("signing_secret", "previous_signing_secret")


def signing_secrets(arns: Mapping[PlatformName, str], source: SecretSource | None = None) -> SigningSecrets:
    """A reader of each platform's current signing secrets; a platform without a secret ARN raises
    `LookupError` (its pushes are refused)."""
    from propdesk.adapters.platforms.credentials import CachedSecret

    if source is None:
        from propdesk.adapters.secrets import SecretsManagerSource

        source = SecretsManagerSource()
    cached: dict[PlatformName, CachedSecret] = {
        platform: CachedSecret(source, arn, ttl=CREDENTIALS_TTL_SECONDS) for platform, arn in arns.items()
    }

    def read(platform: PlatformName) -> Sequence[Secret]:
        secret = cached[platform]  # KeyError (a LookupError): no secret for this platform
        return [value for value in (secret.field(name) for name in SIGNING_FIELDS) if value]

    return read


def platform_reconciliation(settings: PlatformReconciliationSettings) -> PlatformReconciliation:
    """The reconciliation use case over the tables, the event bus and the firm's platform connections.

    Connections: Match-Trader (the platform provisioning opens accounts on, from the settings' secret); an
    account on a platform without a connection here is reported `unavailable` (see docs/platforms.md)."""
    from datetime import timedelta

    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.payout_holds import PayoutHoldRepository
    from propdesk.data.reconciliations import ReconciliationRepository
    from propdesk.data.risk import RiskStateRepository
    from propdesk.platforms.reconciliation import PlatformReconciliation, Tolerance
    from propdesk.wiring import purchases

    purchases.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    connections: dict[str, TradingPlatform] = {}

    def platform(name: str) -> TradingPlatform | None:
        if name == "match-trader" and name not in connections:
            connections[name] = purchases.match_trader(settings, purchases.secrets())
        return connections.get(name)

    return PlatformReconciliation(
        AccountRepository(),
        RiskStateRepository(),
        TradingEventRepository(),
        platform,
        PayoutHoldRepository(),
        ReconciliationRepository(),
        EventBridgePublisher(settings.event_bus_name),
        SystemClock(),
        Tolerance(settings.balance_tolerance, settings.equity_tolerance_percent),
        timedelta(minutes=settings.stale_after_minutes),
    )
