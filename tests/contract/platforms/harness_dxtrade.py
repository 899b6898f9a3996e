"""DXtrade's adapter against the fake (trading and administrative APIs), under the contract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from propdesk.adapters.platforms.dxtrade import DXtradePlatform
from propdesk.platforms.port import AccountRef, PlatformUnavailableError
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket

from fakes.dxtrade import FakeDXtrade
from fakes.market import FakeAccount, ManualClock, Market
from tests.contract.platforms.harness import CONTRACT_RESILIENCE, HttpHarness
from tests.doubles.timing import FakeTime


class DXtradeHarness(HttpHarness):
    create_pattern = "/api/register/client/[^/]+/[^/]+/account"
    balance_method = "PUT"
    balance_pattern = "/api/register/account/[^/]+/[^/]+/(deposit|withdrawal)/[^/]+"

    def book(self, account: AccountRef) -> FakeAccount:
        fake: FakeDXtrade = self.fake  # type: ignore[assignment]
        found = self.market.account(fake.accounts[account.login]["book"])
        assert found is not None
        return found


def dxtrade_for(fake: FakeDXtrade, time: FakeTime, wall: ManualClock) -> DXtradePlatform:
    settings = CONTRACT_RESILIENCE
    return DXtradePlatform(
        trading_url=fake.trading_url,
        admin_url=fake.admin_url,
        credentials=lambda: dict(fake.login),
        server="DXtrade-Demo",
        limiter=TokenBucket.within(600, 60, clock=time.monotonic, sleep=time.sleep),
        breaker=CircuitBreaker(
            "dxtrade",
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
def dxtrade_harness() -> Iterator[DXtradeHarness]:
    time, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now, first_login=900001)
    fake = FakeDXtrade(clock=time.monotonic, market=market)
    fake.start()
    try:
        platform = dxtrade_for(fake, time, wall)
        yield DXtradeHarness("dxtrade", platform, fake, market, time, wall, group="challenge-100k")
    finally:
        fake.stop()
