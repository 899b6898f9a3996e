"""The trader's notification outbox: one item per domain event, written once."""

from __future__ import annotations

from propdesk.data import keys
from propdesk.data._conditions import saved_if_new
from propdesk.data.models import NotificationItem
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.records import Notification, Page


class NotificationRepository:
    def add(self, notification: Notification) -> bool:
        """Store the notification; False if this event was already stored for the trader."""
        item = NotificationItem(
            keys.trader_pk(notification.trader_id),
            keys.notification_sk(notification.time, notification.event_id),
            entity="notification",
            trader_id=notification.trader_id,
            event_id=notification.event_id,
            event_time=notification.time,
            detail_type=notification.detail_type,
            detail=notification.detail,
        )
        return saved_if_new(item, NotificationItem.pk.does_not_exist())

    def list_for_trader(
        self, trader_id: str, limit: int = 50, cursor: str | None = None
    ) -> Page[Notification]:
        partition = keys.trader_pk(trader_id)
        results = NotificationItem.query(
            partition,
            NotificationItem.sk.startswith(keys.NOTIFICATION_PREFIX),
            scan_index_forward=False,
            limit=check_limit(limit),
            last_evaluated_key=decode_cursor(cursor, "pk", partition),
        )
        return to_page(
            results,
            lambda item: Notification(
                trader_id=item.trader_id,
                event_id=item.event_id,
                time=item.event_time,
                detail_type=item.detail_type,
                detail=item.detail,
            ),
        )
