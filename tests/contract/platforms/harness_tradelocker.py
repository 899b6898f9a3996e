"""TradeLocker's adapter against the fake (public API and Brand API), under the contract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from propdesk.adapters.platforms.tradelocker import TradeLockerPlatform
from propdesk.platforms.port import PlatformUnavailableError
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket

from fakes.market import ManualClock, Market
from fakes.tradelocker import FakeTradeLocker
from tests.contract.platforms.harness import CONTRACT_RESILIENCE, HttpHarness
from tests.doubles.timing import FakeTime


class TradeLockerHarness(HttpHarness):
    create_pattern = "/brand/v1/accounts"
    balance_pattern = r"/brand/v1/accounts/\d+/balance"


def tradelocker_for(fake: FakeTradeLocker, time: FakeTime, wall: ManualClock) -> TradeLockerPlatform:
    settings = CONTRACT_RESILIENCE
    credentials = {**fake.login, "brand_api_key": fake.brand_api_key}
    return TradeLockerPlatform(
        trading_url=fake.trading_url,
        brand_url=fake.brand_url,
        credentials=lambda: credentials,
        server="PROPDESK",
        limiter=TokenBucket.within(600, 60, clock=time.monotonic, sleep=time.sleep),
        breaker=CircuitBreaker(
            "tradelocker",
            time.monotonic,
            failure_threshold=settings.failure_threshold,
            reset_timeout=settings.reset_timeout,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
        ),
        sleep=time.sleep,
        retry=settings.retry,
        timeout=settings.timeout,
        clock=wall.now,
        epoch=time.monotonic,
    )


@contextmanager
def tradelocker_harness() -> Iterator[TradeLockerHarness]:
    time, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now)
    fake = FakeTradeLocker(clock=time.monotonic, market=market)
    fake.start()
    try:
        platform = tradelocker_for(fake, time, wall)
        yield TradeLockerHarness("tradelocker", platform, fake, market, time, wall, group="challenge-100k")
    finally:
        fake.stop()
