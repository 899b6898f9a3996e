"""WebSocket `$connect`: records the connection (expiring after API Gateway's 2-hour connection limit).

The trader is the authorizer's principal when the route has one. Without one (the first version: anonymous
connections), outside `prod` the `trader_id` query parameter names the trader, so that dashboards and tests
receive that trader's notifications; in `prod` such a connection stays anonymous.
"""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ConnectionsSettings
from propdesk.data.records import Connection
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.data.connections import ConnectionRepository
    from propdesk.ports import Clock

CONNECTION_LIFETIME = timedelta(hours=2)


@functools.cache
def production_dependencies() -> tuple[ConnectionRepository, Clock, str]:
    settings = ConnectionsSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.connections import ConnectionRepository

    binding = TableBinding(
        connections_table_name=settings.connections_table_name,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
    )
    bind_tables(binding)
    return ConnectionRepository(), SystemClock(), settings.stage


def trader_of(event: dict[str, Any], stage: str) -> str | None:
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    principal = authorizer.get("principalId") or (authorizer.get("claims") or {}).get("sub")
    if isinstance(principal, str) and principal:
        return principal
    if stage == "prod":
        return None
    hinted = (event.get("queryStringParameters") or {}).get("trader_id")
    return hinted if isinstance(hinted, str) and 0 < len(hinted) <= 128 else None


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[ConnectionRepository, Clock, str]
) -> dict[str, Any]:
    connections, clock, stage = deps
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    if not isinstance(connection_id, str) or not connection_id:
        return {"statusCode": 400, "body": "no connection id"}
    now = clock.now()
    trader_id = trader_of(event, stage)
    connections.put(Connection(connection_id, trader_id, now, now + CONNECTION_LIFETIME))
    logger.info("connected", extra={"connection_id": connection_id, "identified": trader_id is not None})
    return {"statusCode": 200, "body": "connected"}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
