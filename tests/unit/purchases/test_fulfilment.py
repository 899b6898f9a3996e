"""Provisioning: one account per paid order, pinned to the version bought, whatever fails on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from propdesk.purchases.fulfilment import ProvisioningPendingError, account_id_for

from tests.unit.purchases.builders import T0
from tests.unit.purchases.purchase_world import World, dispute, refunded, session_paid


def paid_order(world: World) -> str:
    order_id = world.buy().order.order_id
    world.deliver(session_paid(order_id, f"evt_paid_{order_id}"))
    return order_id


def test_a_paid_order_gets_one_account_pinned_to_its_program_version() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()
    order = world.store.orders[order_id]
    assert order.status == "provisioned"
    account = world.accounts.accounts[account_id_for(order_id)]
    assert (account.program_id, account.program_version, account.status) == (order.program_id, 3, "active")
    assert world.platform.created == 1
    (provisioned,) = world.publisher.of_type("account.provisioned")
    assert provisioned.model_dump()["login"] == order.platform_login
    ((to, mail),) = world.email.sent
    assert (to, mail.template) == (order.email, "platform_credentials")
    assert [t.to_status for t in world.store.history(order_id)] == ["paid", "provisioned"]


def test_the_provisioned_account_knows_where_it_lives_on_the_platform_without_its_password() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()
    order = world.store.orders[order_id]
    account = world.accounts.accounts[account_id_for(order_id)]
    assert account.platform is not None
    assert (account.platform.platform, account.platform.server) == ("match-trader", world.platform.server)
    assert account.platform.platform_account_id == order.platform_account_id
    assert account.platform.login == order.platform_login
    on_platform = world.platform.accounts[account.platform.platform_account_id]
    assert account.platform.group == on_platform["challenge_id"]  # the program's product on the platform
    assert "pw" not in repr(account)


def test_redelivered_completions_do_not_create_a_second_account() -> None:
    world = World()
    order_id = paid_order(world)
    for _ in range(5):
        world.fulfilment.provision(order_id, T0)
    assert world.platform.created == 1
    assert len(world.accounts.accounts) == 1


def test_while_the_platform_is_down_the_order_stays_paid_and_alerts_after_three_attempts() -> None:
    world = World()
    order_id = paid_order(world)
    world.platform.fail_next = 100
    for attempt in range(1, 4):
        with pytest.raises(ProvisioningPendingError):
            world.fulfilment.provision(order_id, T0 + timedelta(minutes=attempt))
    order = world.store.orders[order_id]
    assert (order.status, order.provisioning_attempts) == ("paid", 3)
    assert order.provisioning_error == "fake platform down"
    (alert,) = world.publisher.of_type("firm.alert")
    assert alert.model_dump()["severity"] == "critical"
    world.platform.fail_next = 0
    world.fulfilment.provision(order_id, T0 + timedelta(minutes=5))
    assert world.store.orders[order_id].status == "provisioned"


def test_an_attempt_that_died_after_creating_the_account_is_completed_not_repeated() -> None:
    world = World()
    order_id = paid_order(world)
    real_open = world.accounts.open

    def crash_after_the_platform(account: object) -> bool:
        raise ConnectionError("the worker died here")

    world.accounts.open = crash_after_the_platform  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        world.fulfilment.provision(order_id, T0)  # attempt 1 created the account, then died (lease held)
    world.accounts.open = real_open  # type: ignore[method-assign]
    world.fulfilment.provision(order_id, T0 + timedelta(minutes=3))  # the lease expired: attempt 2
    assert world.platform.created == 1
    assert world.store.orders[order_id].provisioning_attempts == 2
    assert world.store.orders[order_id].status == "provisioned"


def test_a_worker_holding_the_lease_keeps_others_out_until_it_expires() -> None:
    world = World()
    order_id = paid_order(world)
    world.platform.fail_next = 1
    with pytest.raises(ProvisioningPendingError):
        world.fulfilment.provision(order_id, T0)  # failed: the lease is released
    order = world.store.orders[order_id]
    from dataclasses import replace

    held = replace(order, provisioning_lease_until=T0 + timedelta(minutes=2), revision=order.revision + 1)
    world.store.put(held, order.revision)
    with pytest.raises(ProvisioningPendingError, match="another worker"):
        world.fulfilment.provision(order_id, T0 + timedelta(minutes=1))
    world.fulfilment.provision(order_id, T0 + timedelta(minutes=3))
    assert world.platform.created == 1


def test_a_refund_disables_the_account_on_the_platform_and_here() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()
    world.deliver(refunded(order_id, "evt_r"))
    world.run_bus()
    account = world.accounts.accounts[account_id_for(order_id)]
    assert account.status == "disabled"
    assert world.platform.accounts["pa_1"]["enabled"] is False


def test_a_dispute_suspends_flags_and_alerts_and_winning_it_reinstates() -> None:
    world = World()
    order_id = paid_order(world)
    world.run_bus()
    world.deliver(dispute(order_id, "evt_d1"))
    world.run_bus()
    account_id = account_id_for(order_id)
    assert world.accounts.accounts[account_id].status == "suspended"
    assert world.reviews.flags[0][:2] == ("trader-1", order_id)
    assert world.publisher.of_type("firm.alert")
    world.deliver(dispute(order_id, "evt_d2", closed="won"))
    world.run_bus()
    assert world.accounts.accounts[account_id].status == "active"
    assert world.platform.accounts["pa_1"]["enabled"] is True


def test_an_account_created_while_the_refund_arrived_is_disabled_at_once() -> None:
    world = World()
    order_id = paid_order(world)
    world.deliver(refunded(order_id, "evt_r"))  # refund lands before the worker runs
    from propdesk.purchases.orders import record_provisioned

    order = world.store.orders[order_id]
    assert record_provisioned(order, "x", "c", T0).order.status == "refunded"
    world.run_bus()
    assert world.accounts.accounts == {}  # the completed message found the order refunded: nothing created
