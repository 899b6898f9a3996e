"""The cTrader Open API session against the fake's JSON WebSocket port: the handshake in its order, heartbeats
both ways, a dropped socket or a silent proxy answered by reconnecting and authorizing again, an expired
token refreshed, answers matched to requests by `clientMsgId`, and the request rate kept under the limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.adapters.platforms.ctrader_session import (
    ApplicationCredentials,
    Disconnected,
    InMemoryTokenStore,
    OAuthTokens,
    OpenApiRejectedError,
    OpenApiSession,
    OpenApiUnavailableError,
    Reconnected,
    SessionEvent,
    SessionSettings,
)
from propdesk.resilience.rate_limiter import TokenBucket

from fakes.ctrader import FakeCTrader
from fakes.market import Market
from tests.doubles.timing import FakeTime

FAST = SessionSettings(heartbeat_interval=0.1, heartbeat_timeout=0.8, request_timeout=3.0, poll=0.02)


@pytest.fixture()
def fake() -> Iterator[FakeCTrader]:
    fake = FakeCTrader(Market(), heartbeat_interval=0.1, client_timeout=1.0)
    fake.start()
    yield fake
    fake.stop()


def linked_account(fake: FakeCTrader, email: str = "ada@example.com") -> tuple[str, int]:
    return fake.open_linked_account(email)


def session_for(
    fake: FakeCTrader,
    settings: SessionSettings = FAST,
    tokens: InMemoryTokenStore | None = None,
    time_source: FakeTime | None = None,
) -> OpenApiSession:
    clock, sleep = (time_source.monotonic, time_source.sleep) if time_source else (time.monotonic, time.sleep)
    store = tokens or InMemoryTokenStore(OAuthTokens(fake.access_token, fake.refresh_token))
    credentials = ApplicationCredentials(fake.client_id, fake.client_secret)
    return OpenApiSession(
        fake.ws_url,
        lambda: credentials,
        store,
        TokenBucket.within(50, 1.0, clock, sleep),
        TokenBucket.within(5, 1.0, clock, sleep),
        settings,
    )


@pytest.fixture()
def sessions() -> Iterator[list[OpenApiSession]]:
    opened: list[OpenApiSession] = []
    yield opened
    for session in opened:
        session.close()


def eventually(condition: Callable[[], bool], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def trader_request(account_id: int) -> tuple[int, dict[str, int]]:
    return wire.TRADER_REQ, {"ctidTraderAccountId": account_id}


def test_the_application_is_authorized_before_the_account_and_nothing_comes_before(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    session = session_for(fake)
    sessions.append(session)
    answer = session.request(*trader_request(account_id))
    assert answer.payload["trader"]["balance"] == 10_000_000
    kinds = [kind for _, kind in fake.received if kind != wire.HEARTBEAT_EVENT]
    assert kinds[:3] == [wire.APPLICATION_AUTH_REQ, wire.ACCOUNT_AUTH_REQ, wire.TRADER_REQ]
    assert kinds.count(wire.ACCOUNT_AUTH_REQ) == 1


def test_wrong_application_credentials_never_get_further_than_the_application_auth(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    session = session_for(fake, SessionSettings(request_timeout=0.5, poll=0.02))
    sessions.append(session)
    fake.client_secret = "rotated-elsewhere"  # the session still sends the old one
    with pytest.raises(OpenApiUnavailableError, match="not connected"):
        session.request(*trader_request(account_id))
    assert {kind for _, kind in fake.received} == {wire.APPLICATION_AUTH_REQ}


def test_heartbeats_both_ways_keep_an_idle_socket_open(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    session = session_for(fake)
    sessions.append(session)
    session.request(*trader_request(account_id))
    time.sleep(2.0)  # twice the fake's patience with a silent client, more than the session's with the proxy
    assert session.handshakes == 1 and fake.connections_opened == 1
    assert sum(1 for _, kind in fake.received if kind == wire.HEARTBEAT_EVENT) >= 5
    assert session.request(*trader_request(account_id)).payload_type == wire.TRADER_RES


def test_a_dropped_socket_reconnects_and_authorizes_the_account_again(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    session = session_for(fake)
    sessions.append(session)
    seen: list[SessionEvent] = []
    session.subscribe(seen.append)
    session.request(*trader_request(account_id))
    fake.drop_connections()
    assert eventually(lambda: session.handshakes == 2 and session.connected)
    second = [kind for number, kind in fake.received if number == 2 and kind != wire.HEARTBEAT_EVENT]
    assert second[:2] == [wire.APPLICATION_AUTH_REQ, wire.ACCOUNT_AUTH_REQ]
    assert session.request(*trader_request(account_id)).payload_type == wire.TRADER_RES
    markers = [type(event) for event in seen if not isinstance(event, wire.Frame)]
    assert markers == [Disconnected, Reconnected]


def test_a_proxy_that_stops_heartbeating_is_taken_for_dead_and_replaced(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    session = session_for(fake)
    sessions.append(session)
    session.request(*trader_request(account_id))
    fake.stop_heartbeats = True
    started = time.monotonic()
    assert eventually(lambda: session.handshakes >= 2, within=3.0)
    assert (
        time.monotonic() - started >= FAST.heartbeat_timeout * 0.9
    )  # not before the silence was long enough
    fake.stop_heartbeats = False
    assert session.request(*trader_request(account_id)).payload_type == wire.TRADER_RES


def test_an_expired_access_token_is_refreshed_stored_and_the_account_authorized_again(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    tokens = InMemoryTokenStore(OAuthTokens(fake.access_token, fake.refresh_token))
    session = session_for(fake, tokens=tokens)
    sessions.append(session)
    session.request(*trader_request(account_id))
    fake.expire_access_token()
    assert eventually(lambda: tokens.refreshed == 1)
    assert tokens.current() == OAuthTokens(fake.access_token, fake.refresh_token)
    assert session.request(*trader_request(account_id)).payload_type == wire.TRADER_RES
    assert wire.REFRESH_TOKEN_REQ in {kind for _, kind in fake.received}


def test_answers_find_their_requests_by_client_message_id_across_threads(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    logins = [linked_account(fake, f"trader{n}@example.com") for n in range(4)]
    for n, (login, _) in enumerate(logins):
        fake.market.accounts[login].balance = Decimal(1000 * (n + 1))
    session = session_for(fake)
    sessions.append(session)
    answers: dict[int, int] = {}

    def ask(account_id: int) -> None:
        for _ in range(5):
            trader = session.request(*trader_request(account_id)).payload["trader"]
            assert trader["ctidTraderAccountId"] == account_id
            answers[account_id] = trader["balance"]

    threads = [threading.Thread(target=ask, args=(account_id,)) for _, account_id in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {account_id: 100_000 * (n + 1) for n, (_, account_id) in enumerate(logins)}


def test_the_request_rate_stays_under_fifty_a_second(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    fake_time = FakeTime(1000.0)
    fake.clock = fake_time.monotonic  # the fake counts in the session's time
    session = session_for(fake, time_source=fake_time)
    sessions.append(session)
    for _ in range(200):
        session.request(*trader_request(account_id))
    assert fake.rate_limited == 0
    assert fake_time.now - 1000.0 >= (200 - 5) / 45 - 0.01  # a burst of 5, then 45 a second


def test_an_error_response_is_raised_for_its_request_only(
    fake: FakeCTrader, sessions: list[OpenApiSession]
) -> None:
    _, account_id = linked_account(fake)
    session = session_for(fake)
    sessions.append(session)
    session.request(*trader_request(account_id))
    fake.fail_next_requests(1, "INVALID_REQUEST")
    with pytest.raises(OpenApiRejectedError) as refused:
        session.request(*trader_request(account_id))
    assert refused.value.code == "INVALID_REQUEST"
    fake.fail_next_requests(1, "REQUEST_FREQUENCY_EXCEEDED")
    with pytest.raises(OpenApiUnavailableError) as limited:
        session.request(*trader_request(account_id))
    assert limited.value.retry_after == 1
    assert session.request(*trader_request(account_id)).payload_type == wire.TRADER_RES
    assert session.handshakes == 1
