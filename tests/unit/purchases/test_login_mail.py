"""The platform login reaches the trader by e-mail, once per account: with the one-time password when the
platform has just created the user, or with how to set a password (the platform's reset) when the password is
gone; and no password is ever written to a table, an event or a log line."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import timedelta

import pytest
from propdesk.purchases.fulfilment import ProvisioningPendingError, account_id_for

from tests.unit.purchases.builders import T0
from tests.unit.purchases.purchase_world import World, session_paid

PASSWORD = "pw"  # the fake platform's one-time password for a new user


def paid_order(world: World, trader_id: str = "trader-1") -> str:
    order_id = world.buy(trader_id).order.order_id
    world.deliver(session_paid(order_id, f"evt_paid_{order_id}"))
    return order_id


def test_the_login_email_carries_server_login_and_the_one_time_password() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()

    order = world.store.orders[order_id]
    ((to, mail),) = world.email.sent
    assert to == "trader-1@example.com"
    assert "Server: Fake-Demo" in mail.text
    assert f"Login: {order.platform_login}" in mail.text
    assert f"One-time password: {PASSWORD}" in mail.text
    assert "choose your own when you first log in" in mail.text
    assert account_id_for(order_id) in mail.subject


def test_the_login_is_kept_for_the_api_without_a_password() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()

    login = world.logins.logins[account_id_for(order_id)]
    assert (login.platform, login.server, login.login) == (
        "match-trader",
        "Fake-Demo",
        world.store.orders[order_id].platform_login,
    )


def test_redelivered_completions_mail_the_login_once() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()
    for minutes in range(1, 4):
        world.fulfilment.provision(order_id, T0 + timedelta(minutes=minutes))
    assert world.email.templates() == ["platform_credentials"]


def test_an_attempt_that_died_before_mailing_is_followed_by_a_mail_on_setting_a_password() -> None:
    world = World()
    order_id = paid_order(world)

    def die(to: str, content: object) -> str:
        raise ConnectionError("the worker died here")

    real_send = world.email.send
    world.email.send = die  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        world.fulfilment.provision(order_id, T0)  # the platform created the user; the password died with it
    world.email.send = real_send  # type: ignore[method-assign]
    world.fulfilment.provision(order_id, T0 + timedelta(minutes=3))  # the lease expired: the retry

    assert world.platform.created == 1
    ((_, mail),) = world.email.sent
    assert "One-time password" not in mail.text
    assert 'set one with "Forgot password" at https://trade.example/login' in mail.text


def test_while_the_mail_service_is_down_the_account_opens_and_the_login_mail_waits_for_a_retry() -> None:
    world = World()
    order_id = paid_order(world)
    world.email.down = True

    with pytest.raises(ProvisioningPendingError, match="login is not mailed yet"):
        world.fulfilment.provision(order_id, T0)
    assert world.store.orders[order_id].status == "provisioned"
    assert world.email.sent == []

    world.email.down = False
    world.fulfilment.provision(order_id, T0 + timedelta(minutes=1))
    ((_, mail),) = world.email.sent
    assert "One-time password" not in mail.text  # the password was not kept to try again
    assert "Forgot password" in mail.text
    assert world.platform.created == 1


def test_a_trader_who_already_has_a_platform_user_is_told_to_use_or_reset_that_password() -> None:
    world = World()
    first, second = paid_order(world), paid_order(world)
    world.run_bus()

    by_account = {mail.subject.rsplit(" ", 1)[-1]: mail for _, mail in world.email.sent}
    assert "One-time password" in by_account[account_id_for(first)].text
    assert "Use the Match-Trader password you already have" in by_account[account_id_for(second)].text


def test_no_password_reaches_a_table_an_event_or_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    world = World()
    original_create = world.platform.create_account

    def create_with_a_real_looking_password(request: object) -> object:
        created = original_create(request)  # type: ignore[arg-type]
        return dataclasses.replace(created, password="Sup3r-Secret-One-Time")  # type: ignore[type-var]

    world.platform.create_account = create_with_a_real_looking_password  # type: ignore[method-assign]
    caplog.set_level(logging.DEBUG)
    order_id = paid_order(world)
    world.run_bus()

    ((_, mail),) = world.email.sent
    assert "Sup3r-Secret-One-Time" in mail.text  # it reached the trader, and nothing else:
    stored = repr(world.store.orders) + repr(world.store.history(order_id)) + repr(world.accounts.accounts)
    stored += repr(world.logins.logins) + repr(world.marks.states)
    events = json.dumps([event.model_dump(mode="json") for event in world.publisher.published])
    assert "Sup3r-Secret-One-Time" not in stored
    assert "Sup3r-Secret-One-Time" not in events
    assert "Sup3r-Secret-One-Time" not in caplog.text
