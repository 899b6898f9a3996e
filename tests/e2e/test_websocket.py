"""A real WebSocket client: $connect records the connection, $default answers, a domain event for the
trader reaches the socket (EventBridge rule → SQS → notifications → management API), and $disconnect
forgets the connection."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import websockets

from tests.e2e.harness import DeployedStack, bind_data_layer, eventually, publish

pytestmark = pytest.mark.e2e


async def receive_json(socket: Any, timeout: float = 30.0) -> dict[str, Any]:
    message = await asyncio.wait_for(socket.recv(), timeout=timeout)
    parsed: dict[str, Any] = json.loads(message)
    return parsed


def test_websocket_connection_lifecycle_and_a_pushed_breach(stack: DeployedStack) -> None:
    from propdesk.data.connections import ConnectionRepository
    from propdesk.domain_events import AccountBreached

    bind_data_layer(stack)
    trader_id = str(uuid.uuid4())

    async def session() -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(f"{stack.endpoints.websocket_url}?trader_id={trader_id}") as socket:
            await socket.send(json.dumps({"action": "ping"}))
            pong = await receive_json(socket)
            assert ConnectionRepository().for_trader(trader_id), "$connect did not record the connection"
            now = datetime.now(UTC)
            publish(stack, AccountBreached(
                event_id=uuid.uuid4().hex, occurred_at=now, account_id="e2e-ws", trader_id=trader_id,
                program_id="two-step-100k-phase-1", program_version=1, rule="daily_loss", effect="fail",
                limit=Decimal("95000.00"), value=Decimal("94000.00"), explanation="e2e", breached_at=now,
            ))
            pushed = await receive_json(socket, timeout=45)
            return pong, pushed

    pong, pushed = asyncio.run(session())

    assert pong["type"] == "pong"
    assert "account.breached" in json.dumps(pushed)
    eventually(lambda: not ConnectionRepository().for_trader(trader_id), timeout=30)
