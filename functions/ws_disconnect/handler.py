"""WebSocket `$disconnect`: forgets the connection and its subscriptions (a missing one is fine: its TTL may
have won)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import WsDisconnectSettings
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.services.live_feed import LiveFeed


@functools.cache
def production_dependencies() -> LiveFeed:
    settings = WsDisconnectSettings.from_env(os.environ)
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.connections import ConnectionRepository
    from propdesk.data.realtime import FeedRepository, SubscriptionRepository
    from propdesk.services.live_feed import LiveFeed, NoPusher

    binding = TableBinding(
        connections_table_name=settings.connections_table_name,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        realtime_table_name=settings.realtime_table_name,
    )
    bind_tables(binding)
    return LiveFeed(ConnectionRepository(), SubscriptionRepository(), FeedRepository(), NoPusher())


def process(event: dict[str, Any], context: LambdaContext, feed: LiveFeed) -> dict[str, Any]:
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    if isinstance(connection_id, str) and connection_id:
        feed.disconnect(connection_id)
        logger.info("disconnected", extra={"connection_id": connection_id})
    return {"statusCode": 200, "body": "disconnected"}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
