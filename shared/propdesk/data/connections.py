"""WebSocket connections (their own table, expiring by TTL)."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from propdesk.data._conditions import condition_failed
from propdesk.data.models import ConnectionItem
from propdesk.records import Connection


class ConnectionRepository:
    def put(self, connection: Connection) -> None:
        ConnectionItem(
            connection.connection_id,
            trader_id=connection.trader_id,
            connected_at=connection.connected_at,
            expires_at=connection.expires_at,
            subscriptions=set(connection.subscriptions) or None,
            groups=set(connection.groups) or None,
        ).save()

    def get(self, connection_id: str) -> Connection | None:
        try:
            return _connection(ConnectionItem.get(connection_id, consistent_read=True))
        except ConnectionItem.DoesNotExist:
            return None

    def delete(self, connection_id: str) -> None:
        ConnectionItem(connection_id).delete()

    def unsubscribe(self, connection_id: str, topics: frozenset[str]) -> None:
        """Drop topics from a live connection (a connection already gone is left gone, not re-created)."""
        if not topics:
            return
        try:
            ConnectionItem(connection_id).update(
                actions=[ConnectionItem.subscriptions.delete(set(topics))],
                condition=ConnectionItem.connection_id.exists(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    def subscribe(self, connection_id: str, topics: frozenset[str]) -> bool:
        """Add topics to a live connection; False if the connection is gone."""
        if not topics:
            return self.get(connection_id) is not None
        try:
            ConnectionItem(connection_id).update(
                actions=[ConnectionItem.subscriptions.add(set(topics))],
                condition=ConnectionItem.connection_id.exists(),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def for_trader(self, trader_id: str) -> list[Connection]:
        return [_connection(item) for item in ConnectionItem.by_trader.query(trader_id)]


def _connection(item: ConnectionItem) -> Connection:
    return Connection(
        connection_id=item.connection_id,
        trader_id=item.trader_id,
        connected_at=item.connected_at,
        expires_at=item.expires_at,
        subscriptions=frozenset(item.subscriptions or ()),
        groups=frozenset(item.groups or ()),
    )
