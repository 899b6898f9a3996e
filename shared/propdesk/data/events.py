"""Normalized trading events: immutable, idempotent by their key, replayed in key (= time) order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from propdesk.data import keys
from propdesk.data._conditions import saved_if_new
from propdesk.data.models import TradingEventItem
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.records import Page, StoredEvent

# Greater than any event key: key times start with a digit, and "~" sorts after every digit.
_AFTER_LAST_EVENT = f"{keys.EVENT_PREFIX}~"
# Trade executions; they are also indexed on GSI1 (`FILLS#{account_id}`) so that trade history skips ticks.
FILL_TYPES = frozenset({"position_opened", "position_closed"})


class TradingEventRepository:
    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        """Store the event once: False when an event with the same key is already there (a duplicate)."""
        sk = keys.event_sk(event.time, event.event_id)
        is_fill = event.type in FILL_TYPES
        item = TradingEventItem(
            keys.account_pk(event.account_id),
            sk,
            entity="trading_event",
            account_id=event.account_id,
            event_id=event.event_id,
            event_time=event.time,
            event_type=event.type,
            payload=event.payload,
            received_at=received_at,
            gsi1pk=keys.fills_partition(event.account_id) if is_fill else None,
            gsi1sk=sk if is_fill else None,
        )
        return saved_if_new(item, TradingEventItem.pk.does_not_exist())

    def replay(self, account_id: str, after_sk: str | None = None) -> Iterator[StoredEvent]:
        """The account's events in time order, all of them or only those after the `after_sk` watermark."""
        lower = after_sk or keys.EVENT_PREFIX
        for item in TradingEventItem.query(
            keys.account_pk(account_id),
            TradingEventItem.sk.between(lower, _AFTER_LAST_EVENT),
            consistent_read=True,
        ):
            if item.sk != after_sk:
                yield _stored(item)

    def latest_event_time(self, account_id: str) -> datetime | None:
        """The time of the account's latest trading event (one query of one item; None: none yet)."""
        for item in TradingEventItem.query(
            keys.account_pk(account_id),
            TradingEventItem.sk.between(keys.EVENT_PREFIX, _AFTER_LAST_EVENT),
            scan_index_forward=False,
            limit=1,
        ):
            return item.event_time
        return None

    def count_until(self, account_id: str, until_sk: str) -> int:
        """How many events the account has up to and including `until_sk`."""
        return TradingEventItem.count(
            keys.account_pk(account_id),
            TradingEventItem.sk.between(keys.EVENT_PREFIX, until_sk),
            consistent_read=True,
        )

    def get(self, account_id: str, time: datetime, event_id: str) -> StoredEvent | None:
        try:
            item = TradingEventItem.get(keys.account_pk(account_id), keys.event_sk(time, event_id))
        except TradingEventItem.DoesNotExist:
            return None
        return _stored(item)

    def list_fills(
        self,
        account_id: str,
        limit: int = 50,
        cursor: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        newest_first: bool = True,
    ) -> Page[StoredEvent]:
        """The account's trade executions in [start, end), a page in time order (newest first by default)."""
        partition = keys.fills_partition(account_id)
        lower = keys.EVENT_PREFIX + (keys.key_time(start) if start else "")
        upper = keys.EVENT_PREFIX + keys.key_time(end) if end else _AFTER_LAST_EVENT
        results = TradingEventItem.fills.query(
            partition,
            TradingEventItem.gsi1sk.between(lower, upper),
            limit=check_limit(limit),
            scan_index_forward=not newest_first,
            last_evaluated_key=decode_cursor(cursor, "gsi1pk", partition),
        )
        return to_page(results, _stored)

    @staticmethod
    def from_stream_image(image: dict[str, Any]) -> StoredEvent:
        """Read a stream record's NewImage (DynamoDB JSON) as a stored event; raises on a malformed image."""
        item = TradingEventItem.from_raw_data(image)
        if not item.sk.startswith(keys.EVENT_PREFIX):
            raise ValueError(f"not a trading event: {item.sk!r}")
        return _stored(item)


def _stored(item: TradingEventItem) -> StoredEvent:
    return StoredEvent(
        account_id=item.account_id,
        event_id=item.event_id,
        time=item.event_time,
        type=item.event_type,
        payload=item.payload,
        sk=item.sk,
    )
