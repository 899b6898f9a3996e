"""TradeLocker's JWT session: one sign-in, tokens refreshed before they expire and once after a 401, a new
sign-in when the refresh token is refused; and what its row-shaped answers become."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from propdesk.platforms.port import AccountRef, NewAccount, PlatformRejectedError

from tests.contract.platforms.harness_tradelocker import (
    TradeLockerHarness,
    tradelocker_for,
    tradelocker_harness,
)


@pytest.fixture()
def harness() -> Iterator[TradeLockerHarness]:
    with tradelocker_harness() as built:
        yield built


def opened(harness: TradeLockerHarness) -> AccountRef:
    request = NewAccount(
        "propdesk:ord_9", "ada@example.com", "Ada", "L", "USD", Decimal(50000), "challenge-50k"
    )
    return harness.platform.create_account(request).ref


def test_one_sign_in_serves_every_call_while_the_token_lives(harness: TradeLockerHarness) -> None:
    account = opened(harness)
    for _ in range(3):
        harness.platform.figures(account)
    assert harness.fake.sign_ins == 1  # type: ignore[attr-defined]
    assert harness.fake.refreshes == 0  # type: ignore[attr-defined]


def test_the_access_token_is_refreshed_before_it_expires(harness: TradeLockerHarness) -> None:
    account = opened(harness)
    harness.platform.figures(account)
    harness.time.now += 3600 - 200  # within the five-minute margin
    harness.platform.figures(account)
    assert (harness.fake.sign_ins, harness.fake.refreshes) == (1, 1)  # type: ignore[attr-defined]


def test_a_401_refreshes_the_token_once_and_the_call_goes_through(harness: TradeLockerHarness) -> None:
    account = opened(harness)
    harness.platform.figures(account)
    harness.fake.expire_access_tokens()  # type: ignore[attr-defined]
    assert harness.platform.figures(account).balance == Decimal(50000)
    assert (harness.fake.sign_ins, harness.fake.refreshes) == (1, 1)  # type: ignore[attr-defined]


def test_a_refused_refresh_token_means_signing_in_again(harness: TradeLockerHarness) -> None:
    account = opened(harness)
    harness.platform.figures(account)
    harness.time.now += 8 * 86400  # both tokens expired
    harness.fake.requests_per_minute = 10**6  # type: ignore[attr-defined]
    harness.platform.figures(account)
    assert harness.fake.sign_ins == 2  # type: ignore[attr-defined]


def test_wrong_service_credentials_are_a_refusal(harness: TradeLockerHarness) -> None:
    account = opened(harness)
    stale = tradelocker_for(harness.fake, harness.time, harness.wall)  # type: ignore[arg-type]
    harness.fake.login = {**harness.fake.login, "password": "rotated"}  # type: ignore[attr-defined]
    with pytest.raises(PlatformRejectedError, match="401"):
        stale.figures(account)


def test_account_routes_carry_the_accounts_acc_num(harness: TradeLockerHarness) -> None:
    account = opened(harness)
    harness.platform.positions(account)
    (request,) = [r for r in harness.fake.requests if r.path.endswith("/positions")]
    assert request.header("accnum") == "1"
    assert request.header(
        "authorization",
    ).startswith("Bearer ")  # type: ignore[union-attr]
