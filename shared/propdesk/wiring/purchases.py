"""Production wiring of the purchase path (the composition root the handlers call once per container):
repositories bound to the tables, adapters reading their credentials from Secrets Manager on first use.
Not domain code: this is where boto3, httpx and stripe come in, each imported only when used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from propdesk.purchases.fraud import CHECKS, Action, Check, FraudPolicy

# The trial call (retries included) cannot outlive the provisioning function's 60 s timeout: after that a
# lease left by a worker that died is surely stale and another worker may probe.
PROBE_LEASE_SECONDS = 60
# How long a platform connection's credentials are kept before Secrets Manager is asked again.
CREDENTIALS_TTL_SECONDS = 300

if TYPE_CHECKING:
    from propdesk.adapters.coinbase_commerce import CoinbaseCommerce
    from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
    from propdesk.adapters.stripe_payments import StripePayments
    from propdesk.config import PaymentProviderSettings, ProvisioningSettings
    from propdesk.ports import SecretSource
    from propdesk.purchases.ports import PaymentProvider


def bind(table_name: str, region: str, endpoint_url: str | None, audit_table_name: str | None = None) -> None:
    from propdesk.data.binding import TableBinding, bind_tables

    bind_tables(TableBinding(table_name, None, region, endpoint_url, audit_table_name=audit_table_name))


def secrets() -> SecretSource:
    from propdesk.adapters.secrets import SecretsManagerSource

    return SecretsManagerSource()


def secret_json(source: SecretSource, secret_id: str) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        value: dict[str, Any] = json.loads(source.get(secret_id))
        return value

    return read


def stripe_provider(settings: PaymentProviderSettings, source: SecretSource) -> StripePayments | None:
    if not settings.stripe_secret_arn:
        return None
    from propdesk.adapters.stripe_payments import StripeCredentials, StripePayments

    read = secret_json(source, settings.stripe_secret_arn)
    return StripePayments(
        lambda: StripeCredentials(read()["api_key"], read()["webhook_secret"]),
        api_base=settings.stripe_api_base,
    )


def coinbase_provider(settings: PaymentProviderSettings, source: SecretSource) -> CoinbaseCommerce | None:
    if not settings.coinbase_secret_arn:
        return None
    from propdesk.adapters.coinbase_commerce import CoinbaseCommerce, CoinbaseCredentials

    read = secret_json(source, settings.coinbase_secret_arn)
    return CoinbaseCommerce(
        lambda: CoinbaseCredentials(read()["api_key"], read()["webhook_secret"]),
        api_base=settings.coinbase_api_base,
    )


def payment_providers(settings: PaymentProviderSettings, source: SecretSource) -> dict[str, PaymentProvider]:
    found = [stripe_provider(settings, source), coinbase_provider(settings, source)]
    return {provider.name: provider for provider in found if provider is not None}


def match_trader(settings: ProvisioningSettings, source: SecretSource) -> MatchTraderPlatform:
    """The secret (JSON) holds `base_url`, `api_token` and, for trading operations, `system_uuid` and
    `payment_gateway_uuid`; it is re-read every `CREDENTIALS_TTL_SECONDS` (and after a 401), so a rotated
    token needs no cold start."""
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
    from propdesk.data.breakers import DynamoDBBreakerStore
    from propdesk.platforms.port import PlatformUnavailableError
    from propdesk.resilience.circuit_breaker import CircuitBreaker
    from propdesk.resilience.rate_limiter import TokenBucket

    secret = CachedSecret(source, settings.match_trader_secret_arn, ttl=CREDENTIALS_TTL_SECONDS)
    configured = settings.match_trader_base_url
    return MatchTraderPlatform(
        base_url=configured or (lambda: secret.field("base_url")),
        token=lambda: secret.field("api_token"),
        forget_token=secret.refresh,
        system_uuid=lambda: secret.field("system_uuid"),
        payment_gateway_uuid=lambda: secret.field("payment_gateway_uuid"),
        server=settings.match_trader_server,
        limiter=TokenBucket.within(settings.platform_requests_per_minute, 60, time.monotonic, time.sleep),
        breaker=CircuitBreaker(  # one circuit for every worker: shared in the table, on wall-clock time
            "match-trader",
            time.time,
            failure_threshold=5,
            reset_timeout=30,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
            store=DynamoDBBreakerStore(),
            probe_lease=PROBE_LEASE_SECONDS,
        ),
        sleep=time.sleep,
    )


def fraud_policy(actions: str, countries: str = "") -> FraudPolicy:
    """`actions`: `"disposable_email=block,country_mismatch=flag"` over the defaults; unknown names are
    refused. `countries`: the card-country rules, `"KP=block,IR=block,NG=flag"` (ISO 3166-1 alpha-2)."""
    chosen: dict[Check, Action] = dict(FraudPolicy().actions)
    for part in filter(None, (p.strip() for p in actions.split(","))):
        name, _, action = part.partition("=")
        check = next((c for c in CHECKS if c == name.strip()), None)
        verdict = next((a for a in ("block", "flag", "off") if a == action.strip()), None)
        if check is None or verdict is None:
            raise ValueError(
                f"FRAUD_ACTIONS: {part!r} is not <check>=block|flag|off (checks: {', '.join(CHECKS)})"
            )
        chosen[check] = verdict
    return FraudPolicy(actions=chosen, window=timedelta(hours=24), country_rules=country_rules(countries))


def country_rules(text: str) -> dict[str, Action]:
    """`"KP=block,NG=flag"` → {"KP": "block", "NG": "flag"}; anything else is refused (a typo must not
    silently let a blocked country through)."""
    rules: dict[str, Action] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        country, _, action = (piece.strip() for piece in part.partition("="))
        verdict = next((a for a in ("block", "flag") if a == action), None)
        if len(country) != 2 or not country.isascii() or not country.isalpha() or verdict is None:
            raise ValueError(f"FRAUD_COUNTRIES: {part!r} is not <ISO country code>=block|flag")
        rules[country.upper()] = verdict
    return rules
