"""The order state machine: every step has a cause, late and repeated deliveries change nothing, and any
order of the same deliveries ends where the in-order sequence ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.purchases.orders import (
    InvalidTransitionError,
    Order,
    apply_payment,
    claim_provisioning,
    record_provisioned,
    release_provisioning,
)
from propdesk.purchases.payments import PaymentEvent

from tests.unit.purchases.builders import T0, order, payment


def test_a_paid_checkout_moves_the_order_to_paid_and_announces_the_purchase() -> None:
    outcome = apply_payment(order(), payment("paid", payment_reference="pi_1"), T0)
    assert outcome.order.status == "paid"
    assert outcome.order.payment_reference == "pi_1"
    assert outcome.order.amount_paid == Decimal("540.00")
    assert outcome.transition.from_status == "pending"
    assert outcome.transition.cause == "stripe paid evt_1"
    assert [e.detail_type for e in outcome.events] == ["purchase.completed"]
    assert outcome.order.revision == 1


def test_a_second_success_for_the_same_order_is_recorded_but_changes_nothing() -> None:
    paid = apply_payment(order(), payment("paid"), T0).order
    again = apply_payment(paid, payment("paid", "evt_2"), T0)
    assert again.order.status == "paid"
    assert not again.status_changed
    assert again.events == ()
    assert again.transition.note == "ignored: the order is already paid"


def test_a_payment_short_of_the_total_is_flagged_not_accepted() -> None:
    outcome = apply_payment(order(), payment("paid", amount=Decimal("500.00")), T0)
    assert outcome.order.status == "pending"
    assert outcome.order.flags == ("paid 500.00 USD of 540.00 USD",)
    assert [e.detail_type for e in outcome.events] == ["purchase.flagged"]


def test_a_shortfall_the_merchant_accepted_at_the_provider_pays_the_order_and_is_flagged() -> None:
    resolved = payment("paid", provider="coinbase", amount=Decimal("538.50"), shortfall_accepted=True)

    outcome = apply_payment(order(), resolved, T0)

    assert outcome.order.status == "paid"
    assert outcome.order.amount_paid == Decimal("538.50")
    assert outcome.order.flags == ("paid 538.50 USD of 540.00 USD, accepted by the merchant at coinbase",)
    assert [e.detail_type for e in outcome.events] == ["purchase.completed", "purchase.flagged"]


def test_an_accepted_shortfall_in_another_currency_is_still_only_flagged() -> None:
    resolved = payment("paid", currency="EUR", shortfall_accepted=True)

    assert apply_payment(order(), resolved, T0).order.status == "pending"


def test_a_payment_seen_but_not_confirmed_leaves_the_order_pending() -> None:
    seen = payment("awaiting_payment", reason="crypto payment seen on chain, waiting for its confirmation")

    outcome = apply_payment(order(), seen, T0)

    assert outcome.order.status == "pending"
    assert outcome.events == ()
    assert outcome.transition.note == "crypto payment seen on chain, waiting for its confirmation"


def test_money_held_by_the_provider_flags_the_order_without_moving_it() -> None:
    held = payment("held", amount=Decimal("540.00"), currency="USD", reason="resolve it at the provider")

    outcome = apply_payment(order(), held, T0)

    assert outcome.order.status == "pending"
    assert outcome.order.flags == ("resolve it at the provider",)
    assert [e.detail_type for e in outcome.events] == ["purchase.flagged"]


def test_a_payment_in_another_currency_is_flagged() -> None:
    outcome = apply_payment(order(), payment("paid", currency="EUR"), T0)
    assert outcome.order.status == "pending"
    assert outcome.order.flags == ("paid in EUR, the order is in USD",)


def test_an_expired_or_failed_payment_fails_only_a_pending_order() -> None:
    failed = apply_payment(order(), payment("expired", reason="the crypto charge expired unpaid"), T0)
    assert failed.order.status == "failed"
    assert failed.transition.note == "the crypto charge expired unpaid"
    assert [e.detail_type for e in failed.events] == ["purchase.failed"]
    late = apply_payment(order("paid"), payment("payment_failed"), T0)
    assert late.order.status == "paid"


def test_money_arriving_after_a_failure_still_counts() -> None:
    outcome = apply_payment(order("failed"), payment("paid"), T0)
    assert outcome.order.status == "paid"


def test_a_refund_of_a_provisioned_order_names_the_account_to_disable() -> None:
    provisioned = order("provisioned", account_id="acc-1")
    outcome = apply_payment(provisioned, payment("refunded"), T0)
    assert outcome.order.status == "refunded"
    (refunded,) = outcome.events
    assert refunded.detail_type == "purchase.refunded"
    assert refunded.model_dump()["account_id"] == "acc-1"


def test_a_completion_after_the_refund_does_not_revive_the_order() -> None:
    refunded = apply_payment(order(), payment("refunded"), T0).order
    late = apply_payment(refunded, payment("paid", "evt_2"), T0)
    assert late.order.status == "refunded"
    assert late.events == ()


def test_a_dispute_suspends_and_winning_it_restores_the_order() -> None:
    disputed = apply_payment(order("provisioned", account_id="acc-1"), payment("dispute_opened"), T0)
    assert disputed.order.status == "disputed"
    assert disputed.order.status_before_dispute == "provisioned"
    assert [e.detail_type for e in disputed.events] == ["purchase.disputed"]
    won = apply_payment(disputed.order, payment("dispute_closed", "evt_2"), T0)
    assert won.order.status == "provisioned"
    assert [e.detail_type for e in won.events] == ["purchase.dispute_closed"]


def test_losing_a_dispute_is_a_refund() -> None:
    disputed = apply_payment(order("paid"), payment("dispute_opened"), T0).order
    lost = apply_payment(disputed, payment("dispute_closed", "evt_2", dispute_outcome="lost"), T0)
    assert lost.order.status == "refunded"
    assert lost.transition.note == "chargeback: dispute dp_1 lost"
    assert [e.detail_type for e in lost.events] == ["purchase.refunded"]


def test_a_dispute_closed_before_it_was_opened_is_not_reopened() -> None:
    closed = apply_payment(order("paid"), payment("dispute_closed", "evt_2"), T0).order
    late = apply_payment(closed, payment("dispute_opened", "evt_1"), T0)
    assert late.order.status == "paid"
    assert late.events == ()


def test_a_payment_during_a_dispute_counts_once_the_dispute_is_won() -> None:
    disputed = apply_payment(order(), payment("dispute_opened"), T0).order
    paid = apply_payment(disputed, payment("paid", "evt_2"), T0).order
    assert paid.status == "disputed"
    won = apply_payment(paid, payment("dispute_closed", "evt_3"), T0)
    assert won.order.status == "paid"
    assert {e.detail_type for e in won.events} == {"purchase.dispute_closed", "purchase.completed"}


def test_the_account_is_recorded_once_and_never_replaced() -> None:
    provisioned = record_provisioned(order("paid"), "acc-1", "provisioning", T0)
    assert provisioned.order.status == "provisioned"
    assert record_provisioned(provisioned.order, "acc-1", "again", T0).order.status == "provisioned"
    with pytest.raises(InvalidTransitionError):
        record_provisioned(provisioned.order, "acc-2", "again", T0)
    with pytest.raises(InvalidTransitionError):
        record_provisioned(order("pending"), "acc-1", "provisioning", T0)


def test_an_account_created_after_a_refund_is_recorded_for_disabling() -> None:
    outcome = record_provisioned(order("refunded"), "acc-1", "provisioning", T0)
    assert outcome.order.status == "refunded"
    assert outcome.order.account_id == "acc-1"


def test_one_worker_at_a_time_holds_the_provisioning_lease() -> None:
    lease = timedelta(minutes=2)
    claimed = claim_provisioning(order("paid"), T0, lease)
    assert claimed is not None and claimed.provisioning_attempts == 1
    assert claim_provisioning(claimed, T0 + timedelta(minutes=1), lease) is None
    assert claim_provisioning(claimed, T0 + timedelta(minutes=3), lease) is not None
    released = release_provisioning(claimed, "platform down")
    assert claim_provisioning(released, T0, lease) is not None
    assert claim_provisioning(order("pending"), T0, lease) is None


# ---- any order, any duplication: the same end as in order ----

SCENARIOS: dict[str, list[PaymentEvent]] = {
    "paid": [payment("paid", "e1"), payment("paid", "e2", event_type="payment_intent.succeeded")],
    "refunded": [payment("paid", "e1"), payment("refunded", "e2")],
    "dispute won": [payment("paid", "e1"), payment("dispute_opened", "e2"), payment("dispute_closed", "e3")],
    "dispute lost": [
        payment("paid", "e1"),
        payment("dispute_opened", "e2"),
        payment("dispute_closed", "e3", dispute_outcome="lost"),
    ],
    "async failed": [payment("awaiting_payment", "e1"), payment("payment_failed", "e2")],
    "async paid": [payment("awaiting_payment", "e1"), payment("paid", "e2")],
    "expired": [payment("expired", "e1")],
}


def deliver(start: Order, deliveries: list[PaymentEvent], provision: bool) -> Order:
    seen: set[str] = set()
    current = start
    for event in deliveries:
        if event.event_id in seen:
            continue  # deduplicated by the provider's event id
        seen.add(event.event_id)
        current = apply_payment(current, event, T0).order
        if provision and current.awaits_provisioning:
            current = record_provisioned(current, "acc-1", "provisioning", T0).order
    if provision and current.awaits_provisioning:
        current = record_provisioned(current, "acc-1", "provisioning", T0).order
    return current


@settings(max_examples=300, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(SCENARIOS)), provision=st.booleans())
def test_any_order_and_duplication_of_deliveries_ends_like_the_in_order_sequence(
    data: st.DataObject, name: str, provision: bool
) -> None:
    events = SCENARIOS[name]
    in_order = deliver(order(), events, provision)
    shuffled = data.draw(st.permutations(events))
    duplicated = shuffled + data.draw(st.lists(st.sampled_from(events), max_size=10))
    final = deliver(order(), duplicated, provision)
    assert final.status == in_order.status
    assert final.open_disputes == in_order.open_disputes
    if final.status == "provisioned":
        assert final.account_id == "acc-1"


def test_history_entries_are_numbered_in_sequence() -> None:
    current = order()
    sequences = []
    for event in SCENARIOS["dispute won"]:
        outcome = apply_payment(current, event, T0)
        sequences.append(outcome.transition.sequence)
        current = outcome.order
    assert sequences == [1, 2, 3]
    assert replace(current, revision=0).revision == 0
