"""The realtime table: who is subscribed to a topic, and each resumable topic's recent updates.

Keys (see docs/data-model.md): a subscription is `SUB#{topic}#{shard}` / `{connection_id}`; a feed entry is
`FEED#{topic}` / `{sequence:012d}`, so a resume is one query from the client's last sequence number. Both
expire by TTL: subscriptions with their connection, feed entries after `FEED_RETENTION`.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import FeedEntryItem, SubscriptionItem
from propdesk.realtime.topics import Topic, parse_topic


class SubscriptionRepository:
    def add(self, connection_id: str, topics: Iterable[Topic], expires_at: datetime) -> None:
        with SubscriptionItem.batch_write() as batch:
            for topic in topics:
                batch.save(
                    SubscriptionItem(
                        _partition_of(topic, connection_id),
                        connection_id,
                        topic=topic.name,
                        connection_id=connection_id,
                        expires_at=expires_at,
                    )
                )

    def remove(self, connection_id: str, topic_names: Iterable[str]) -> None:
        """Forget the connection's subscriptions (names that no longer parse are skipped)."""
        with SubscriptionItem.batch_write() as batch:
            for name in topic_names:
                try:
                    topic = parse_topic(name)
                except ValueError:
                    continue
                batch.delete(SubscriptionItem(_partition_of(topic, connection_id), connection_id))

    def subscribers(self, topic: Topic) -> list[str]:
        """Connection ids subscribed to the topic: every shard queried at once (no Scan)."""
        if topic.shards == 1:
            return _shard_subscribers(keys.subscription_pk(topic.name, 0))
        partitions = [keys.subscription_pk(topic.name, shard) for shard in range(topic.shards)]
        with ThreadPoolExecutor(max_workers=len(partitions)) as pool:
            return [connection for shard in pool.map(_shard_subscribers, partitions) for connection in shard]


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


def _shard_subscribers(partition: str) -> list[str]:
    # Consistent: a subscriber who just read the feed (to catch up) must get every later update.
    items = SubscriptionItem.query(partition, attributes_to_get=["sk"], consistent_read=True)
    return [item.sk for item in items]


def _partition_of(topic: Topic, connection_id: str) -> str:
    return keys.subscription_pk(topic.name, topic.shard_of(connection_id))
