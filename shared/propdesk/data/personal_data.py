"""`propdesk.purchases.personal_data.PersonalDataStore` on the main table: orders by UTC day (GSI2) and
by trader (GSI1), conditional updates that strip an order's e-mail and IP (a new revision, so an optimistic
writer holding the old one fails and rereads), the profile pseudonymized, erasure answers kept per
idempotency key together with their audit entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.audit import AuditLog
from propdesk.data.models import ErasureItem, OrderItem, TraderProfileItem
from propdesk.purchases.personal_data import Erasure, OrderContact
from propdesk.records import AuditEntry

STRIPPED_EMAIL = ""  # the attribute is required; an empty e-mail means "removed"


class PersonalDataRepository:
    def orders_placed_on(self, day: date) -> list[OrderContact]:
        start = datetime.combine(day, time(), UTC)
        return [_contact(item) for item in OrderItem.by_day.query(keys.orders_day(start))]

    def orders_of_trader(self, trader_id: str) -> list[OrderContact]:
        items = OrderItem.by_trader.query(
            keys.trader_pk(trader_id), OrderItem.gsi1sk.startswith(keys.ORDER_PREFIX)
        )
        return [_contact(item) for item in items]

    def strip_order(self, order_id: str) -> bool:
        try:
            OrderItem(keys.order_pk(order_id), keys.META_SK).update(
                actions=[
                    OrderItem.email.set(STRIPPED_EMAIL),
                    OrderItem.client_ip.remove(),
                    OrderItem.revision.add(1),
                ],
                condition=OrderItem.pk.exists()
                & ((OrderItem.email != STRIPPED_EMAIL) | OrderItem.client_ip.exists()),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def pseudonymize_profile(self, trader_id: str, display_name: str) -> bool | None:
        item = TraderProfileItem(keys.trader_pk(trader_id), keys.PROFILE_SK)
        try:
            item.update(
                actions=[
                    TraderProfileItem.email.set(STRIPPED_EMAIL),
                    TraderProfileItem.display_name.set(display_name),
                ],
                condition=TraderProfileItem.pk.exists()
                & (
                    (TraderProfileItem.email != STRIPPED_EMAIL)
                    | (TraderProfileItem.display_name != display_name)
                ),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            try:
                TraderProfileItem.get(keys.trader_pk(trader_id), keys.PROFILE_SK, consistent_read=True)
            except TraderProfileItem.DoesNotExist:
                return None
            return False
        return True

    def erasure(self, trader_id: str, idempotency_key: str) -> Erasure | None:
        try:
            item = ErasureItem.get(
                keys.trader_pk(trader_id), keys.erasure_sk(idempotency_key), consistent_read=True
            )
        except ErasureItem.DoesNotExist:
            return None
        return Erasure(item.trader_id, item.at, item.actor, tuple(item.orders or ()), bool(item.profile))

    def record_erasure(self, erasure: Erasure, entry: AuditEntry, idempotency_key: str | None) -> None:
        """The audit entry and the kept answer in one transaction; a concurrent request with the same key
        that recorded first wins (its answer is the one replayed)."""
        try:
            with TransactWrite(connection=_connection()) as transaction:
                AuditLog().append_in(transaction, entry)
                if idempotency_key is not None:
                    transaction.save(
                        ErasureItem(
                            keys.trader_pk(erasure.trader_id),
                            keys.erasure_sk(idempotency_key),
                            entity="erasure",
                            trader_id=erasure.trader_id,
                            at=erasure.at,
                            actor=erasure.actor,
                            orders=list(erasure.orders),
                            profile=erasure.profile,
                        ),
                        condition=ErasureItem.pk.does_not_exist(),
                    )
        except TransactWriteError as error:
            reasons = [reason.code for reason in error.cancellation_reasons if reason is not None]
            if idempotency_key is None or "ConditionalCheckFailed" not in reasons:
                raise


def _contact(item: OrderItem) -> OrderContact:
    return OrderContact(item.order_id, bool(item.email) or item.client_ip is not None)


def _connection() -> Any:
    return OrderItem._get_connection().connection
