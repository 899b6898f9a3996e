"""The payout-rail contract, held by every rail: the Bridge adapter against its fake, the Wise adapter against
its fake, and the in-memory double. One payment per payout id whatever fails; statuses with reasons; webhooks
verified over the raw body with a timestamp tolerance, redelivered after a failure, duplicated and reordered
without changing the outcome."""

from __future__ import annotations

from dataclasses import replace

import pytest
from propdesk.rails.port import (
    FINAL_STATUSES,
    RailStatus,
    RailUnavailableError,
    RailWebhookRejectedError,
    advance,
)

from tests.contract.rails.conftest import World


def folded(world: World, reference: str) -> RailStatus | None:
    status: RailStatus | None = None
    for update in sorted(world.updates, key=lambda u: u.occurred_at):
        if update.reference == reference:
            status = advance(status, update.status)
    return status


def test_a_payment_carries_our_payout_id_and_the_amount(world: World) -> None:
    payment = world.rail.pay(world.order("pay-1", "250.00"))

    assert payment.payout_id == "pay-1"
    assert payment.amount == world.order("pay-1").amount
    assert payment.status in ("pending", "processing")
    assert world.rail.status(payment.reference).reference == payment.reference


def test_paying_the_same_payout_again_returns_the_same_payment(world: World) -> None:
    first = world.rail.pay(world.order("pay-1"))
    again = world.rail.pay(world.order("pay-1"))

    assert again.reference == first.reference
    assert world.payments_at_rail() == 1


def test_a_lost_answer_is_followed_by_a_look_up_not_a_second_payment(world: World) -> None:
    world.lose_next_payment_response()

    payment = world.rail.pay(world.order("pay-1"))

    assert payment.payout_id == "pay-1"
    assert world.payments_at_rail() == 1


def test_when_the_look_up_fails_too_the_next_attempt_still_pays_once(world: World) -> None:
    world.lose_next_payment_response()
    world.fail_next_reads(3)  # every attempt of the look-up fails

    with pytest.raises(RailUnavailableError):
        world.rail.pay(world.order("pay-1"))
    payment = world.rail.pay(world.order("pay-1"))

    assert payment.payout_id == "pay-1"
    assert world.payments_at_rail() == 1


def test_a_rail_that_is_down_is_unavailable_and_nothing_is_paid(world: World) -> None:
    world.fail_next_calls(6)

    with pytest.raises(RailUnavailableError):
        world.rail.pay(world.order("pay-1"))

    assert world.payments_at_rail() == 0


def test_a_payment_can_be_found_by_our_payout_id(world: World) -> None:
    payment = world.rail.pay(world.order("pay-1"))
    since = world.clock.utc()

    found = world.rail.find("pay-1", since)

    assert found is not None and found.reference == payment.reference
    assert world.rail.find("pay-unknown", since) is None


def test_a_settled_payment_is_paid(world: World) -> None:
    payment = world.rail.pay(world.order("pay-1"))

    world.settle(payment.reference)

    assert world.rail.status(payment.reference).status == "paid"


def test_a_failed_payment_says_why(world: World) -> None:
    payment = world.rail.pay(world.order("pay-1"))

    world.fail(payment.reference)
    failed = world.rail.status(payment.reference)

    assert failed.status == "failed"
    assert failed.failure_reason


def test_a_paid_payment_returned_later_ends_returned(world: World) -> None:
    payment = world.rail.pay(world.order("pay-1"))
    world.settle(payment.reference)
    world.deliver()

    world.clock.now += 3 * 86400
    world.return_payment(payment.reference)
    world.deliver()
    now = world.rail.status(payment.reference)

    assert folded(world, payment.reference) == "returned"
    assert now.status in FINAL_STATUSES and now.failure_reason


def test_every_status_change_is_delivered_signed_and_verifies(world: World) -> None:
    payment = world.rail.pay(world.order("pay-1"))
    world.settle(payment.reference)

    world.deliver()

    assert world.receiver.received
    assert folded(world, payment.reference) == "paid"
    assert all(u.event_id for u in world.updates)


def test_a_delivery_altered_by_one_byte_is_rejected(world: World) -> None:
    world.rail.pay(world.order("pay-1"))
    world.deliver()
    body, headers = world.receiver.received[0]
    altered = body.replace(b"pay-1", b"pay-2") if b"pay-1" in body else body[:-2] + b" }"

    with pytest.raises(RailWebhookRejectedError):
        world.rail.verify_webhook(altered, headers)


def test_a_delivery_without_its_signature_is_rejected(world: World) -> None:
    world.rail.pay(world.order("pay-1"))
    world.deliver()
    body, headers = world.receiver.received[0]
    unsigned = {k: v for k, v in headers.items() if "signature" not in k.lower()}

    with pytest.raises(RailWebhookRejectedError):
        world.rail.verify_webhook(body, unsigned)


def test_a_stale_delivery_is_rejected_as_a_replay(world: World) -> None:
    world.rail.pay(world.order("pay-1"))
    event = world.outbox.queue[0].event

    body, headers = world.outbox.render(event, world.clock.now - 3600)

    with pytest.raises(RailWebhookRejectedError):
        world.rail.verify_webhook(body, headers)


def test_a_failed_delivery_is_redelivered_after_a_backoff_and_signed_afresh(world: World) -> None:
    world.rail.pay(world.order("pay-1"))
    waiting = len(world.outbox.queue)
    world.receiver.fail_next = waiting

    assert world.deliver() == 0
    assert world.deliver() == 0  # not due yet: the provider waits before retrying
    world.clock.now += 3600
    assert world.deliver() == waiting

    assert len(world.updates) == waiting  # each verified on arrival, signed at the retry's instant


def test_a_duplicated_delivery_carries_the_same_event_id(world: World) -> None:
    world.outbox.duplicate_next()
    world.rail.pay(world.order("pay-1"))

    world.deliver()
    ids = [u.event_id for u in world.updates]

    assert len(ids) == len(set(ids)) + 1
    assert ids[0] == ids[1]


def test_deliveries_out_of_order_end_in_the_same_status(world: World) -> None:
    world.outbox.hold()
    payment = world.rail.pay(world.order("pay-1"))
    world.settle(payment.reference)

    world.outbox.release(reverse=True)
    world.deliver()
    arrived = [u.status for u in world.updates if u.reference == payment.reference]
    status: RailStatus | None = None
    for arriving in arrived:
        status = advance(status, arriving)

    assert arrived[0] == "paid"
    assert status == "paid" == folded(world, payment.reference)


def test_an_order_to_the_wrong_kind_of_destination_is_refused(world: World) -> None:
    from propdesk.rails.destinations import iban_account, stablecoin_wallet
    from propdesk.rails.port import RailRejectedError

    other = (
        stablecoin_wallet("USDC", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        if world.name == "wise"
        else iban_account("Jane", "DE89370400440532013000", "EUR")
    )
    if world.name == "memory":
        pytest.skip("the double pays any destination")
    with pytest.raises(RailRejectedError):
        world.rail.pay(replace(world.order("pay-1"), destination=other))
