"""Production wiring of the trading-platform adapters other than provisioning's Match-Trader (which
`wiring.purchases.match_trader` builds from its settings): each from its connection's secret (JSON, read
lazily and re-read after `CREDENTIALS_TTL_SECONDS` or a refusal), its own rate limit, retries with jitter and
the circuit breaker every worker shares (DynamoDB, wall-clock time). Imports happen on first use.

Secrets: TradeLocker {trading_url, brand_url, brand_api_key, email, password, server, account_type};
DXtrade {trading_url, admin_url, username, domain, password, clearing_code, user_domain}. A connection's
symbol mapping (`SymbolMapping.from_config`, from the firm's settings) is passed in; nothing is read before
the first call.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from propdesk.wiring.purchases import CREDENTIALS_TTL_SECONDS, PROBE_LEASE_SECONDS

if TYPE_CHECKING:
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.platforms.dxtrade import DXtradePlatform
    from propdesk.adapters.platforms.tradelocker import TradeLockerPlatform
    from propdesk.platforms.symbols import SymbolMapping
    from propdesk.ports import SecretSource
    from propdesk.resilience.circuit_breaker import CircuitBreaker
    from propdesk.resilience.rate_limiter import TokenBucket


def tradelocker(
    secret_id: str,
    source: SecretSource,
    server: str,
    share: float = 1.0,
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
    share: float = 1.0,
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


def _limiter(per_minute: int, share: float) -> TokenBucket:
    from propdesk.resilience.rate_limiter import TokenBucket

    return TokenBucket.within(max(1, int(per_minute * share)), 60, time.monotonic, time.sleep)


def _breaker(name: str) -> CircuitBreaker:
    from propdesk.data.breakers import DynamoDBBreakerStore
    from propdesk.platforms.port import PlatformUnavailableError
    from propdesk.resilience.circuit_breaker import CircuitBreaker

    return CircuitBreaker(  # one circuit per platform for every worker, on wall-clock time
        name,
        time.time,
        failure_threshold=5,
        reset_timeout=30,
        counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
        store=DynamoDBBreakerStore(),
        probe_lease=PROBE_LEASE_SECONDS,
    )
