"""cTrader under the contract: the real adapter (WebServices over HTTP, the Open API over a WebSocket) against
`fakes.ctrader.FakeCTrader`. Reads go over the socket, so the transport levers act there: an injected
status becomes the Open API error code that means the same (4xx: `INVALID_REQUEST`, 5xx:
`CH_SERVER_NOT_REACHABLE`), a rate limit answers `REQUEST_FREQUENCY_EXCEEDED` with `retryAfter`, and the
requests counted are both APIs' (the Open API handshake and heartbeats apart)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from propdesk.adapters.platforms.ctrader import CTraderPlatform, CTraderSettings
from propdesk.adapters.platforms.ctrader_session import (
    ApplicationCredentials,
    InMemoryTokenStore,
    OAuthTokens,
    OpenApiSession,
    SessionSettings,
)
from propdesk.adapters.platforms.ctrader_webservices import WebServicesClient
from propdesk.adapters.platforms.http import PlatformHttp
from propdesk.platforms.port import PlatformUnavailableError
from propdesk.platforms.symbols import default_mapping
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket

from fakes.ctrader import FakeCTrader
from fakes.market import ManualClock, Market
from tests.contract.platforms.harness import CONTRACT_RESILIENCE, HttpHarness
from tests.doubles.timing import FakeTime

SESSION = SessionSettings(heartbeat_interval=5.0, heartbeat_timeout=30.0, request_timeout=3.0, poll=0.05)


class CTraderHarness(HttpHarness):
    create_pattern = "/v2/webserv/traders"
    balance_pattern = r"/v2/webserv/traders/\d+/changebalance"
    fake: FakeCTrader

    def fail_next(self, count: int, status: int) -> None:
        code = (
            "CH_SERVER_NOT_REACHABLE"
            if status >= 500
            else "REQUEST_FREQUENCY_EXCEEDED"
            if status == 429
            else "INVALID_REQUEST"
        )
        self.fake.fail_next_requests(count, code)

    def requests_sent(self) -> int:
        return len(self.fake.requests) + self.fake.socket_requests


def ctrader_adapter(
    fake: FakeCTrader, fake_time: FakeTime, wall: ManualClock, session: SessionSettings = SESSION
) -> CTraderPlatform:
    resilience = CONTRACT_RESILIENCE

    def breaker(name: str) -> CircuitBreaker:
        return CircuitBreaker(
            name,
            fake_time.monotonic,
            failure_threshold=resilience.failure_threshold,
            reset_timeout=resilience.reset_timeout,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
        )

    def bucket(limit: int, per: float) -> TokenBucket:
        return TokenBucket.within(limit, per, fake_time.monotonic, fake_time.sleep)

    http = PlatformHttp(
        "cTrader WebServices",
        fake.url,
        bucket(600, 60.0),
        breaker("ctrader-webservices"),
        fake_time.sleep,
        retry=resilience.retry,
        timeout=resilience.timeout,
    )
    webservices = WebServicesClient(http, lambda: fake.manager_token)
    tokens = InMemoryTokenStore(OAuthTokens(fake.access_token, fake.refresh_token))

    def open_api() -> OpenApiSession:
        credentials = ApplicationCredentials(fake.client_id, fake.client_secret)
        return OpenApiSession(
            fake.ws_url, lambda: credentials, tokens, bucket(50, 1.0), bucket(5, 1.0), session
        )

    return CTraderPlatform(
        CTraderSettings(
            broker_name="PROPDESK", server="PropDesk-cTrader", environment="demo", fill_timeout=5.0
        ),
        webservices,
        open_api,
        default_mapping("ctrader"),
        clock=wall,
        sleep=fake_time.sleep,
        breaker=breaker("ctrader-open-api"),
        retry=resilience.retry,
    )


@contextmanager
def ctrader_harness() -> Iterator[CTraderHarness]:
    fake_time, wall = FakeTime(1000.0), ManualClock()
    market = Market(now=wall.now)
    fake = FakeCTrader(market, clock=fake_time.monotonic)
    fake.start()
    platform = ctrader_adapter(fake, fake_time, wall)
    try:
        yield CTraderHarness("ctrader", platform, fake, market, fake_time, wall, group="challenge-100k")
    finally:
        if "session" in platform.__dict__:
            platform.session.close()
        fake.stop()
