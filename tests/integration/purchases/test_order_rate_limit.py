"""New orders are rate limited per trader (the contract's `ORDER_CREATION`): the 11th within the window is a
429 with Retry-After in the one error format, another trader is unaffected, the next window is open again,
and replaying an order with its Idempotency-Key neither places nor counts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.http.contract import ORDER_CREATION

from functions.orders_api import handler as orders_api
from tests.doubles.ports import ManualClock
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import rest_request
from tests.integration.purchases.purchase_stack_world import (
    CONTEXT,
    PurchaseStack,
    json_of,
    start_stack,
    stop_stack,
)

pytestmark = pytest.mark.integration

WINDOW_START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a window boundary (multiple of 600 s)


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def order(trader: str, at: datetime, key: str | None = None) -> dict[str, Any]:
    """POST /v1/orders as `trader`, with the function's clock at `at`."""
    body = {"program_id": "two-step-100k-phase-1", "currency": "USD", "payment_method": "card"}
    event = rest_request(
        "post_order",
        body=json.dumps(body),
        claims={
            "sub": trader,
            "email": f"{trader}@example.com",
            "email_verified": "true",
            "cognito:groups": "trader",
        },
    )
    if key is None:
        event["headers"].pop("Idempotency-Key", None)
        event["multiValueHeaders"].pop("Idempotency-Key", None)
    else:
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
    deps = dataclasses.replace(orders_api.production_dependencies(), clock=ManualClock(at))
    return orders_api.process(event, CONTEXT, deps)


def retry_after(response: dict[str, Any]) -> str | None:
    headers = response.get("multiValueHeaders") or {}
    values = headers.get("Retry-After")
    return str(values[0]) if values else (response.get("headers") or {}).get("Retry-After")


def test_the_eleventh_order_in_ten_minutes_is_refused_with_retry_after(stack: PurchaseStack) -> None:
    at = WINDOW_START + timedelta(seconds=30)
    placed = [order("trader-busy", at)["statusCode"] for _ in range(ORDER_CREATION.limit)]

    refused = order("trader-busy", at + timedelta(seconds=30))
    other_trader = order("trader-calm", at + timedelta(seconds=30))
    next_window = order("trader-busy", WINDOW_START + timedelta(seconds=ORDER_CREATION.window_seconds))

    assert placed == [201] * ORDER_CREATION.limit
    assert refused["statusCode"] == 429
    assert retry_after(refused) == str(ORDER_CREATION.window_seconds - 60)
    assert json_of(refused) == {
        "error": {
            "code": "rate_limited",
            "message": f"at most 10 of these per 600 s; try again in {ORDER_CREATION.window_seconds - 60} s",
        }
    }
    assert len(stack.stripe.sessions) == ORDER_CREATION.limit + 2  # the refused one opened no checkout
    assert other_trader["statusCode"] == 201
    assert next_window["statusCode"] == 201


def test_replaying_an_order_with_its_idempotency_key_does_not_count(stack: PurchaseStack) -> None:
    at = WINDOW_START + timedelta(seconds=5)
    first = order("trader-retrying", at, key="retry-me")
    replays = [order("trader-retrying", at, key="retry-me")["statusCode"] for _ in range(15)]
    new_orders = [
        order("trader-retrying", at, key=f"new-{n}")["statusCode"] for n in range(ORDER_CREATION.limit)
    ]

    assert first["statusCode"] == 201
    assert replays == [200] * 15
    assert new_orders == [201] * (ORDER_CREATION.limit - 1) + [429]
    assert order("trader-retrying", at, key="retry-me")["statusCode"] == 200  # still served when limited
