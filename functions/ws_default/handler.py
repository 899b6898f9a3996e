"""WebSocket `$default`: the client's JSON messages, answered through the management API (see
docs/websocket.md for the protocol).

- `{"action": "ping"}` → `{"type": "pong"}`;
- `{"action": "subscribe", "topics": ["account:acc-1", "leaderboard:p:day"], "since": {"account:acc-1": 41}}`
  → `{"type": "subscribed", "topics": [...], "refused": [...]}`, then what the client is missing on each
  account topic: every kept update after `since` (or the latest update when no `since` is given);
- `{"action": "unsubscribe", "topics": [...]}` → `{"type": "unsubscribed", "topics": [...]}`;
- anything else → `{"type": "error", "error": {"code", "message", "field"}}` (never a failed invocation).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import WsDefaultSettings
from propdesk.http.error_format import error_body, field_path
from propdesk.observability import observe
from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from propdesk.data.connections import ConnectionRepository
    from propdesk.ports import ConnectionPusher
    from propdesk.services.live_feed import LiveFeed

MAX_MESSAGE_BYTES = 32 * 1024
Topic = str


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    action: Literal["ping"]


class Subscribe(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    action: Literal["subscribe"]
    topics: list[Annotated[Topic, Field(min_length=1, max_length=300)]] = Field(min_length=1, max_length=20)
    since: dict[Topic, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    action: Literal["unsubscribe"]
    topics: list[Annotated[Topic, Field(min_length=1, max_length=300)]] = Field(min_length=1, max_length=20)


@dataclass(frozen=True)
class Dependencies:
    connections: ConnectionRepository
    pusher: ConnectionPusher
    feed: LiveFeed


@functools.cache
def production_dependencies() -> Dependencies:
    settings = WsDefaultSettings.from_env(os.environ)
    from propdesk.adapters.websocket import ApiGatewayPusher
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.connections import ConnectionRepository
    from propdesk.data.realtime import FeedRepository, SubscriptionRepository
    from propdesk.services.live_feed import LiveFeed

    binding = TableBinding(
        table_name=settings.table_name,
        connections_table_name=settings.connections_table_name,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        realtime_table_name=settings.realtime_table_name,
    )
    bind_tables(binding)
    connections, pusher = ConnectionRepository(), ApiGatewayPusher(settings.management_endpoint())
    feed = LiveFeed(connections, SubscriptionRepository(), FeedRepository(), pusher, AccountRepository())
    return Dependencies(connections, pusher, feed)


def answer(message: dict[str, Any] | None, connection_id: str, deps: Dependencies) -> list[dict[str, Any]]:
    """The replies to one client message, in the order they are to be sent."""
    if message is None:
        return [{"type": "error", **error_body("malformed_request", "messages are JSON objects", "body")}]
    try:
        action = message.get("action")
        if action == "ping":
            Ping.model_validate(message)
            return [{"type": "pong"}]
        if action == "subscribe":
            return subscribe(Subscribe.model_validate(message), connection_id, deps)
        if action == "unsubscribe":
            request = Unsubscribe.model_validate(message)
            return [
                {"type": "unsubscribed", "topics": list(deps.feed.unsubscribe(connection_id, request.topics))}
            ]
    except ValidationError as error:
        first = error.errors()[0]
        field = field_path(first["loc"]) or "body"
        return [{"type": "error", **error_body("validation_error", f"{field}: {first['msg']}", field)}]
    return [
        {
            "type": "error",
            **error_body("validation_error", "action must be ping, subscribe or unsubscribe", "action"),
        }
    ]


def subscribe(request: Subscribe, connection_id: str, deps: Dependencies) -> list[dict[str, Any]]:
    connection = deps.connections.get(connection_id)
    if connection is None:
        return [{"type": "error", **error_body("not_found", "this connection is not registered")}]
    requested = {topic: request.since.get(topic) for topic in request.topics}
    outcome = deps.feed.subscribe(connection, requested)
    confirmation = {
        "type": "subscribed",
        "topics": sorted(outcome.topics),
        "refused": [refusal.to_dict() for refusal in outcome.refused],
    }
    return [confirmation, *outcome.replay]


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
    for reply in answer(read_message(event.get("body")), connection_id, deps):
        if not deps.pusher.push(connection_id, reply):
            break  # the client has gone; $disconnect forgets it
    # The reply travels through the management API only: a body here would reach the client a second time
    # wherever the route has a route response (and does in the local cloud).
    return {"statusCode": 200}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
