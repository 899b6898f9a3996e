"""The firm's trading-platform connections, and the adapter for an account's platform built on first use.

`PLATFORM_CONNECTIONS` (see `propdesk.config.PlatformConnection`) says which platforms are on, each with its
Secrets Manager secret and settings. `PlatformRegistry.platform(name)` builds that platform's adapter the
first time an account living there needs it, importing only that adapter (a function acting on Match-Trader
accounts never loads cTrader's WebSocket client), and keeps it for the container's life. Every adapter's
calls go through the platform's shared circuit breaker (`BreakerStore` in the table, the same circuit the
provisioning function uses), a rate limiter for this function's share of the platform's budget, and retries
with jitter for transient failures.

Secrets (JSON; read on first use, re-read every `CREDENTIALS_TTL_SECONDS` and after the platform refuses
them, so a rotation needs no cold start):
- match-trader: `base_url`, `api_token`, `system_uuid`, `payment_gateway_uuid` (and `stream_url`, the event
  stream the connector holds);
- tradelocker: `trading_url`, `brand_url`, `brand_api_key`, `email`, `password`, `server` (the service login),
  `account_type` (default DEMO);
- dxtrade: `trading_url`, `admin_url`, `username`, `domain`, `password`, `clearing_code`, `user_domain` (and
  `push_url`, the push WebSocket the connector holds);
- mt5: `base_url`, `key_id`, `secret` (the bridge's request-signing key);
- ctrader: `webservices_url`, `manager_token`, `open_api_url`, `client_id`, `client_secret`,
  `access_token`, `refresh_token` (a refreshed token is kept for the container's life only).

`tradelocker(...)` and `dxtrade(...)` build one adapter straight from a secret id, outside the registry (a
worker's `share` of the connection's budget, a symbol mapping from the firm's settings).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from propdesk.platforms.port import (
    AccountRef,
    PlatformName,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingPlatform,
)
from propdesk.platforms.references import account_ref
from propdesk.records import PlatformReference
from propdesk.resilience.breaker_state import BreakerStore
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.wiring.purchases import CREDENTIALS_TTL_SECONDS, PROBE_LEASE_SECONDS

if TYPE_CHECKING:
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.platforms.dxtrade import DXtradePlatform
    from propdesk.adapters.platforms.tradelocker import TradeLockerPlatform
    from propdesk.config import PlatformConnection
    from propdesk.platforms.symbols import SymbolMapping
    from propdesk.ports import SecretSource

BREAKER_FAILURES = 5
BREAKER_RESET_SECONDS = 30


class PlatformNotConnectedError(PlatformRejectedError):
    """The account lives on a platform the firm has no connection to (a setting to fix, not a retry)."""


@dataclass(frozen=True, slots=True)
class Plumbing:
    """What every adapter is built with: this platform's connection, its secret, its breaker and limiter."""

    connection: PlatformConnection
    secret: CachedSecret
    breaker: CircuitBreaker
    limiter: TokenBucket


Builder = Callable[[Plumbing], TradingPlatform]


class PlatformRegistry:
    def __init__(
        self,
        connections: Mapping[PlatformName, PlatformConnection],
        secrets: SecretSource,
        breakers: BreakerStore | None = None,
        builders: Mapping[PlatformName, Builder] | None = None,
    ) -> None:
        self._connections = dict(connections)
        self._secrets = secrets
        self._breakers = breakers
        self._builders = dict(builders) if builders is not None else dict(BUILDERS)
        self._built: dict[PlatformName, TradingPlatform] = {}

    @property
    def connected(self) -> tuple[PlatformName, ...]:
        return tuple(sorted(self._connections))

    def platform(self, name: PlatformName) -> TradingPlatform:
        """The adapter of a connected platform (built on first use); `PlatformNotConnectedError` otherwise."""
        if name not in self._built:
            connection = self._connections.get(name)
            builder = self._builders.get(name)
            if connection is None or builder is None:
                raise PlatformNotConnectedError(f"the firm has no connection to {name}")
            self._built[name] = builder(self._plumbing(name, connection))
        return self._built[name]

    def for_account(self, reference: PlatformReference) -> tuple[TradingPlatform, AccountRef]:
        """The adapter and the port's reference for an account's stored platform reference."""
        ref = account_ref(reference)
        return self.platform(ref.platform), ref

    def _plumbing(self, name: PlatformName, connection: PlatformConnection) -> Plumbing:
        from propdesk.adapters.platforms.credentials import CachedSecret

        store = self._breakers
        if store is None:
            from propdesk.data.breakers import DynamoDBBreakerStore

            store = DynamoDBBreakerStore()
        breaker = CircuitBreaker(  # one circuit per platform for every worker: shared, on wall-clock time
            name,
            time.time,
            failure_threshold=BREAKER_FAILURES,
            reset_timeout=BREAKER_RESET_SECONDS,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
            store=store,
            probe_lease=PROBE_LEASE_SECONDS,
        )
        return Plumbing(
            connection=connection,
            secret=CachedSecret(self._secrets, connection.secret_arn, ttl=CREDENTIALS_TTL_SECONDS),
            breaker=breaker,
            limiter=TokenBucket.within(connection.requests_per_minute, 60, time.monotonic, time.sleep),
        )


def _base_url(plumbing: Plumbing, field: str) -> str | Callable[[], str]:
    configured = plumbing.connection.base_url
    return configured or (lambda: plumbing.secret.field(field))


def build_match_trader(plumbing: Plumbing) -> TradingPlatform:
    from propdesk.adapters.platforms.match_trader import MatchTraderPlatform

    secret = plumbing.secret
    return MatchTraderPlatform(
        base_url=_base_url(plumbing, "base_url"),
        token=lambda: secret.field("api_token"),
        forget_token=secret.refresh,
        system_uuid=lambda: secret.field("system_uuid"),
        payment_gateway_uuid=lambda: secret.field("payment_gateway_uuid"),
        server=plumbing.connection.server,
        limiter=plumbing.limiter,
        breaker=plumbing.breaker,
        sleep=time.sleep,
    )


def build_tradelocker(plumbing: Plumbing) -> TradingPlatform:
    from propdesk.adapters.platforms.tradelocker import TradeLockerPlatform

    secret = plumbing.secret
    configured = plumbing.connection.base_url
    return TradeLockerPlatform(
        trading_url=configured or (lambda: secret.field("trading_url")),
        brand_url=plumbing.connection.options.get("brand_url") or (lambda: secret.field("brand_url")),
        credentials=secret,
        forget_credentials=secret.refresh,
        server=plumbing.connection.server,
        limiter=plumbing.limiter,
        breaker=plumbing.breaker,
        sleep=time.sleep,
        account_type=plumbing.connection.options.get("account_type")
        or (lambda: secret.field("account_type") or "DEMO"),
    )


def build_mt5(plumbing: Plumbing) -> TradingPlatform:
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.platforms.http import PlatformHttp
    from propdesk.adapters.platforms.mt5_bridge import (
        BridgeCredentials,
        Mt5BridgePlatform,
        Mt5BridgeSettings,
        RequestSigner,
    )
    from propdesk.platforms.symbols import default_mapping

    secret, clock = plumbing.secret, SystemClock()
    http = PlatformHttp(
        "MT5 bridge", _base_url(plumbing, "base_url"), plumbing.limiter, plumbing.breaker, time.sleep
    )
    return Mt5BridgePlatform(
        Mt5BridgeSettings(server=plumbing.connection.server),
        http,
        RequestSigner(lambda: BridgeCredentials(secret.field("key_id"), secret.field("secret")), clock),
        default_mapping("mt5"),
        clock=clock,
    )


def build_ctrader(plumbing: Plumbing) -> TradingPlatform:
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.platforms.ctrader import CTraderPlatform, CTraderSettings
    from propdesk.adapters.platforms.ctrader_session import (
        ApplicationCredentials,
        InMemoryTokenStore,
        OAuthTokens,
        OpenApiSession,
    )
    from propdesk.adapters.platforms.ctrader_webservices import WebServicesClient
    from propdesk.adapters.platforms.http import PlatformHttp
    from propdesk.platforms.symbols import default_mapping

    secret, options = plumbing.secret, plumbing.connection.options
    http = PlatformHttp(
        "cTrader WebServices",
        _base_url(plumbing, "webservices_url"),
        plumbing.limiter,
        plumbing.breaker,
        time.sleep,
    )

    def open_api() -> OpenApiSession:
        tokens = InMemoryTokenStore(OAuthTokens(secret.field("access_token"), secret.field("refresh_token")))
        return OpenApiSession(
            secret.field("open_api_url"),
            lambda: ApplicationCredentials(secret.field("client_id"), secret.field("client_secret")),
            tokens,
            TokenBucket.within(50, 1.0, time.monotonic, time.sleep),
            TokenBucket.within(5, 1.0, time.monotonic, time.sleep),
        )

    return CTraderPlatform(
        CTraderSettings(
            broker_name=options.get("broker_name", ""),
            server=plumbing.connection.server,
            environment=options.get("environment", "live"),
        ),
        WebServicesClient(http, lambda: secret.field("manager_token")),
        open_api,
        default_mapping("ctrader"),
        clock=SystemClock(),
        sleep=time.sleep,
        breaker=plumbing.breaker,
    )


def build_dxtrade(plumbing: Plumbing) -> TradingPlatform:
    from propdesk.adapters.platforms.dxtrade import DXtradePlatform

    secret, options = plumbing.secret, plumbing.connection.options
    return DXtradePlatform(
        trading_url=_base_url(plumbing, "trading_url"),
        admin_url=options.get("admin_url") or (lambda: secret.field("admin_url")),
        credentials=secret,
        server=plumbing.connection.server,
        limiter=plumbing.limiter,
        breaker=plumbing.breaker,
        sleep=time.sleep,
        clearing_code=options.get("clearing_code") or (lambda: secret.field("clearing_code") or "default"),
        user_domain=options.get("user_domain") or (lambda: secret.field("user_domain") or "default"),
    )


BUILDERS: dict[PlatformName, Builder] = {
    "match-trader": build_match_trader,
    "tradelocker": build_tradelocker,
    "mt5": build_mt5,
    "ctrader": build_ctrader,
    "dxtrade": build_dxtrade,
}


def production_registry(connections: Mapping[PlatformName, PlatformConnection]) -> PlatformRegistry:
    from propdesk.adapters.secrets import SecretsManagerSource

    return PlatformRegistry(connections, SecretsManagerSource())


def tradelocker(
    secret_id: str,
    source: SecretSource,
    server: str,
    share: float = 1.0,  # float ok: a share of a rate limit, never money
    symbols: SymbolMapping | None = None,
) -> TradeLockerPlatform:
    """`share`: this worker's part of the connection's request budget (1 / concurrent workers)."""
    from propdesk.adapters.platforms.tradelocker import REQUESTS_PER_MINUTE, TradeLockerPlatform

    secret = _secret(source, secret_id)
    return TradeLockerPlatform(
        trading_url=lambda: secret.field("trading_url"),
        brand_url=lambda: secret.field("brand_url"),
        credentials=secret,
        server=server,
        limiter=_limiter(REQUESTS_PER_MINUTE, share),
        breaker=_breaker("tradelocker"),
        sleep=time.sleep,
        account_type=lambda: secret.field("account_type") or "DEMO",
        symbols=symbols,
        forget_credentials=secret.refresh,
    )


def dxtrade(
    secret_id: str,
    source: SecretSource,
    server: str,
    share: float = 1.0,  # float ok: a share of a rate limit, never money
    symbols: SymbolMapping | None = None,
) -> DXtradePlatform:
    from propdesk.adapters.platforms.dxtrade import REQUESTS_PER_MINUTE, DXtradePlatform

    secret = _secret(source, secret_id)
    return DXtradePlatform(
        trading_url=lambda: secret.field("trading_url"),
        admin_url=lambda: secret.field("admin_url"),
        credentials=secret,
        server=server,
        limiter=_limiter(REQUESTS_PER_MINUTE, share),
        breaker=_breaker("dxtrade"),
        sleep=time.sleep,
        clearing_code=lambda: secret.field("clearing_code") or "default",
        user_domain=lambda: secret.field("user_domain") or "default",
        symbols=symbols,
    )


def _secret(source: SecretSource, secret_id: str) -> CachedSecret:
    from propdesk.adapters.platforms.credentials import CachedSecret

    return CachedSecret(source, secret_id, ttl=CREDENTIALS_TTL_SECONDS)


def _limiter(per_minute: int, share: float) -> TokenBucket:  # float ok: a share of a rate limit, never money
    return TokenBucket.within(max(1, int(per_minute * share)), 60, time.monotonic, time.sleep)


def _breaker(name: str) -> CircuitBreaker:
    from propdesk.data.breakers import DynamoDBBreakerStore

    return CircuitBreaker(  # one circuit per platform for every worker, on wall-clock time
        name,
        time.time,
        failure_threshold=BREAKER_FAILURES,
        reset_timeout=BREAKER_RESET_SECONDS,
        counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
        store=DynamoDBBreakerStore(),
        probe_lease=PROBE_LEASE_SECONDS,
    )
