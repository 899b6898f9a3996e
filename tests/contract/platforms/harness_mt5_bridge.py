"""MetaTrader 5 through its bridge under the contract: the real adapter (signed requests over the platforms'
shared transport) against `fakes.mt5_bridge.FakeMt5Bridge`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from propdesk.adapters.platforms.http import PlatformHttp
from propdesk.adapters.platforms.mt5_bridge import (
    BridgeCredentials,
    Mt5BridgePlatform,
    Mt5BridgeSettings,
    RequestSigner,
)
from propdesk.platforms.port import PlatformUnavailableError
from propdesk.platforms.symbols import default_mapping
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket

from fakes.market import ManualClock, Market
from fakes.mt5_bridge import FakeMt5Bridge
from tests.contract.platforms.harness import CONTRACT_RESILIENCE, HttpHarness
from tests.doubles.timing import FakeTime


class Mt5BridgeHarness(HttpHarness):
    create_pattern = "/v1/accounts"
    balance_pattern = r"/v1/accounts/\d+/balance-operations"


def mt5_bridge_adapter(
    fake: FakeMt5Bridge, fake_time: FakeTime, wall: ManualClock, secret: str | None = None
) -> Mt5BridgePlatform:
    resilience = CONTRACT_RESILIENCE
    http = PlatformHttp(
        "MT5 bridge",
        fake.url,
        TokenBucket.within(600, 60.0, fake_time.monotonic, fake_time.sleep),
        CircuitBreaker(
            "mt5-bridge",
            fake_time.monotonic,
            failure_threshold=resilience.failure_threshold,
            reset_timeout=resilience.reset_timeout,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
        ),
        fake_time.sleep,
        retry=resilience.retry,
        timeout=resilience.timeout,
    )
    credentials = BridgeCredentials(fake.key_id, secret if secret is not None else fake.request_secrets[0])
    return Mt5BridgePlatform(
        Mt5BridgeSettings(server=fake.server),
        http,
        RequestSigner(lambda: credentials, wall),
        default_mapping("mt5"),
        clock=wall,
    )


@contextmanager
def mt5_bridge_harness() -> Iterator[Mt5BridgeHarness]:
    fake_time, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now)
    fake = FakeMt5Bridge(market, clock=fake_time.monotonic)
    fake.start()
    try:
        platform = mt5_bridge_adapter(fake, fake_time, wall)
        yield Mt5BridgeHarness("mt5", platform, fake, market, fake_time, wall, group="challenge-100k")
    finally:
        fake.stop()
