"""MT5 through its bridge: every request signed over method, path, query and body within five minutes; the
bridge's idempotency (by our reference, by `Idempotency-Key`) making a repeated or replayed command change
nothing; a found account given a fresh password; deals read page by page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from propdesk.platforms.port import NewAccount, PlatformRejectedError

from fakes.market import ManualClock, Market
from fakes.mt5_bridge import FakeMt5Bridge
from tests.contract.platforms.harness_mt5_bridge import mt5_bridge_adapter
from tests.doubles.timing import FakeTime

REQUEST = NewAccount(
    "propdesk:ord_5", "ada@example.com", "Ada", "Lovelace", "USD", Decimal(100000), "challenge-100k"
)


class World:
    def __init__(self) -> None:
        self.time, self.wall = FakeTime(1000.0), ManualClock()
        self.market = Market(now=self.wall.now)
        self.fake = FakeMt5Bridge(self.market, clock=self.time.monotonic)
        self.fake.start()
        self.platform = mt5_bridge_adapter(self.fake, self.time, self.wall)


@pytest.fixture()
def world() -> Iterator[World]:
    built = World()
    yield built
    built.fake.stop()


def test_a_request_signed_with_another_secret_is_refused_and_does_nothing(world: World) -> None:
    impostor = mt5_bridge_adapter(world.fake, world.time, world.wall, secret="not-the-bridges-secret")
    with pytest.raises(PlatformRejectedError, match="401"):
        impostor.create_account(REQUEST)
    assert world.fake.refused == ["digest_mismatch"]
    assert world.market.by_reference(REQUEST.reference) == []


def test_a_request_signed_more_than_five_minutes_off_the_bridges_clock_is_refused(world: World) -> None:
    late = ManualClock(world.wall.now() - timedelta(minutes=6))
    platform = mt5_bridge_adapter(world.fake, world.time, late)
    with pytest.raises(PlatformRejectedError):
        platform.find_account(REQUEST.reference, REQUEST.email)
    assert world.fake.refused == ["timestamp_outside_tolerance"]


def test_a_signed_request_replayed_as_sent_changes_nothing_and_altered_is_refused(world: World) -> None:
    account = world.platform.create_account(REQUEST).ref
    operation = world.platform.adjust_balance(account, Decimal("-500.00"), "payout:po_1", "payout po_1")
    sent = next(r for r in reversed(world.fake.requests) if r.path.endswith("/balance-operations"))
    kept = ("x-bridge-key", "x-propdesk-signature", "idempotency-key", "content-type")
    headers = {name: value for name, value in sent.headers.items() if name in kept}
    replay = httpx.post(world.fake.url + sent.path, content=sent.body, headers=headers)
    assert replay.status_code == 201 and replay.json()["operation_id"] == operation
    altered = sent.body.replace(b"-500.00", b"-5000.00")
    forged = httpx.post(world.fake.url + sent.path, content=altered, headers=headers)
    assert forged.status_code == 401
    assert world.platform.figures(account).balance == Decimal("99500.00")


def test_opening_an_account_again_answers_the_same_login_with_a_fresh_password(world: World) -> None:
    first = world.platform.create_account(REQUEST)
    second = world.platform.create_account(REQUEST)
    assert second.ref == first.ref and len(world.market.by_reference(REQUEST.reference)) == 1
    assert first.password and second.password and second.password != first.password
    assert world.fake.password_matches(second.ref.login, second.password)
    assert not world.fake.password_matches(first.ref.login, first.password)


def test_an_account_opened_with_its_deposit_shows_no_deposit_among_its_deals(world: World) -> None:
    start = world.wall.now()
    account = world.platform.create_account(REQUEST).ref
    assert world.platform.figures(account).balance == Decimal(100000)
    assert world.platform.deals(account, start, start + timedelta(minutes=1)) == []


def test_a_group_in_another_currency_is_refused(world: World) -> None:
    with pytest.raises(PlatformRejectedError, match="CURRENCY_MISMATCH"):
        world.platform.create_account(
            NewAccount("propdesk:ord_6", "b@example.com", "B", "C", "USD", Decimal(50000), "eur-50k")
        )


def test_a_liquidation_whose_answer_was_lost_answers_the_closes_it_made(world: World) -> None:
    account = world.platform.create_account(REQUEST).ref
    first = world.market.open_position(account.login, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
    second = world.market.open_position(account.login, "XAUUSD", "sell", Decimal("0.1"), Decimal("2000.00"))
    world.fake.fail_after_next("POST", r"/v1/accounts/\d+/close-positions", 503)
    closes = world.platform.close_all_positions(account)
    assert {deal.position_id for deal in closes} == {first.position_id, second.position_id}
    assert world.platform.positions(account) == []
    assert world.platform.close_all_positions(account) == []  # a new liquidation: nothing left


def test_deals_are_read_page_by_page(world: World) -> None:
    world.fake.page_size = 3
    account = world.platform.create_account(REQUEST).ref
    start = world.wall.now()
    for _ in range(4):
        position = world.market.open_position(
            account.login, "GBPUSD", "sell", Decimal("0.5"), Decimal("1.27")
        )
        world.wall.advance(timedelta(seconds=1))
        world.market.close_position(
            account.login, position.position_id, Decimal("1.26"), reason="take_profit"
        )
        world.wall.advance(timedelta(seconds=1))
    deals = world.platform.deals(account, start, world.wall.now())
    assert [d.kind for d in deals] == ["open", "close"] * 4
    assert {d.reason for d in deals if d.kind == "close"} == {"take_profit"}
    assert {(d.symbol, d.side) for d in deals} == {("GBPUSD", "sell")}
