"""Production wiring of trusted ingestion: each platform's signing secrets from Secrets Manager, and the
reconciliation of the platforms' figures with ours.

A platform's signing secret is its own Secrets Manager secret (JSON `{"signing_secret": ...}`, plus
`previous_signing_secret` while a rotation is under way, so both verify until the platform's connector uses
the new one), read through the `SecretSource` on first use and kept `CREDENTIALS_TTL_SECONDS` (a rotated
secret
is picked up without a cold start). Nothing is read before the first push.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from propdesk.wiring.purchases import CREDENTIALS_TTL_SECONDS

if TYPE_CHECKING:
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.config import PlatformConnection, PlatformPollingSettings, PlatformReconciliationSettings
    from propdesk.platforms.port import PlatformName, TradingPlatform
    from propdesk.platforms.push_auth import SigningSecrets
    from propdesk.platforms.reconciliation import PlatformReconciliation
    from propdesk.platforms.signing import Secret
    from propdesk.ports import SecretSource
    from propdesk.services.platform_polling import PlatformPolling

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
    """The reconciliation use case over the tables, the event bus and the firm's platform connections, with
    the feed's recovery (a stale account's gap backfilled through ingestion once its platform answers) and
    our own bookings in flight (the open payout's withdrawal, the latest scaling decision's top-up).

    Connections: every platform in `PLATFORM_CONNECTIONS`, through the platform registry (the same adapters,
    breakers and secrets as the platform commands); Match-Trader from the provisioning settings' secret when
    the connections do not name it. An account on a platform without a connection is `unavailable`."""
    from datetime import timedelta

    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.feed_marks import FeedMarkRepository
    from propdesk.data.payout_holds import PayoutHoldRepository
    from propdesk.data.payouts import PayoutRepository
    from propdesk.data.reconciliations import ReconciliationRepository
    from propdesk.data.risk import RiskStateRepository
    from propdesk.data.scaling import ScalingRepository
    from propdesk.payouts.put_back import LateWithdrawals
    from propdesk.platforms.feed import FeedRecovery
    from propdesk.platforms.in_flight import KnownBookings
    from propdesk.platforms.reconciliation import PlatformReconciliation, Tolerance
    from propdesk.services.backfill import Backfill
    from propdesk.services.ingestion import EventIngestion
    from propdesk.wiring import purchases

    purchases.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    platform = platform_directory(settings.platform_connections, settings)
    clock, accounts, events = SystemClock(), AccountRepository(), TradingEventRepository()
    backfill = Backfill(accounts, platform, EventIngestion(accounts, events), clock)
    return PlatformReconciliation(
        accounts,
        RiskStateRepository(),
        events,
        platform,
        PayoutHoldRepository(),
        ReconciliationRepository(),
        EventBridgePublisher(settings.event_bus_name),
        clock,
        Tolerance(settings.balance_tolerance, settings.equity_tolerance_percent),
        timedelta(minutes=settings.stale_after_minutes),
        recovery=FeedRecovery(FeedMarkRepository(), backfill, events, accounts, clock),
        # a scaling top-up, a payout's withdrawal or compensation the platform booked before the engine heard
        in_flight=KnownBookings(PayoutRepository(), ScalingRepository(), clock),
        late=LateWithdrawals(PayoutRepository(), clock),  # a withdrawal booked after its payout ended
    )


def platform_directory(
    connections: Mapping[PlatformName, PlatformConnection],
    match_trader: PlatformReconciliationSettings | None = None,
) -> Callable[[str], TradingPlatform | None]:
    """The adapter for a platform by name (None: no connection), built on first use; Match-Trader from the
    provisioning settings when `connections` does not name it and `match_trader` is given."""
    from propdesk.platforms.port import PLATFORMS
    from propdesk.wiring import purchases
    from propdesk.wiring.platforms import production_registry

    registry = production_registry(connections)
    fallback: dict[str, TradingPlatform] = {}

    def platform(name: str) -> TradingPlatform | None:
        for known in PLATFORMS:
            if known == name and known in connections:
                return registry.platform(known)
        if name == "match-trader" and match_trader is not None:
            if name not in fallback:
                fallback[name] = purchases.match_trader(match_trader, purchases.secrets())
            return fallback[name]
        return None

    return platform


def platform_polling(settings: PlatformPollingSettings) -> PlatformPolling:
    """Polling through the platform registry: each due account caught up through the port and ingestion,
    its working orders stored apart for abuse detection (`order_placed`, as a push would send them)."""
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.abuse_orders import PendingOrderRepository
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.feed_marks import FeedMarkRepository
    from propdesk.data.risk import RiskStateRepository
    from propdesk.platforms.feed import FeedRecovery
    from propdesk.platforms.polling import PollingCadence
    from propdesk.services.backfill import Backfill
    from propdesk.services.ingestion import EventIngestion
    from propdesk.services.platform_polling import PlatformPolling

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    clock, accounts, events, marks = (
        SystemClock(), AccountRepository(), TradingEventRepository(), FeedMarkRepository()
    )  # fmt: skip
    platform = platform_directory(settings.platform_connections)
    ingestion = EventIngestion(accounts, events, orders=PendingOrderRepository())
    backfill = Backfill(accounts, platform, ingestion, clock, pending_orders=True)
    return PlatformPolling(
        accounts,
        RiskStateRepository(),
        marks,
        FeedRecovery(marks, backfill, events, accounts, clock),
        clock,
        PollingCadence(settings.near_limit_share, settings.poll_every_minutes),
    )
