"""DXtrade's session (one login, a new one before it times out and after a 401) and the idempotence its
own codes give: an account code and a cash-operation id derived from our reference, closing orders named
after their positions."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.dxtrade import _timeout_seconds, account_code_for, operation_id_for
from propdesk.platforms.port import AccountRef, NewAccount

from tests.contract.platforms.harness_dxtrade import DXtradeHarness, dxtrade_harness

REQUEST = NewAccount("propdesk:ord_7", "ada@example.com", "Ada", "L", "USD", Decimal(25000), "challenge-25k")


@pytest.fixture()
def harness() -> Iterator[DXtradeHarness]:
    with dxtrade_harness() as built:
        yield built


def opened(harness: DXtradeHarness) -> AccountRef:
    return harness.platform.create_account(REQUEST).ref


def test_one_login_serves_every_call_while_the_session_lives(harness: DXtradeHarness) -> None:
    account = opened(harness)
    for _ in range(3):
        harness.platform.figures(account)
    assert harness.fake.logins == 1  # type: ignore[attr-defined]
    (login,) = [r for r in harness.fake.requests if r.path.endswith("/login")]
    assert login.json() == {"username": "propdesk-api", "domain": "default", "password": "dx-fake-password"}


def test_a_new_session_is_opened_before_the_old_one_times_out(harness: DXtradeHarness) -> None:
    account = opened(harness)
    harness.time.now += 1800 - 30  # inside the one-minute margin
    harness.platform.figures(account)
    assert harness.fake.logins == 2  # type: ignore[attr-defined]


def test_a_401_logs_in_again_and_the_call_goes_through(harness: DXtradeHarness) -> None:
    account = opened(harness)
    harness.fake.end_sessions()  # type: ignore[attr-defined]
    assert harness.platform.figures(account).balance == Decimal(25000)
    assert harness.fake.logins == 2  # type: ignore[attr-defined]
    (auth,) = {r.header("authorization")[:6] for r in harness.fake.requests if r.header("authorization")}
    assert auth == "DXAPI "


def test_opening_the_same_reference_twice_opens_one_account(harness: DXtradeHarness) -> None:
    first = harness.platform.create_account(REQUEST)
    again = harness.platform.create_account(REQUEST)
    assert again.ref == first.ref and again.password is None
    assert first.ref.login == account_code_for(REQUEST.reference)
    assert first.ref.platform_account_id == f"default:{account_code_for(REQUEST.reference)}"
    assert len(harness.market.by_reference(REQUEST.reference)) == 1


def test_liquidation_orders_are_named_after_their_positions(harness: DXtradeHarness) -> None:
    account = opened(harness)
    book = harness.book(account)
    position = harness.market.open_position(book.account_id, "EURUSD", "buy", Decimal("0.5"), Decimal("1.1"))
    harness.platform.close_all_positions(account)
    (order,) = [r.json() for r in harness.fake.requests if r.path.endswith("/orders") and r.method == "POST"]
    assert order["orderCode"] == f"pd-close-{position.position_id}"
    assert (order["instrument"], order["quantity"], order["side"]) == ("EUR/USD", 50000, "SELL")


def test_cash_operation_ids_are_our_references_made_safe() -> None:
    assert operation_id_for("payout:po_1") == "payout-po-1"
    long = operation_id_for("payout:" + "x" * 100)
    assert len(long) == 64 and long != operation_id_for("payout:" + "x" * 99)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1800", 1800.0),
        ("00:30:00", 1800.0),
        ("PT30M", 1800.0),
        ("PT1H", 3600.0),
        ("", 1800.0),
        ("soon", 1800.0),
    ],
)
def test_the_session_timeout_is_read_in_any_of_its_forms(text: str, seconds: float) -> None:
    assert _timeout_seconds(text) == seconds
