"""Fixtures for the purchase path's integration tests: the fake provider servers, the real adapters pointed
at them, and fast resilience settings (a fake clock: retries and rate limiting never really sleep)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from propdesk.adapters.coinbase_commerce import CoinbaseCommerce, CoinbaseCredentials
from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
from propdesk.adapters.stripe_payments import StripeCredentials, StripePayments
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.match_trader import FakeMatchTrader
from fakes.stripe import FakeStripe
from tests.doubles.timing import FakeTime


@pytest.fixture()
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture()
def fake_coinbase() -> Iterator[FakeCoinbaseCommerce]:
    fake = FakeCoinbaseCommerce()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture()
def platform_time() -> FakeTime:
    return FakeTime(start=1000.0)


@pytest.fixture()
def fake_match_trader(platform_time: FakeTime) -> Iterator[FakeMatchTrader]:
    fake = FakeMatchTrader(clock=platform_time.monotonic)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture()
def stripe_payments(fake_stripe: FakeStripe) -> StripePayments:
    credentials = StripeCredentials(fake_stripe.api_key, fake_stripe.webhook_secret)
    return StripePayments(lambda: credentials, api_base=fake_stripe.url, max_network_retries=0)


@pytest.fixture()
def coinbase(fake_coinbase: FakeCoinbaseCommerce) -> CoinbaseCommerce:
    credentials = CoinbaseCredentials(fake_coinbase.api_key, fake_coinbase.webhook_secret)
    return CoinbaseCommerce(lambda: credentials, api_base=fake_coinbase.url)


def match_trader_adapter(
    fake: FakeMatchTrader, time: FakeTime, per_minute: int = 500, failure_threshold: int = 5
) -> MatchTraderPlatform:
    return MatchTraderPlatform(
        base_url=fake.url,
        token=lambda: fake.token,
        server="MatchTrader-Demo",
        limiter=TokenBucket.within(per_minute, 60, clock=time.monotonic, sleep=time.sleep),
        breaker=CircuitBreaker("match-trader", time.monotonic, failure_threshold=failure_threshold),
        sleep=time.sleep,
        retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=65.0),
    )


@pytest.fixture()
def match_trader(fake_match_trader: FakeMatchTrader, platform_time: FakeTime) -> MatchTraderPlatform:
    return match_trader_adapter(fake_match_trader, platform_time)
