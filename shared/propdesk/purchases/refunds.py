"""Staff refunds of card orders (finance): all of the payment or part of it, once per order, with a reason.

The provider is asked first (its idempotency key is the order's: `refund-{order_id}`, the one the card check
uses, so no order is ever refunded twice), then the request is recorded: a history entry on the order and an
audit entry with before/after, in one transaction. The order turns `refunded` (and its account is disabled)
only when the provider's `charge.refunded` webhook arrives; a partial refund flags the order and keeps the
account. If recording fails after the provider accepted, repeating the request (same amount and reason)
replays the provider's answer and records it then.

Finance never refunds an order of their own (403 `own_account`, `propdesk.access.refuse_own_account`).

Crypto payments cannot be pulled back through the processor's API: they are refunded by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from propdesk.access import refuse_own_account
from propdesk.errors import ConflictError, InvalidInputError, NotFoundError
from propdesk.money import money_str, money_text
from propdesk.purchases.currencies import CurrencyError, to_minor_units
from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.orders import MONEY_KEPT, Order, Transition
from propdesk.purchases.ports import CardPayments, ProviderRejectedError, ProviderUnavailableError
from propdesk.purchases.store import StaleOrderError
from propdesk.records import AuditEntry

REFUND_REQUESTED = "staff.refund_requested"  # the history entry's cause
RECORD_ATTEMPTS = 3  # webhooks may move the order between our read and our write


class RefundNotSupportedError(ConflictError):
    code = "refund_not_supported"


class RefundAlreadyRequestedError(ConflictError):
    code = "refund_already_requested"


class AlreadyRefundedError(ConflictError):
    code = "already_refunded"


class OrderNotRefundableError(ConflictError):
    """Nothing to refund (never paid) or not now (a dispute decides where the money goes)."""

    code = "order_not_refundable"


class RefundRejectedError(ConflictError):
    code = "refund_rejected"


class RefundLedger(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def history(self, order_id: str) -> list[Transition]: ...

    def put_audited(
        self, order: Order, expected_revision: int, transition: Transition, entry: AuditEntry
    ) -> None:
        """Order, history entry and audit entry together; StaleOrderError if the order changed."""
        ...


@dataclass(frozen=True, slots=True)
class RefundCommand:
    order_id: str
    actor: str
    actor_roles: tuple[str, ...]
    reason: str
    amount: Decimal | None  # None: everything paid
    at: datetime


@dataclass(frozen=True, slots=True)
class RefundRecorded:
    order: Order
    amount: Decimal
    full: bool


def paid_amount(order: Order) -> Decimal:
    return order.amount_paid if order.amount_paid is not None else order.total


def refusal(order: Order, history: Sequence[Transition]) -> ConflictError | None:
    """Why this order cannot be refunded through the API now, or None."""
    if order.payment_method == "crypto":
        return RefundNotSupportedError(
            "crypto payments are refunded by hand: send the refund from the processor's dashboard to an "
            "address the trader confirms",
            "order_id",
        )
    if any(step.cause == REFUND_REQUESTED for step in history):
        return RefundAlreadyRequestedError(
            "a refund of this order was requested already; the provider's confirmation will mark it refunded",
            "order_id",
        )
    if order.status == "refunded":
        return AlreadyRefundedError("this order is refunded already", "order_id")
    if order.status == "disputed":
        return OrderNotRefundableError(
            "the payment is disputed: the dispute decides where the money goes", "order_id"
        )
    if order.status not in MONEY_KEPT or not order.payment_reference:
        return OrderNotRefundableError(f"the order is {order.status}: nothing was paid", "order_id")
    return None


def refund_amount(order: Order, requested: Decimal | None) -> Decimal:
    """The amount to refund: everything paid, or `requested` if it is a valid part of it."""
    paid = paid_amount(order)
    if requested is None:
        return paid
    if requested <= 0:
        raise InvalidInputError("amount must be more than zero", "amount")
    if requested > paid:
        raise InvalidInputError(f"amount is more than the {money_text(paid, order.currency)} paid", "amount")
    try:
        to_minor_units(requested, order.currency)
    except CurrencyError as error:
        raise InvalidInputError(str(error), "amount") from None
    return requested


class RefundService:
    def __init__(
        self, ledger: RefundLedger, cards: Mapping[str, CardPayments], new_id: Callable[[], str]
    ) -> None:
        self._ledger = ledger
        self._cards = cards
        self._new_id = new_id

    def refund(self, command: RefundCommand) -> RefundRecorded:
        order = self._ledger.get(command.order_id)
        if order is None:
            raise NotFoundError(f"no order {command.order_id!r}", "order_id")
        refuse_own_account(command.actor, order.trader_id, "refund an order of", "order_id")
        refused = refusal(order, self._ledger.history(order.order_id))
        if refused is not None:
            raise refused
        amount = refund_amount(order, command.amount)
        full = amount == paid_amount(order)
        cards = self._cards.get(order.provider)
        if cards is None:
            raise RefundNotSupportedError(
                f"refunds through {order.provider} are not configured here", "order_id"
            )
        try:
            cards.refund(
                order.payment_reference or "",
                order.order_id,
                command.reason,
                amount=None if full else amount,
                currency=order.currency,
            )
        except ProviderUnavailableError as error:
            raise RetryLaterError(
                "the payment provider cannot be reached; repeat the request", internal=(str(error),)
            ) from error
        except ProviderRejectedError as error:
            message = "the payment provider refused the refund (its answer is in the function's log)"
            raise RefundRejectedError(message, "order_id", internal=(str(error),)) from error
        return self._record(command, amount, full)

    def _record(self, command: RefundCommand, amount: Decimal, full: bool) -> RefundRecorded:
        for _ in range(RECORD_ATTEMPTS):
            order = self._ledger.get(command.order_id)
            if order is None:
                break
            if any(step.cause == REFUND_REQUESTED for step in self._ledger.history(order.order_id)):
                raise RefundAlreadyRequestedError("another refund request was recorded meanwhile", "order_id")
            revision = order.revision + 1
            # The trader reads this history: who asked is in the audit log, not here.
            what = f"{'full' if full else 'partial'} refund of {money_text(amount, order.currency)}"
            transition = Transition(
                order.order_id, revision, order.status, order.status, REFUND_REQUESTED,
                f"{what} requested: {command.reason}"[:500], command.at,
            )  # fmt: skip
            try:
                self._ledger.put_audited(
                    replace(order, revision=revision, updated_at=command.at),
                    order.revision,
                    transition,
                    self._entry(command, order, amount, full),
                )
            except StaleOrderError:
                continue
            return RefundRecorded(order, amount, full)
        raise ConflictError("the order keeps changing; try again in a moment", "order_id")

    def _entry(self, command: RefundCommand, order: Order, amount: Decimal, full: bool) -> AuditEntry:
        return AuditEntry(
            entry_id=self._new_id(),
            at=command.at,
            actor=command.actor,
            actor_roles=command.actor_roles,
            action="order.refund_requested",
            subject=f"ORDER#{order.order_id}",
            reason=command.reason,
            before={
                "status": order.status,
                "amount_paid": money_str(paid_amount(order)),
                "currency": order.currency,
                "account_id": order.account_id,
            },
            after={
                "status": order.status,
                "refund_requested": money_str(amount),
                "currency": order.currency,
                "full": full,
            },
        )
