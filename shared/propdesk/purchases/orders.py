"""The order and its state machine.

    pending ──paid──► paid ──account created──► provisioned
       │               │                            │
       └─failed/expired┘ (pending → failed)         │
    any of pending/paid/provisioned ──dispute──► disputed ──won──► back where it was
    any but refunded ──refund / dispute lost──► refunded

Deliveries arrive late, twice and out of order, so `apply_payment` is written to reach the same final state
whatever the order of the same set of provider events: a completion after a refund changes nothing, a
dispute already closed is not reopened, a payment during a dispute is remembered for when it is won.
Every applied event yields a `Transition` (from, to, cause) even when the status stays: the history shows
why nothing changed. Domain events to publish come back in the `Outcome`; their ids are stable, so a
republished outcome is deduplicated downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from propdesk.domain_events import (
    DomainEvent,
    PurchaseCompleted,
    PurchaseDisputeClosed,
    PurchaseDisputed,
    PurchaseFailed,
    PurchaseFlagged,
    PurchaseRefunded,
    stable_id,
)
from propdesk.money import money_text
from propdesk.purchases.fraud import Finding
from propdesk.purchases.payments import PaymentEvent
from propdesk.purchases.pricing import PriceLine

OrderStatus = Literal["pending", "paid", "provisioned", "failed", "refunded", "disputed"]
PaymentMethod = Literal["card", "crypto"]
ORDER_STATUSES: tuple[OrderStatus, ...] = ("pending", "paid", "provisioned", "failed", "refunded", "disputed")
MONEY_KEPT: frozenset[OrderStatus] = frozenset({"paid", "provisioned"})
# What the buyer reads when a fraud check refunded the payment: the check and its threshold stay with staff.
PAYMENT_NOT_ACCEPTED = "payment refunded: the purchase could not be accepted"


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    trader_id: str
    email: str
    program_id: str
    program_version: int
    currency: str
    total: Decimal
    lines: tuple[PriceLine, ...]
    payment_method: PaymentMethod
    provider: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    revision: int = 0
    request_fingerprint: str = ""
    add_on_effects: dict[str, str] = field(default_factory=dict)
    payment_url: str | None = None
    session_reference: str | None = None
    payment_reference: str | None = None
    amount_paid: Decimal | None = None
    account_id: str | None = None
    status_before_dispute: OrderStatus | None = None
    open_disputes: frozenset[str] = frozenset()
    closed_disputes: frozenset[str] = frozenset()
    flags: tuple[str, ...] = ()
    client_ip: str | None = None
    client_country: str | None = None
    provisioning_attempts: int = 0
    provisioning_lease_until: datetime | None = None
    provisioning_error: str | None = None
    platform_account_id: str | None = None
    platform_login: str | None = None

    @property
    def discount_code(self) -> str | None:
        return next((line.reference for line in self.lines if line.kind == "discount"), None)

    @property
    def awaits_provisioning(self) -> bool:
        return self.status == "paid" and self.account_id is None


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of the order's history: stored with the order, never changed."""

    order_id: str
    sequence: int
    from_status: OrderStatus
    to_status: OrderStatus
    cause: str
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    order: Order
    transition: Transition
    events: tuple[DomainEvent, ...] = ()

    @property
    def status_changed(self) -> bool:
        return self.transition.from_status != self.transition.to_status


class InvalidTransitionError(Exception):
    """A step the state machine refuses (a programming or data error, not a provider's whim)."""


def apply_payment(
    order: Order, event: PaymentEvent, at: datetime, card_findings: Sequence[Finding] = ()
) -> Outcome:
    """The order after a provider's event (the caller has deduplicated by the event's id).

    `card_findings` is what the card checks found for the card that paid (`card_check`): `flag` keeps the
    payment and flags the order; `block` turns the payment into a refund (the caller has asked the provider
    to refund it), so no account is provisioned. The findings' reasons go into the order's flags and
    `purchase.flagged` (staff); what the buyer sees (the history note, `purchase.refunded`) names no check."""
    if event.payment_reference and not order.payment_reference:
        order = replace(order, payment_reference=event.payment_reference)
    outcome = _STEPS[event.kind](order, event, at)
    if not card_findings or not _just_paid(outcome):
        return outcome
    reasons = [f"{finding.check}: {finding.reason}" for finding in card_findings]
    if any(finding.action == "block" for finding in card_findings):
        flags = [
            f"payment refunded, blocked by {reason}" if finding.action == "block" else reason
            for finding, reason in zip(card_findings, reasons, strict=True)
        ]
        return _blocked(order, event, reasons, flags, at)
    flagged = replace(outcome, order=replace(outcome.order, flags=(*outcome.order.flags, *reasons)))
    return _with_events(flagged, _flagged(order, event, reasons, at))


def _just_paid(outcome: Outcome) -> bool:
    return outcome.transition.from_status in ("pending", "failed") and outcome.transition.to_status == "paid"


def _blocked(
    order: Order, event: PaymentEvent, reasons: list[str], flags: list[str], at: datetime
) -> Outcome:
    paid = replace(order, amount_paid=event.amount) if event.amount is not None else order
    flagged = replace(paid, flags=(*order.flags, *flags))
    moved = _move(flagged, "refunded", event.cause, PAYMENT_NOT_ACCEPTED, at)
    refunded = _refund_event(order, PAYMENT_NOT_ACCEPTED, at)
    return _with_events(moved, refunded, _flagged(order, event, reasons, at))


def record_provisioned(order: Order, account_id: str, cause: str, at: datetime) -> Outcome:
    """The trading account exists. If the order was refunded or disputed meanwhile, the account is still
    recorded (so that it can be disabled or suspended) and the status stays."""
    if order.account_id is not None:
        if order.account_id != account_id:
            raise InvalidTransitionError(
                f"order {order.order_id} already has account {order.account_id}, refusing {account_id}"
            )
        return _note(order, cause, "the account was already recorded", at)
    if order.status not in ("paid", "refunded", "disputed"):
        raise InvalidTransitionError(f"order {order.order_id} is {order.status}: no account may exist for it")
    changed = replace(order, account_id=account_id, provisioning_lease_until=None, provisioning_error=None)
    if order.status == "paid":
        return _move(changed, "provisioned", cause, f"account {account_id} created", at)
    if order.status == "disputed":
        changed = replace(changed, status_before_dispute="provisioned")
        return _note(changed, cause, f"account {account_id} created during a dispute: to be suspended", at)
    return _note(changed, cause, f"account {account_id} created after the refund: to be disabled", at)


def claim_provisioning(order: Order, now: datetime, lease: timedelta) -> Order | None:
    """The order with a provisioning lease taken, or None when it needs no provisioning or another worker
    holds an unexpired lease (so two workers never create two accounts concurrently)."""
    if not order.awaits_provisioning:
        return None
    if order.provisioning_lease_until is not None and order.provisioning_lease_until > now:
        return None
    return replace(
        order,
        provisioning_attempts=order.provisioning_attempts + 1,
        provisioning_lease_until=now + lease,
        revision=order.revision + 1,
    )


def release_provisioning(order: Order, error: str) -> Order:
    """A failed attempt: the order stays paid, the lease is dropped so the next retry may claim it."""
    return replace(
        order, provisioning_lease_until=None, provisioning_error=error[:500], revision=order.revision + 1
    )


# ---- one function per kind of payment event ----


def _paid(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    shortfall = _shortfall(order, event)
    accepted = shortfall is not None and event.shortfall_accepted and _same_currency(order, event)
    if shortfall is not None and not accepted:
        return _partially_paid(order, replace(event, reason=shortfall), at)
    order = replace(order, amount_paid=event.amount)
    if order.status in ("pending", "failed") and accepted:
        reason = f"{shortfall}, accepted by the merchant at {event.provider}"
        flagged = replace(order, flags=(*order.flags, reason))
        moved = _move(flagged, "paid", event.cause, f"payment received ({reason})", at)
        return _with_events(moved, _completed(moved.order, at), _flagged(order, event, [reason], at))
    if order.status in ("pending", "failed"):
        moved = _move(order, "paid", event.cause, "payment received", at)
        return _with_events(moved, _completed(moved.order, at))
    if order.status == "disputed" and order.status_before_dispute in ("pending", "failed"):
        kept = replace(order, status_before_dispute="paid")
        return _note(kept, event.cause, "payment received during a dispute: counts if the dispute is won", at)
    return _note(order, event.cause, f"ignored: the order is already {order.status}", at)


def _awaiting(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    return _note(order, event.cause, event.reason or "checkout finished, waiting for the money", at)


def _failed(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    if order.status != "pending":
        return _note(order, event.cause, f"ignored: the order is already {order.status}", at)
    reason = event.reason or ("the payment window expired" if event.kind == "expired" else "payment failed")
    moved = _move(order, "failed", event.cause, reason, at)
    failed = PurchaseFailed(
        event_id=stable_id("purchase.failed", order.order_id),
        occurred_at=at,
        order_id=order.order_id,
        trader_id=order.trader_id,
        reason=reason,
    )
    return _with_events(moved, failed)


def _partially_paid(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    reason = event.reason or "partially paid"
    if event.amount is not None:
        order = replace(order, amount_paid=event.amount)
    flagged = replace(order, flags=(*order.flags, reason))
    outcome = _note(flagged, event.cause, reason, at)
    return _with_events(outcome, _flagged(order, event, [reason], at))


def _refunded(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    if order.status == "refunded":
        return _note(order, event.cause, "ignored: the order is already refunded", at)
    reason = event.reason or "refunded"
    moved = _move(order, "refunded", event.cause, reason, at)
    return _with_events(moved, _refund_event(order, reason, at))


def _partially_refunded(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    reason = event.reason or "partially refunded"
    flagged = replace(order, flags=(*order.flags, reason))
    return _with_events(_note(flagged, event.cause, reason, at), _flagged(order, event, [reason], at))


def _dispute_opened(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    dispute_id = _dispute_id(event)
    if dispute_id in order.closed_disputes or dispute_id in order.open_disputes:
        return _note(order, event.cause, f"ignored: dispute {dispute_id} is already known", at)
    order = replace(order, open_disputes=order.open_disputes | {dispute_id})
    reason = event.reason or "dispute opened"
    disputed = PurchaseDisputed(
        event_id=stable_id("purchase.disputed", order.order_id, dispute_id),
        occurred_at=at,
        order_id=order.order_id,
        trader_id=order.trader_id,
        account_id=order.account_id,
        dispute_id=dispute_id,
        reason=reason,
    )
    if order.status in ("refunded", "disputed"):
        return _with_events(_note(order, event.cause, f"dispute {dispute_id}: {reason}", at), disputed)
    order = replace(order, status_before_dispute=order.status)
    moved = _move(order, "disputed", event.cause, f"dispute {dispute_id}: {reason}", at)
    return _with_events(moved, disputed)


def _dispute_closed(order: Order, event: PaymentEvent, at: datetime) -> Outcome:
    dispute_id = _dispute_id(event)
    if dispute_id in order.closed_disputes:
        return _note(order, event.cause, f"ignored: dispute {dispute_id} is already closed", at)
    order = replace(
        order,
        open_disputes=order.open_disputes - {dispute_id},
        closed_disputes=order.closed_disputes | {dispute_id},
    )
    if event.dispute_outcome == "lost":
        if order.status == "refunded":
            return _note(order, event.cause, f"dispute {dispute_id} lost; already refunded", at)
        reason = f"chargeback: dispute {dispute_id} lost"
        moved = _move(replace(order, status_before_dispute=None), "refunded", event.cause, reason, at)
        return _with_events(moved, _refund_event(order, reason, at))
    if order.status != "disputed" or order.open_disputes:
        return _note(order, event.cause, f"dispute {dispute_id} won", at)
    back_to = order.status_before_dispute or "pending"
    restored = _move(
        replace(order, status_before_dispute=None), back_to, event.cause, f"dispute {dispute_id} won", at
    )
    closed = PurchaseDisputeClosed(
        event_id=stable_id("purchase.dispute_closed", order.order_id, dispute_id),
        occurred_at=at,
        order_id=order.order_id,
        trader_id=order.trader_id,
        account_id=order.account_id,
        dispute_id=dispute_id,
        outcome="won",
    )
    if back_to == "paid":
        return _with_events(restored, closed, _completed(restored.order, at))
    return _with_events(restored, closed)


_STEPS: dict[str, Callable[[Order, PaymentEvent, datetime], Outcome]] = {
    "paid": _paid,
    "awaiting_payment": _awaiting,
    "payment_failed": _failed,
    "expired": _failed,
    "partially_paid": _partially_paid,
    "held": _partially_paid,  # flagged the same way: money seen, the order waits for a decision
    "refunded": _refunded,
    "partially_refunded": _partially_refunded,
    "dispute_opened": _dispute_opened,
    "dispute_closed": _dispute_closed,
}


# ---- helpers ----


def _move(order: Order, status: OrderStatus, cause: str, note: str, at: datetime) -> Outcome:
    revision = order.revision + 1
    transition = Transition(order.order_id, revision, order.status, status, cause, note, at)
    return Outcome(replace(order, status=status, revision=revision, updated_at=at), transition)


def _note(order: Order, cause: str, note: str, at: datetime) -> Outcome:
    return _move(order, order.status, cause, note, at)


def _with_events(outcome: Outcome, *events: DomainEvent) -> Outcome:
    return replace(outcome, events=(*outcome.events, *events))


def _shortfall(order: Order, event: PaymentEvent) -> str | None:
    if event.amount is None:  # never for a paid event (PaymentEvent refuses it)
        return None
    if not _same_currency(order, event):
        return f"paid in {(event.currency or '').upper()}, the order is in {order.currency}"
    if event.amount < order.total:
        return f"paid {money_text(event.amount, order.currency)} of {money_text(order.total, order.currency)}"
    return None


def _same_currency(order: Order, event: PaymentEvent) -> bool:
    return (event.currency or "").upper() == order.currency


def _dispute_id(event: PaymentEvent) -> str:
    if not event.dispute_id:
        raise InvalidTransitionError(f"{event.cause} carries no dispute id")
    return event.dispute_id


def _completed(order: Order, at: datetime) -> PurchaseCompleted:
    return PurchaseCompleted(
        event_id=stable_id("purchase.completed", order.order_id),
        occurred_at=at,
        order_id=order.order_id,
        trader_id=order.trader_id,
        program_id=order.program_id,
        program_version=order.program_version,
        amount=order.total,
        currency=order.currency,
        provider=order.provider,
    )


def _refund_event(order: Order, reason: str, at: datetime) -> PurchaseRefunded:
    return PurchaseRefunded(
        event_id=stable_id("purchase.refunded", order.order_id),
        occurred_at=at,
        order_id=order.order_id,
        trader_id=order.trader_id,
        account_id=order.account_id,
        reason=reason,
    )


def _flagged(order: Order, event: PaymentEvent, reasons: list[str], at: datetime) -> PurchaseFlagged:
    return PurchaseFlagged(
        event_id=stable_id("purchase.flagged", order.order_id, event.event_id),
        occurred_at=at,
        order_id=order.order_id,
        trader_id=order.trader_id,
        reasons=reasons,
    )
