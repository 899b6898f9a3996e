"""WebSocket `$connect`: records the connection (expiring after API Gateway's 2-hour connection limit).

The route's authorizer (`ws_authorizer`) has verified the caller's Cognito token: the connection belongs to
its principal, with the token's groups (staff roles), which decide what the connection may subscribe to.
A connection without an authorizer's principal is refused.
"""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ConnectionsSettings
from propdesk.observability import logger, observe
from propdesk.records import Connection

if TYPE_CHECKING:
    from propdesk.data.connections import ConnectionRepository
    from propdesk.ports import Clock

CONNECTION_LIFETIME = timedelta(hours=2)


@functools.cache
def production_dependencies() -> tuple[ConnectionRepository, Clock]:
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
    return ConnectionRepository(), SystemClock()


def identity_of(event: dict[str, Any]) -> tuple[str, frozenset[str]] | None:
    """The authorizer's principal and the groups it passed on; None without a principal."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    principal = authorizer.get("principalId")
    if not isinstance(principal, str) or not principal or principal == "anonymous":
        return None
    groups = authorizer.get("groups")
    names = frozenset(g for g in groups.split(",") if g) if isinstance(groups, str) else frozenset()
    return principal, names


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[ConnectionRepository, Clock]
) -> dict[str, Any]:
    connections, clock = deps
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    if not isinstance(connection_id, str) or not connection_id:
        return {"statusCode": 400, "body": "no connection id"}
    identity = identity_of(event)
    if identity is None:
        return {"statusCode": 401, "body": "a verified token is needed"}
    now = clock.now()
    subject, groups = identity
    connections.put(Connection(connection_id, subject, now, now + CONNECTION_LIFETIME, groups=groups))
    logger.info("connected", extra={"connection_id": connection_id})
    return {"statusCode": 200, "body": "connected"}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
