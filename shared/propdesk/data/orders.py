"""Orders, their history, webhook receipts and payment links (the `OrderStore` of propdesk.purchases).

Keys (docs/data-model.md): the order at `ORDER#{id}`/`META`, in GSI1 under its trader and in GSI2 under its
UTC day; history entries at `ORDER#{id}`/`TRANSITION#{seq}`; receipts at `WEBHOOK#{provider}#{event id}`;
payment links at `PAYMENT#{provider}#{reference}`. Every order write is conditional on the revision read;
the order, its history entry, the receipt of the webhook that caused them and the discount code's use change
(`propdesk.purchases.discount_uses`: released on entering `failed`, taken back on leaving it) go in one
transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.audit import AuditLog
from propdesk.data.models import (
    DiscountCodeItem,
    OrderItem,
    OrderTransitionItem,
    PaymentLinkItem,
    WebhookReceiptItem,
)
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.purchases.discount_uses import UseChange, use_change
from propdesk.purchases.orders import ORDER_STATUSES, Order, OrderStatus, PaymentMethod, Transition
from propdesk.purchases.pricing import LineKind, PriceLine
from propdesk.purchases.store import (
    DiscountUnavailableError,
    DuplicateDeliveryError,
    StaleOrderError,
    WebhookReceipt,
)
from propdesk.records import AuditEntry, Page

_CONDITION_FAILED = "ConditionalCheckFailed"


class OrderRepository:
    def create(self, order: Order) -> Order:
        item = _item(order)
        code = order.discount_code
        try:
            if code is None:
                item.save(condition=OrderItem.pk.does_not_exist())
            else:
                with TransactWrite(connection=_connection()) as transaction:
                    transaction.save(item, condition=OrderItem.pk.does_not_exist())
                    transaction.update(
                        DiscountCodeItem(keys.CATALOGUE_PK, keys.discount_sk(code)),
                        actions=[DiscountCodeItem.uses.add(1)],
                        condition=DiscountCodeItem.pk.exists()
                        & (
                            DiscountCodeItem.max_uses.does_not_exist()
                            | (DiscountCodeItem.uses < DiscountCodeItem.max_uses)
                        ),
                    )
        except PutError as error:
            if not condition_failed(error):
                raise
        except TransactWriteError as error:
            reasons = _reasons(error)
            if reasons[1:2] == [_CONDITION_FAILED] and reasons[0] != _CONDITION_FAILED:
                raise DiscountUnavailableError(code) from None
            if reasons[:1] != [_CONDITION_FAILED]:
                raise
        else:
            return order
        existing = self.get(order.order_id)
        if existing is None:
            raise StaleOrderError(order.order_id)
        return existing

    def get(self, order_id: str) -> Order | None:
        try:
            return _order(OrderItem.get(keys.order_pk(order_id), keys.META_SK, consistent_read=True))
        except OrderItem.DoesNotExist:
            return None

    def put(
        self,
        order: Order,
        expected_revision: int,
        transition: Transition | None = None,
        receipt: WebhookReceipt | None = None,
    ) -> None:
        revision_holds = OrderItem.revision == expected_revision
        if transition is None and receipt is None:
            try:
                _item(order).save(condition=revision_holds)
            except PutError as error:
                if condition_failed(error):
                    raise StaleOrderError(order.order_id) from None
                raise
            return
        change = use_change(order, transition)
        try:
            self._transact(order, revision_holds, transition, receipt, change)
        except _NoUseToReleaseError:  # the code was deleted or reset meanwhile: the order moves all the same
            self._transact(order, revision_holds, transition, receipt, 0)

    def _transact(
        self,
        order: Order,
        revision_holds: Condition,
        transition: Transition | None,
        receipt: WebhookReceipt | None,
        use: UseChange,
    ) -> None:
        """Receipt, order, history entry and the discount code's use change (last), all or nothing."""
        code = order.discount_code
        try:
            with TransactWrite(connection=_connection()) as transaction:
                if receipt is not None:
                    transaction.save(_receipt_item(receipt), condition=WebhookReceiptItem.pk.does_not_exist())
                transaction.save(_item(order), condition=revision_holds)
                if transition is not None:
                    transaction.save(
                        _transition_item(transition), condition=OrderTransitionItem.pk.does_not_exist()
                    )
                if use != 0 and code is not None:
                    _count_use_in(transaction, code, use)
        except TransactWriteError as error:
            reasons = _reasons(error)
            if receipt is not None and reasons[:1] == [_CONDITION_FAILED]:
                raise DuplicateDeliveryError(receipt.event_id) from None
            if use != 0 and reasons[-1:] == [_CONDITION_FAILED] and reasons.count(_CONDITION_FAILED) == 1:
                raise _NoUseToReleaseError(code) from None
            if _CONDITION_FAILED in reasons:
                raise StaleOrderError(order.order_id) from None
            raise

    def put_audited(
        self, order: Order, expected_revision: int, transition: Transition, entry: AuditEntry
    ) -> None:
        """A staff action on the order (e.g. a refund request): the order at its new revision, its history
        entry and the audit entry, all or nothing (StaleOrderError if the order changed since read)."""
        try:
            with TransactWrite(connection=_connection()) as transaction:
                transaction.save(_item(order), condition=OrderItem.revision == expected_revision)
                transaction.save(
                    _transition_item(transition), condition=OrderTransitionItem.pk.does_not_exist()
                )
                AuditLog().append_in(transaction, entry)
        except TransactWriteError as error:
            if _CONDITION_FAILED in _reasons(error):
                raise StaleOrderError(order.order_id) from None
            raise

    def receipt(self, provider: str, event_id: str) -> WebhookReceipt | None:
        try:
            item = WebhookReceiptItem.get(
                keys.webhook_receipt_pk(provider, event_id), keys.RECEIPT_SK, consistent_read=True
            )
        except WebhookReceiptItem.DoesNotExist:
            return None
        return WebhookReceipt(
            provider=item.provider,
            event_id=item.event_id,
            event_type=item.event_type,
            order_id=item.order_id,
            received_at=item.received_at,
            events=tuple(item.events),
            published=bool(item.published),
        )

    def add_receipt(self, receipt: WebhookReceipt) -> None:
        try:
            _receipt_item(receipt).save(condition=WebhookReceiptItem.pk.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                raise DuplicateDeliveryError(receipt.event_id) from None
            raise

    def mark_published(self, provider: str, event_id: str) -> None:
        WebhookReceiptItem(keys.webhook_receipt_pk(provider, event_id), keys.RECEIPT_SK).update(
            actions=[WebhookReceiptItem.published.set(True)]
        )

    def link_payment(self, provider: str, reference: str, order_id: str) -> None:
        PaymentLinkItem(
            keys.payment_link_pk(provider, reference),
            keys.PAYMENT_LINK_SK,
            entity="payment_link",
            provider=provider,
            reference=reference,
            order_id=order_id,
        ).save()

    def order_for_payment(self, provider: str, reference: str) -> str | None:
        try:
            return PaymentLinkItem.get(
                keys.payment_link_pk(provider, reference), keys.PAYMENT_LINK_SK
            ).order_id
        except PaymentLinkItem.DoesNotExist:
            return None

    def history(self, order_id: str) -> list[Transition]:
        return [
            Transition(
                order_id=item.order_id,
                sequence=int(item.sequence),
                from_status=_status(item.from_status),
                to_status=_status(item.to_status),
                cause=item.cause,
                note=item.note,
                at=item.at,
            )
            for item in OrderTransitionItem.query(
                keys.order_pk(order_id), OrderTransitionItem.sk.startswith(keys.TRANSITION_PREFIX)
            )
        ]

    def list_for_trader(self, trader_id: str, limit: int = 50, cursor: str | None = None) -> Page[Order]:
        partition = keys.trader_pk(trader_id)
        results = OrderItem.by_trader.query(
            partition,
            OrderItem.gsi1sk.startswith(keys.ORDER_PREFIX),
            scan_index_forward=False,
            limit=check_limit(limit),
            last_evaluated_key=decode_cursor(cursor, "gsi1pk", partition),
        )
        return to_page(results, _order)

    def created_between(self, start: datetime, end: datetime) -> list[Order]:
        """Orders placed in [start, end): one GSI2 query per UTC day in the range."""
        orders: list[Order] = []
        day = start
        while day < end + timedelta(days=1):
            for item in OrderItem.by_day.query(
                keys.orders_day(day),
                OrderItem.gsi2sk.between(keys.order_index_sk(start, ""), keys.order_index_sk(end, "")),
            ):
                order = _order(item)
                if start <= order.created_at < end:
                    orders.append(order)
            day += timedelta(days=1)
        return orders


class _NoUseToReleaseError(Exception):
    """The discount code's item is gone, or its count is already 0: there is no use to move."""


def _count_use_in(transaction: TransactWrite, code: str, use: UseChange) -> None:
    """Release (-1, never below 0) or take back (+1, past `max_uses` if need be: the order is paid) a use."""
    exists = DiscountCodeItem.pk.exists()
    transaction.update(
        DiscountCodeItem(keys.CATALOGUE_PK, keys.discount_sk(code)),
        actions=[DiscountCodeItem.uses.add(use)],
        condition=exists & (DiscountCodeItem.uses >= 1) if use < 0 else exists,
    )


def _connection() -> Any:
    return OrderItem._get_connection().connection


def _reasons(error: TransactWriteError) -> list[str | None]:
    return [reason.code if reason is not None else None for reason in error.cancellation_reasons]


def _item(order: Order) -> OrderItem:
    index_sk = keys.order_index_sk(order.created_at, order.order_id)
    return OrderItem(
        keys.order_pk(order.order_id),
        keys.META_SK,
        entity="order",
        order_id=order.order_id,
        trader_id=order.trader_id,
        email=order.email,
        program_id=order.program_id,
        program_version=order.program_version,
        currency=order.currency,
        total=order.total,
        lines=[
            {
                "kind": line.kind,
                "reference": line.reference,
                "description": line.description,
                "amount": str(line.amount),
            }
            for line in order.lines
        ],
        payment_method=order.payment_method,
        provider=order.provider,
        status=order.status,
        created_at=order.created_at,
        updated_at=order.updated_at,
        revision=order.revision,
        request_fingerprint=order.request_fingerprint,
        add_on_effects=dict(order.add_on_effects),
        payment_url=order.payment_url,
        session_reference=order.session_reference,
        payment_reference=order.payment_reference,
        amount_paid=order.amount_paid,
        account_id=order.account_id,
        status_before_dispute=order.status_before_dispute,
        open_disputes=sorted(order.open_disputes),
        closed_disputes=sorted(order.closed_disputes),
        flags=list(order.flags),
        client_ip=order.client_ip,
        client_country=order.client_country,
        provisioning_attempts=order.provisioning_attempts,
        provisioning_lease_until=order.provisioning_lease_until,
        provisioning_error=order.provisioning_error,
        platform_account_id=order.platform_account_id,
        platform_login=order.platform_login,
        gsi1pk=keys.trader_pk(order.trader_id),
        gsi1sk=index_sk,
        gsi2pk=keys.orders_day(order.created_at),
        gsi2sk=index_sk,
    )


def _order(item: OrderItem) -> Order:
    return Order(
        order_id=item.order_id,
        trader_id=item.trader_id,
        email=item.email,
        program_id=item.program_id,
        program_version=int(item.program_version),
        currency=item.currency,
        total=item.total,
        lines=tuple(
            PriceLine(
                cast(LineKind, line["kind"]), line["reference"], line["description"], Decimal(line["amount"])
            )
            for line in item.lines
        ),
        payment_method=cast(PaymentMethod, item.payment_method),
        provider=item.provider,
        status=_status(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        revision=int(item.revision),
        request_fingerprint=item.request_fingerprint,
        add_on_effects=dict(item.add_on_effects or {}),
        payment_url=item.payment_url,
        session_reference=item.session_reference,
        payment_reference=item.payment_reference,
        amount_paid=item.amount_paid,
        account_id=item.account_id,
        status_before_dispute=_status(item.status_before_dispute) if item.status_before_dispute else None,
        open_disputes=frozenset(item.open_disputes or []),
        closed_disputes=frozenset(item.closed_disputes or []),
        flags=tuple(item.flags or []),
        client_ip=item.client_ip,
        client_country=item.client_country,
        provisioning_attempts=int(item.provisioning_attempts or 0),
        provisioning_lease_until=item.provisioning_lease_until,
        provisioning_error=item.provisioning_error,
        platform_account_id=item.platform_account_id,
        platform_login=item.platform_login,
    )


def _transition_item(transition: Transition) -> OrderTransitionItem:
    return OrderTransitionItem(
        keys.order_pk(transition.order_id),
        keys.transition_sk(transition.sequence),
        entity="order_transition",
        order_id=transition.order_id,
        sequence=transition.sequence,
        from_status=transition.from_status,
        to_status=transition.to_status,
        cause=transition.cause[:500],
        note=transition.note[:500],
        at=transition.at,
    )


def _receipt_item(receipt: WebhookReceipt) -> WebhookReceiptItem:
    return WebhookReceiptItem(
        keys.webhook_receipt_pk(receipt.provider, receipt.event_id),
        keys.RECEIPT_SK,
        entity="webhook_receipt",
        provider=receipt.provider,
        event_id=receipt.event_id,
        event_type=receipt.event_type,
        order_id=receipt.order_id,
        received_at=receipt.received_at,
        events=list(receipt.events),
        published=receipt.published,
    )


_STATUSES: dict[str, OrderStatus] = {status: status for status in ORDER_STATUSES}


def _status(value: str) -> OrderStatus:
    return _STATUSES[value]
