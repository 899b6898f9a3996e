"""Live updates over WebSocket: subscribing (only to what the connection may read), resuming from a sequence
number, and fanning one update out to every subscriber, forgetting connections the gateway reports gone.

An update on a resumable topic (an account's) is kept in the feed before it is pushed, under its sequence
number, so that a client that missed it (offline, reconnecting, or a push lost to a crash between the two
steps) gets it by subscribing again with `since`. Pushes run concurrently: one update to a thousand
subscribers is a thousand independent `post_to_connection` calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from propdesk.access import AccountLookup, Identity, readable_account
from propdesk.errors import NotFoundError
from propdesk.observability import logger
from propdesk.ports import ConnectionPusher
from propdesk.realtime.topics import ACCOUNT, Topic, TopicError, parse_topic
from propdesk.realtime.updates import resync
from propdesk.records import Connection

FEED_RETENTION = timedelta(hours=24)
MAX_REPLAY = 200  # updates re-sent on one resume; a client further behind reloads over REST
FAN_OUT_WORKERS = 32


class ConnectionStore(Protocol):
    """Open WebSocket connections (`propdesk.data.connections.ConnectionRepository`)."""

    def get(self, connection_id: str) -> Connection | None: ...

    def delete(self, connection_id: str) -> None: ...

    def subscribe(self, connection_id: str, topics: frozenset[str]) -> bool:
        """Add topics to a live connection; False if the connection is gone."""
        ...

    def unsubscribe(self, connection_id: str, topics: frozenset[str]) -> None: ...


class SubscriptionStore(Protocol):
    """Who listens to which topic (`propdesk.data.realtime.SubscriptionRepository`)."""

    def add(self, connection_id: str, topics: Iterable[Topic], expires_at: datetime) -> None: ...

    def remove(self, connection_id: str, topic_names: Iterable[str]) -> None: ...

    def subscribers(self, topic: Topic) -> list[str]:
        """The connection ids subscribed to the topic."""
        ...


class FeedStore(Protocol):
    """Updates kept per resumable topic by sequence number (`propdesk.data.realtime.FeedRepository`)."""

    def append(self, topic: Topic, sequence: int, message: dict[str, Any], expires_at: datetime) -> bool:
        """Keep the update once; False when this sequence number is kept already."""
        ...

    def since(self, topic: Topic, after: int, limit: int) -> list[dict[str, Any]]:
        """Kept updates after sequence number `after`, oldest first, at most `limit`."""
        ...

    def latest(self, topic: Topic) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class Refusal:
    topic: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"topic": self.topic, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Subscribed:
    topics: tuple[str, ...]
    refused: tuple[Refusal, ...]
    replay: tuple[dict[str, Any], ...]  # kept updates (and resync notices) to send after the confirmation


@dataclass(frozen=True, slots=True)
class FanOut:
    subscribers: int
    delivered: int
    gone: tuple[str, ...] = field(default=())


class LiveFeed:
    def __init__(
        self,
        connections: ConnectionStore,
        subscriptions: SubscriptionStore,
        feed: FeedStore,
        pusher: ConnectionPusher,
        accounts: AccountLookup | None = None,
    ) -> None:
        self._connections = connections
        self._subscriptions = subscriptions
        self._feed = feed
        self._pusher = pusher
        self._accounts = accounts

    # ---------------------------------------------------------------- a connection's side

    def subscribe(self, connection: Connection, requested: Mapping[str, int | None]) -> Subscribed:
        """Subscribe to the topics the connection may read; `requested`: topic -> last seq seen or None."""
        allowed: list[tuple[Topic, int | None]] = []
        refused: list[Refusal] = []
        for name, since in requested.items():
            try:
                topic = parse_topic(name)
            except TopicError as error:
                refused.append(Refusal(name[:140], "validation_error", str(error)))
                continue
            refusal = self._refusal(connection, topic)
            if refusal:
                refused.append(refusal)
            else:
                allowed.append((topic, since))
        if allowed:
            self._subscriptions.add(connection.connection_id, [t for t, _ in allowed], connection.expires_at)
            self._connections.subscribe(connection.connection_id, frozenset(t.name for t, _ in allowed))
        replay = [message for topic, since in allowed for message in self._catch_up(topic, since)]
        return Subscribed(tuple(t.name for t, _ in allowed), tuple(refused), tuple(replay))

    def unsubscribe(self, connection_id: str, names: Iterable[str]) -> tuple[str, ...]:
        topics = tuple(dict.fromkeys(names))
        self._subscriptions.remove(connection_id, topics)
        self._connections.unsubscribe(connection_id, frozenset(topics))
        return topics

    def disconnect(self, connection_id: str) -> None:
        """Forget the connection and its subscriptions (a connection already forgotten is fine)."""
        connection = self._connections.get(connection_id)
        if connection is not None:
            self._subscriptions.remove(connection_id, connection.subscriptions)
        self._connections.delete(connection_id)

    # ---------------------------------------------------------------- the publishing side

    def publish(
        self, topic: Topic, message: dict[str, Any], now: datetime, sequence: int | None = None
    ) -> FanOut:
        """Keep (resumable topics) and push one update to every subscriber of the topic."""
        if topic.resumable and sequence is not None:
            self._feed.append(topic, sequence, message, now + FEED_RETENTION)
        subscribers = list(dict.fromkeys(self._subscriptions.subscribers(topic)))
        if not subscribers:
            return FanOut(0, 0)
        delivered = self._push_all(subscribers, message)
        gone = tuple(connection_id for connection_id, ok in delivered.items() if not ok)
        for connection_id in gone:
            self.disconnect(connection_id)
        return FanOut(len(subscribers), len(subscribers) - len(gone), gone)

    def _push_all(self, connection_ids: list[str], message: dict[str, Any]) -> dict[str, bool]:
        """Push to each connection: True delivered, False gone. A failure of one push (throttling, a network
        error) is logged and skips that connection only: its client catches up by resuming."""

        def push(connection_id: str) -> bool:
            try:
                return self._pusher.push(connection_id, message)
            except Exception:
                logger.warning("push failed", extra={"connection_id": connection_id}, exc_info=True)
                return True  # not known to be gone: keep the connection

        if len(connection_ids) == 1:
            return {connection_ids[0]: push(connection_ids[0])}
        with ThreadPoolExecutor(max_workers=min(FAN_OUT_WORKERS, len(connection_ids))) as pool:
            return dict(zip(connection_ids, pool.map(push, connection_ids), strict=True))

    # ---------------------------------------------------------------- rules

    def _refusal(self, connection: Connection, topic: Topic) -> Refusal | None:
        if topic.kind != ACCOUNT:
            return None  # leaderboards are public: display names only
        if connection.trader_id is None:
            return Refusal(topic.name, "unauthorized", "account topics need a signed-in connection")
        # The same answer whether the account is someone else's or does not exist: nothing leaks.
        not_yours = Refusal(topic.name, "not_found", f"no account {topic.subject!r} of yours")
        if self._accounts is None:
            return not_yours
        try:
            readable_account(self._accounts, Identity(connection.trader_id, connection.groups), topic.subject)
        except NotFoundError:
            return not_yours
        return None

    def _catch_up(self, topic: Topic, since: int | None) -> list[dict[str, Any]]:
        """What a (re)subscribing client is missing: the latest state, or every kept update after `since`.

        Sequence numbers are consecutive (every risk-state version is one update), so a first kept update
        that is not `since + 1` means the ones between have expired: the client is told to reload instead.
        """
        if not topic.resumable:
            return []
        if since is None:
            latest = self._feed.latest(topic)
            return [latest] if latest else []
        missed = self._feed.since(topic, since, MAX_REPLAY + 1)
        if len(missed) > MAX_REPLAY or (missed and int(missed[0].get("seq", 0)) != since + 1):
            return [resync(topic, since)]
        if not missed and self._feed.latest(topic) is None:
            return [resync(topic, since)]  # nothing kept at all: cannot prove nothing was missed
        return missed


class NoPusher:
    """For functions that only manage subscriptions (`$disconnect`): they never push."""

    def push(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        raise RuntimeError("this function does not push to connections")


class RememberedSubscribers:
    """A `SubscriptionStore` that reads a sharded topic's subscribers (a leaderboard: one Query per shard)
    once until `forget()`: a stream batch's standing moves on one board share one read of its subscribers.
    A connection subscribing meanwhile gets the board's moves from the next batch on; one removed is
    dropped from what is remembered. Account topics (one shard) are read on every publish."""

    def __init__(self, subscriptions: SubscriptionStore) -> None:
        self._subscriptions = subscriptions
        self._known: dict[str, list[str]] = {}

    def add(self, connection_id: str, topics: Iterable[Topic], expires_at: datetime) -> None:
        self._subscriptions.add(connection_id, topics, expires_at)

    def remove(self, connection_id: str, topic_names: Iterable[str]) -> None:
        names = list(topic_names)
        self._subscriptions.remove(connection_id, names)
        for name in names:
            if name in self._known:
                self._known[name] = [known for known in self._known[name] if known != connection_id]

    def subscribers(self, topic: Topic) -> list[str]:
        if topic.shards == 1:
            return self._subscriptions.subscribers(topic)
        if topic.name not in self._known:
            self._known[topic.name] = self._subscriptions.subscribers(topic)
        return list(self._known[topic.name])

    def forget(self) -> None:
        self._known.clear()
