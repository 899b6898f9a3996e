"""The rail statuses' order: an update never moves a payment back, final statuses stay final (a return may
follow a payment), so webhooks applied in any order end in the same status."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from propdesk.rails.port import RAIL_STATUSES, RailStatus, advance

statuses = st.sampled_from(RAIL_STATUSES)


def fold(updates: list[RailStatus]) -> RailStatus | None:
    status: RailStatus | None = None
    for update in updates:
        status = advance(status, update)
    return status


def test_a_late_processing_does_not_undo_paid() -> None:
    assert fold(["pending", "paid", "processing"]) == "paid"


def test_a_paid_payment_can_still_be_returned_but_a_failed_one_is_never_paid() -> None:
    assert fold(["paid", "returned"]) == "returned"
    assert fold(["failed", "paid"]) == "failed"
    assert fold(["returned", "failed", "paid"]) == "returned"


@given(st.lists(statuses, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_the_order_of_the_updates_does_not_matter(updates: list[RailStatus], rng: random.Random) -> None:
    shuffled = list(updates)
    rng.shuffle(shuffled)

    assert fold(shuffled) == fold(updates)
