"""WebSocket `$default`: the client's JSON messages, answered through the management API.

- `{"action": "ping"}` → `{"type": "pong"}`;
- `{"action": "subscribe", "topics": ["account:acc-1", ...]}` → topics added to the connection,
  `{"type": "subscribed", "topics": [...]}`;
- anything else → `{"type": "error", "error": {"code", "message", "field"}}` (never a failed invocation).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import WsDefaultSettings
from propdesk.http.errors import error_body, field_path
from propdesk.observability import observe
from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from propdesk.data.connections import ConnectionRepository
    from propdesk.ports import ConnectionPusher

MAX_MESSAGE_BYTES = 32 * 1024
Topic = str


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    action: Literal["ping"]


class Subscribe(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    action: Literal["subscribe"]
    topics: list[Topic] = Field(min_length=1, max_length=20)


@dataclass(frozen=True)
class Dependencies:
    connections: ConnectionRepository
    pusher: ConnectionPusher


@functools.cache
def production_dependencies() -> Dependencies:
    settings = WsDefaultSettings.from_env(os.environ)
    from propdesk.adapters.websocket import ApiGatewayPusher
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.connections import ConnectionRepository

    binding = TableBinding(
        connections_table_name=settings.connections_table_name,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
    )
    bind_tables(binding)
    return Dependencies(ConnectionRepository(), ApiGatewayPusher(settings.management_endpoint()))


def answer(message: dict[str, Any] | None, connection_id: str, deps: Dependencies) -> dict[str, Any]:
    if message is None:
        return {"type": "error", **error_body("malformed_request", "messages are JSON objects", "body")}
    try:
        if message.get("action") == "ping":
            Ping.model_validate(message)
            return {"type": "pong"}
        if message.get("action") == "subscribe":
            request = Subscribe.model_validate(message)
            topics = frozenset(topic for topic in request.topics if 0 < len(topic) <= 128)
            if not deps.connections.subscribe(connection_id, topics):
                return {"type": "error", **error_body("not_found", "this connection is not registered")}
            return {"type": "subscribed", "topics": sorted(topics)}
    except ValidationError as error:
        first = error.errors()[0]
        field = field_path(first["loc"]) or "body"
        return {"type": "error", **error_body("validation_error", f"{field}: {first['msg']}", field)}
    return {"type": "error", **error_body("validation_error", "action must be ping or subscribe", "action")}


def read_message(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, str) or len(body.encode()) > MAX_MESSAGE_BYTES:
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    if not isinstance(connection_id, str) or not connection_id:
        return {"statusCode": 400, "body": "no connection id"}
    reply = answer(read_message(event.get("body")), connection_id, deps)
    deps.pusher.push(connection_id, reply)
    # The reply travels through the management API only: a body here would reach the client a second time
    # wherever the route has a route response (and does in the local cloud).
    return {"statusCode": 200}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
