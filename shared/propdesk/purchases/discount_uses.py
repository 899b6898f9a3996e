"""When an order holds a use of its discount code.

An order holds one use while its status is anything but `failed`. The use is counted when the order is
stored (`pending`, conditional on the code's `max_uses`), released when the order moves to `failed` (payment
failed, checkout expired), and taken again if a failed order is paid after all (`failed → paid`, a late
payment) even when that goes over `max_uses`: the money is in, so the price the trader was quoted is honoured.

The change rides on the order's transition and is written in the same transaction, so it happens exactly as
often as the status changes: a redelivered `expired` finds the order already failed (a note, no change), and
`pending → failed → paid → failed` is impossible (a paid order never fails). A release never takes the count
below zero (a code reset or deleted by staff meanwhile: nothing to release).
"""

from __future__ import annotations

from typing import Literal

from propdesk.purchases.orders import Order, OrderStatus, Transition

UseChange = Literal[-1, 0, 1]


def holds_use(status: OrderStatus) -> bool:
    return status != "failed"


def use_change(order: Order, transition: Transition | None) -> UseChange:
    """What writing `order` with `transition` does to its discount code's usage count (status changes always
    come with their transition; a write without one leaves the status, and the count, as they were)."""
    if transition is None or order.discount_code is None:
        return 0
    before, after = holds_use(transition.from_status), holds_use(transition.to_status)
    if before == after:
        return 0
    return 1 if after else -1
