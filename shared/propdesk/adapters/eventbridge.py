"""Publishes domain events to the propdesk EventBridge bus."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from propdesk.adapters.aws import events_client
from propdesk.domain_events import DomainEvent, entry

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

PUT_EVENTS_BATCH = 10


class PublishError(Exception):
    """EventBridge refused some entries; the caller's retry republishes (consumers dedupe by event_id)."""


class EventBridgePublisher:
    def __init__(self, event_bus_name: str, client: Callable[[], EventBridgeClient] = events_client) -> None:
        self._event_bus_name = event_bus_name
        self._client = client

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for start in range(0, len(events), PUT_EVENTS_BATCH):
            batch = events[start : start + PUT_EVENTS_BATCH]
            response = self._client().put_events(
                Entries=[entry(event, self._event_bus_name) for event in batch]  # type: ignore[misc]
            )
            if response.get("FailedEntryCount", 0):
                codes = sorted({e.get("ErrorCode", "?") for e in response["Entries"] if e.get("ErrorCode")})
                raise PublishError(f"{response['FailedEntryCount']} events not published: {', '.join(codes)}")
