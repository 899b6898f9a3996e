"""Notifications: a domain event becomes an item in the trader's outbox and a push to their open WebSockets.

Known detail types are validated against the event catalogue (a malformed one is an error for the caller to
report); other types (e.g. `purchase.*`, published by later features) are kept as they come. Events without a
`trader_id` concern nobody's outbox and are skipped, and so are events for staff only (`STAFF_ONLY`: fraud
findings must not tell the buyer which check fired). The outbox write is idempotent by event id: a redelivered
event is neither stored nor pushed again. A connection the gateway reports gone is forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from propdesk.domain_events import CATALOGUE, STAFF_ONLY, Envelope, parse
from propdesk.ports import ConnectionPusher
from propdesk.records import Connection, Notification


class Outbox(Protocol):
    """Traders' notifications (`propdesk.data.notifications.NotificationRepository`)."""

    def add(self, notification: Notification) -> bool:
        """Store the notification; False if this event was stored for the trader already."""
        ...


class TraderConnections(Protocol):
    """Open WebSocket connections by trader (`propdesk.data.connections.ConnectionRepository`)."""

    def for_trader(self, trader_id: str) -> list[Connection]: ...

    def delete(self, connection_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: str
    stored: bool
    pushed: int = 0
    gone: int = 0


class NotificationService:
    def __init__(
        self,
        notifications: Outbox,
        connections: TraderConnections,
        pusher: ConnectionPusher,
    ) -> None:
        self._notifications = notifications
        self._connections = connections
        self._pusher = pusher

    def deliver(self, envelope: Envelope) -> Delivery:
        detail: dict[str, Any] = envelope.detail
        if envelope.detail_type in CATALOGUE:
            detail = parse(envelope.detail_type, envelope.detail).model_dump(mode="json")
        event_id = str(detail.get("event_id") or envelope.id)
        trader_id = detail.get("trader_id")
        if not isinstance(trader_id, str) or not trader_id or envelope.detail_type in STAFF_ONLY:
            return Delivery(event_id=event_id, stored=False)
        notification = Notification(
            trader_id=trader_id,
            event_id=event_id,
            time=envelope.time,
            detail_type=envelope.detail_type,
            detail=detail,
        )
        if not self._notifications.add(notification):
            return Delivery(event_id=event_id, stored=False)
        message = {
            "type": "notification",
            "detail_type": envelope.detail_type,
            "event_id": event_id,
            "detail": detail,
        }
        pushed = gone = 0
        for connection in self._connections.for_trader(trader_id):
            if self._pusher.push(connection.connection_id, message):
                pushed += 1
            else:
                gone += 1
                self._connections.delete(connection.connection_id)
        return Delivery(event_id=event_id, stored=True, pushed=pushed, gone=gone)
