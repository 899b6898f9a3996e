"""The realtime table: who is subscribed to a topic, and each resumable topic's recent updates.

Keys (see docs/data-model.md): a subscription is `SUB#{topic}#{shard}` / `{connection_id}`; a feed entry is
`FEED#{topic}` / `{sequence:012d}`, so a resume is one query from the client's last sequence number. Both
expire by TTL: subscriptions with their connection, feed entries after `FEED_RETENTION`.

A sharded topic (a leaderboard: a Query per shard to read its subscribers) also has a subscriber count,
`SUBCOUNT#{topic}` / `COUNT`, so that a board nobody watches costs one read, not one per shard. The count
moves only in the transaction that puts (absent before) or deletes (present before) a subscription item, and
a decrement is conditional on the count being positive: it never goes below zero and never below the
subscriptions there are. A subscription expiring by TTL leaves it above the truth: a read of the shards that
finds none sets it to 0, conditional on no change since the count was read (`changes`, bumped by every
transaction). A board whose count item does not exist yet (subscriptions older than the count) is read as
before, and a read that finds it empty starts its count at 0 (the same condition: the item still absent).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import FeedEntryItem, RealtimeTableModel, SubscriberCountItem, SubscriptionItem
from propdesk.realtime.topics import Topic, parse_topic

TRANSACTION_CANCELED = "TransactionCanceledException"
CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_ATTEMPTS = 4  # a conflict with another subscription's transaction on the same count


class SubscriptionRepository:
    def add(self, connection_id: str, topics: Iterable[Topic], expires_at: datetime) -> None:
        """Subscribe the connection (again: nothing changes). A sharded topic's subscription is put with its
        count's increment in one transaction, when it is new."""
        counted = [topic for topic in topics if topic.shards > 1]
        with SubscriptionItem.batch_write() as batch:
            for topic in topics:
                if topic.shards == 1:
                    batch.save(_subscription(topic, connection_id, expires_at))
        for topic in counted:
            _add_counted(topic, connection_id, expires_at)

    def remove(self, connection_id: str, topic_names: Iterable[str]) -> None:
        """Forget the connection's subscriptions (names that no longer parse are skipped); a sharded topic's
        with its count's decrement, when there was one."""
        counted: list[Topic] = []
        with SubscriptionItem.batch_write() as batch:
            for name in topic_names:
                try:
                    topic = parse_topic(name)
                except ValueError:
                    continue
                if topic.shards > 1:
                    counted.append(topic)
                else:
                    batch.delete(SubscriptionItem(_partition_of(topic, connection_id), connection_id))
        for topic in counted:
            _forget_counted(topic, connection_id)

    def subscribers(self, topic: Topic) -> list[str]:
        """Connection ids subscribed to the topic: every shard queried at once (no Scan); none read for a
        sharded topic whose count says nobody watches."""
        if topic.shards == 1:
            return _shard_subscribers(keys.subscription_pk(topic.name, 0))
        count = _read_count(topic)
        if count is not None and count.subscribers == 0:
            return []
        partitions = [keys.subscription_pk(topic.name, shard) for shard in range(topic.shards)]
        with ThreadPoolExecutor(max_workers=len(partitions)) as pool:
            found = [connection for shard in pool.map(_shard_subscribers, partitions) for connection in shard]
        if not found:
            _reset_count(topic, count)
        return found

    def subscriber_count(self, topic: Topic) -> int | None:
        """A sharded topic's subscriber count (None: not kept yet)."""
        count = _read_count(topic)
        return None if count is None else int(count.subscribers or 0)


class FeedRepository:
    def append(self, topic: Topic, sequence: int, message: dict[str, Any], expires_at: datetime) -> bool:
        """Keep the update for resuming; False when that sequence number is stored already (a redelivery)."""
        try:
            FeedEntryItem(
                keys.feed_pk(topic.name),
                keys.feed_sk(sequence),
                topic=topic.name,
                sequence=sequence,
                message=message,
                expires_at=expires_at,
            ).save(condition=FeedEntryItem.pk.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def since(self, topic: Topic, after: int, limit: int) -> list[dict[str, Any]]:
        """The kept updates with a sequence number above `after`, oldest first, at most `limit`."""
        after_key = FeedEntryItem.sk > keys.feed_sk(after)
        items = FeedEntryItem.query(keys.feed_pk(topic.name), after_key, limit=limit, consistent_read=True)
        return [dict(item.message) for item in items]

    def latest(self, topic: Topic) -> dict[str, Any] | None:
        for item in FeedEntryItem.query(
            keys.feed_pk(topic.name), scan_index_forward=False, limit=1, consistent_read=True
        ):
            return dict(item.message)
        return None

    def oldest_sequence(self, topic: Topic) -> int | None:
        for item in FeedEntryItem.query(keys.feed_pk(topic.name), limit=1, consistent_read=True):
            return int(item.sequence)
        return None


def _subscription(topic: Topic, connection_id: str, expires_at: datetime) -> SubscriptionItem:
    return SubscriptionItem(
        _partition_of(topic, connection_id),
        connection_id,
        topic=topic.name,
        connection_id=connection_id,
        expires_at=expires_at,
    )


def _count(topic: Topic) -> SubscriberCountItem:
    return SubscriberCountItem(keys.subscriber_count_pk(topic.name), keys.SUBSCRIBER_COUNT_SK)


def _add_counted(topic: Topic, connection_id: str, expires_at: datetime) -> None:
    """Put a sharded topic's subscription and increment its count, together, unless it is there already."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with _Transaction() as transaction:
                transaction.save(
                    _subscription(topic, connection_id, expires_at),
                    condition=SubscriptionItem.sk.does_not_exist(),
                )
                transaction.update(
                    _count(topic), actions=[SubscriberCountItem.subscribers.add(1), _changed()]
                )
            return
        except TransactWriteError as error:
            reasons = _reasons(error)
            if reasons[:1] == [CONDITION_FAILED]:
                return  # subscribed already: the count counts it
            if attempt + 1 == TRANSACTION_ATTEMPTS:
                raise  # a conflict on the count, every time


def _changed() -> Action:
    return SubscriberCountItem.changes.add(1)


def _forget_counted(topic: Topic, connection_id: str) -> None:
    """Delete a sharded topic's subscription and decrement its count, together. When the subscription is
    gone already (TTL, removed before): nothing to do; when the count is 0 already (a count started after the
    subscription was made): the subscription is deleted alone."""
    item = SubscriptionItem(_partition_of(topic, connection_id), connection_id)
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with _Transaction() as transaction:
                transaction.delete(item, condition=SubscriptionItem.sk.exists())
                transaction.update(
                    _count(topic),
                    actions=[SubscriberCountItem.subscribers.add(-1), _changed()],
                    condition=SubscriberCountItem.subscribers > 0,
                )
            return
        except TransactWriteError as error:
            reasons = _reasons(error)
            if reasons[:1] == [CONDITION_FAILED]:
                return
            if reasons[1:2] == [CONDITION_FAILED]:
                item.delete()
                return
            if attempt + 1 == TRANSACTION_ATTEMPTS:
                raise


def _read_count(topic: Topic) -> SubscriberCountItem | None:
    # Consistent: a subscription confirmed to its client is counted.
    try:
        return SubscriberCountItem.get(
            keys.subscriber_count_pk(topic.name), keys.SUBSCRIBER_COUNT_SK, consistent_read=True
        )
    except SubscriberCountItem.DoesNotExist:
        return None


def _reset_count(topic: Topic, seen: SubscriberCountItem | None) -> None:
    """Nobody found on any shard: the count becomes 0, unless a subscription changed since it was read."""
    unchanged = (
        SubscriberCountItem.pk.does_not_exist()
        if seen is None
        else SubscriberCountItem.changes == int(seen.changes or 0)
    )
    actions: list[Action] = [
        SubscriberCountItem.subscribers.set(0),
        SubscriberCountItem.changes.set(SubscriberCountItem.changes | 0),  # kept (0 when starting)
    ]
    try:
        _count(topic).update(actions=actions, condition=unchanged)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _reasons(error: TransactWriteError) -> list[str | None]:
    """Each item's cancellation code (None: not the cause); re-raises what is not a cancellation."""
    if error.cause_response_code != TRANSACTION_CANCELED:
        raise error
    return [reason.code if reason is not None else None for reason in error.cancellation_reasons]


class _Transaction(TransactWrite):
    """A write transaction on the bound realtime table."""

    def __init__(self) -> None:
        meta = RealtimeTableModel.Meta
        region, host = getattr(meta, "region", None), getattr(meta, "host", None)
        super().__init__(connection=Connection(region=region, host=host))


def _shard_subscribers(partition: str) -> list[str]:
    # Consistent: a subscriber who just read the feed (to catch up) must get every later update.
    items = SubscriptionItem.query(partition, attributes_to_get=["sk"], consistent_read=True)
    return [item.sk for item in items]


def _partition_of(topic: Topic, connection_id: str) -> str:
    return keys.subscription_pk(topic.name, topic.shard_of(connection_id))
