"""Pending orders the platforms report (`propdesk.abuse.orders`), for the abuse detectors:
`ACCOUNT#{account}` / `PENDING#{time}#{event id}`, put only if absent (a redelivered push is one item and one
stream record), outside the account's `EVENT#` log (the risk engine neither replays nor counts them), kept
`RETENTION` (news straddling's memory), then TTL deletes them. The table's stream carries new items to
`abuse_detect`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from propdesk.data import keys
from propdesk.data._conditions import saved_if_new
from propdesk.data.models import PendingOrderItem
from propdesk.records import StoredEvent

RETENTION = timedelta(days=30)
ORDER_TYPE = "order_placed"


class PendingOrderRepository:
    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        """Store the order once: False when it is there already (a duplicate)."""
        item = PendingOrderItem(
            keys.account_pk(event.account_id),
            keys.pending_order_sk(event.time, event.event_id),
            entity="pending_order",
            account_id=event.account_id,
            event_id=event.event_id,
            event_time=event.time,
            payload=event.payload,
            received_at=received_at,
            expires_at=event.time + RETENTION,
        )
        return saved_if_new(item, PendingOrderItem.sk.does_not_exist())

    @staticmethod
    def from_stream_image(image: dict[str, Any]) -> StoredEvent:
        """A stream record's NewImage (DynamoDB JSON) as the stored order; raises on a malformed image."""
        item = PendingOrderItem.from_raw_data(image)
        if not item.sk.startswith(keys.PENDING_PREFIX):
            raise ValueError(f"not a pending order: {item.sk!r}")
        return StoredEvent(
            item.account_id, item.event_id, item.event_time, ORDER_TYPE, item.payload, sk=item.sk
        )
