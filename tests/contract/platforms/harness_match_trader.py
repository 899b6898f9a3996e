"""Match-Trader's adapter against the fake Broker API, under the contract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
from propdesk.platforms.port import PlatformUnavailableError
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket

from fakes.market import ManualClock, Market
from fakes.match_trader import FakeMatchTrader
from tests.contract.platforms.harness import CONTRACT_RESILIENCE, HttpHarness
from tests.doubles.timing import FakeTime


class MatchTraderHarness(HttpHarness):
    create_pattern = "/v1/prop/accounts"
    balance_pattern = "/v1/(deposits|withdrawals)/manual"


def match_trader_for(fake: FakeMatchTrader, time: FakeTime, wall: ManualClock) -> MatchTraderPlatform:
    settings = CONTRACT_RESILIENCE
    return MatchTraderPlatform(
        base_url=fake.url,
        token=lambda: fake.token,
        server="MatchTrader-Demo",
        limiter=TokenBucket.within(500, 60, clock=time.monotonic, sleep=time.sleep),
        breaker=CircuitBreaker(
            "match-trader",
            time.monotonic,
            failure_threshold=settings.failure_threshold,
            reset_timeout=settings.reset_timeout,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
        ),
        sleep=time.sleep,
        retry=settings.retry,
        timeout=settings.timeout,
        system_uuid="system-demo",
        payment_gateway_uuid="gateway-manual",
        clock=wall.now,
    )


@contextmanager
def match_trader_harness() -> Iterator[MatchTraderHarness]:
    time, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now)
    fake = FakeMatchTrader(clock=time.monotonic, market=market)
    fake.start()
    try:
        platform = match_trader_for(fake, time, wall)
        yield MatchTraderHarness("match-trader", platform, fake, market, time, wall, group="challenge-100k")
    finally:
        fake.stop()
