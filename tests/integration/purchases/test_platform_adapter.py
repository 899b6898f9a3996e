"""The accounts part of the trading-platform port as provisioning uses it: the same contract for the
in-memory fake and for the Match-Trader adapter against the fake Broker API; then Match-Trader's rate limit,
retries and circuit breaker. (Every port operation, on every platform: tests/contract/platforms.)"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
from propdesk.platforms.port import NewAccount, PlatformUnavailableError, TradingAccess
from propdesk.purchases.ports import PlatformAccounts

from fakes.match_trader import FakeMatchTrader
from tests.doubles.purchases import FakePlatform
from tests.doubles.timing import FakeTime
from tests.integration.purchases.conftest import match_trader_adapter

REQUEST = NewAccount(
    "propdesk:ord_1", "ada@example.com", "Ada", "Lovelace", "USD", Decimal(100000), "challenge-2step", 1
)


@pytest.fixture(params=["in-memory fake", "match-trader adapter"])
def platform(
    request: pytest.FixtureRequest, fake_match_trader: FakeMatchTrader, platform_time: FakeTime
) -> PlatformAccounts:
    if request.param == "in-memory fake":
        return FakePlatform()
    return match_trader_adapter(fake_match_trader, platform_time)


def test_an_account_is_found_by_its_reference_once_created(platform: PlatformAccounts) -> None:
    assert platform.find_account(REQUEST.reference, REQUEST.email) is None
    created = platform.create_account(REQUEST)
    assert created.ref.login and created.ref.platform_account_id
    found = platform.find_account(REQUEST.reference, REQUEST.email)
    assert found is not None and found.ref.platform_account_id == created.ref.platform_account_id
    assert platform.find_account("propdesk:other", REQUEST.email) is None


def test_a_new_platform_user_gets_a_password_an_existing_one_does_not(platform: PlatformAccounts) -> None:
    first = platform.create_account(REQUEST)
    second = platform.create_account(
        NewAccount("propdesk:ord_2", REQUEST.email, "Ada", "L", "USD", Decimal(100000), "challenge-2step")
    )
    assert first.password
    assert second.password is None
    assert second.ref.login != first.ref.login


def test_trading_can_be_disabled_and_enabled(platform: PlatformAccounts) -> None:
    created = platform.create_account(REQUEST)
    platform.set_access(created.ref, TradingAccess.DISABLED)
    platform.set_access(created.ref, TradingAccess.ENABLED)


# ---- Match-Trader specifics ----


def test_the_prop_account_is_created_under_the_user_with_our_reference(
    match_trader: MatchTraderPlatform, fake_match_trader: FakeMatchTrader
) -> None:
    created = match_trader.create_account(REQUEST)
    (account,) = fake_match_trader.accounts_named(REQUEST.reference)
    assert str(account["login"]) == created.ref.login
    assert account["challengeDetails"] == {"challengeId": "challenge-2step", "phaseStep": 1}
    assert account["status"] == "ACTIVE_PARTICIPATING_IN_CHALLENGE"
    match_trader.set_access(created.ref, TradingAccess.DISABLED)
    assert account["status"] == "LOCKED_FAILED_CHALLENGE"


def test_an_email_in_a_path_is_percent_encoded(
    match_trader: MatchTraderPlatform, fake_match_trader: FakeMatchTrader
) -> None:
    match_trader.create_account(
        NewAccount(
            "propdesk:ord_3", "ada+prop/1@example.com", "Ada", "L", "USD", Decimal(1), "challenge-2step"
        )
    )
    (looked_up,) = [r.path for r in fake_match_trader.requests if r.path.startswith("/v1/accounts/by-email/")]
    assert looked_up == "/v1/accounts/by-email/ada%2Bprop%2F1%40example.com"
    assert "ada+prop/1@example.com" in fake_match_trader.users


def test_transient_failures_are_retried_with_backoff(
    match_trader: MatchTraderPlatform, fake_match_trader: FakeMatchTrader, platform_time: FakeTime
) -> None:
    fake_match_trader.fail_next(2, 503)
    assert match_trader.find_account(REQUEST.reference, REQUEST.email) is None
    assert len(platform_time.sleeps) == 2


def test_the_rate_limit_is_respected_by_our_limiter(
    fake_match_trader: FakeMatchTrader, platform_time: FakeTime
) -> None:
    adapter = match_trader_adapter(fake_match_trader, platform_time, per_minute=500)
    for _ in range(560):
        adapter.find_account(REQUEST.reference, REQUEST.email)
    assert fake_match_trader.rate_limited == 0  # the fake counts every sliding minute
    assert platform_time.now - 1000.0 >= 60 * (560 - 50) / 450 - 1  # burst 50, then 450 a minute


def test_a_429_is_retried_after_the_servers_retry_after(
    fake_match_trader: FakeMatchTrader, platform_time: FakeTime
) -> None:
    fake_match_trader.requests_per_minute = 3
    adapter = match_trader_adapter(fake_match_trader, platform_time, per_minute=6000)
    for _ in range(4):
        adapter.find_account(REQUEST.reference, REQUEST.email)
    assert fake_match_trader.rate_limited == 1
    assert max(platform_time.sleeps) >= 1


def test_the_breaker_fails_fast_while_the_platform_is_down_and_recovers(
    fake_match_trader: FakeMatchTrader, platform_time: FakeTime
) -> None:
    adapter = match_trader_adapter(fake_match_trader, platform_time, failure_threshold=2)
    fake_match_trader.down = True
    call: Callable[[], object] = lambda: adapter.find_account(REQUEST.reference, REQUEST.email)  # noqa: E731
    for _ in range(2):
        with pytest.raises(PlatformUnavailableError):
            call()
    before = len(fake_match_trader.requests)
    with pytest.raises(PlatformUnavailableError, match="not calling it"):
        call()
    assert len(fake_match_trader.requests) == before  # failed fast: no request sent
    fake_match_trader.down = False
    platform_time.now += 31
    assert call() is None
