"""WebSocket `$disconnect`: deletes the connection's item (a missing one is fine: its TTL may have won)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ConnectionsSettings
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.data.connections import ConnectionRepository


@functools.cache
def production_dependencies() -> ConnectionRepository:
    settings = ConnectionsSettings.from_env(os.environ)
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.connections import ConnectionRepository

    binding = TableBinding(
        connections_table_name=settings.connections_table_name,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
    )
    bind_tables(binding)
    return ConnectionRepository()


def process(
    event: dict[str, Any], context: LambdaContext, connections: ConnectionRepository
) -> dict[str, Any]:
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    if isinstance(connection_id, str) and connection_id:
        connections.delete(connection_id)
        logger.info("disconnected", extra={"connection_id": connection_id})
    return {"statusCode": 200, "body": "disconnected"}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
