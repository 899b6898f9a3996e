"""The purchase routes (orders_api, wired from its environment against DynamoDB Local and the fake providers)
by every kind of caller, like tests/integration/api/test_api_authorization_matrix.py does for the others: no
identity is a 401, a trader sees only their own orders (another's is a 404, exactly like a missing one), and
only finance may refund."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.http.contract import OPERATIONS

from functions.orders_api import handler as orders_api
from tests.doubles.ports import InMemoryStaffMfa
from tests.integration.api.api_world import claims, request
from tests.integration.api.test_api_authorization_matrix import (
    ANONYMOUS,
    CALLERS,
    EXPIRED,
    FOREIGN,
    NO_SUBJECT,
    OWNER,
)
from tests.integration.dynamodb_local import TableNames
from tests.integration.purchases.purchase_stack_world import (
    CONTEXT,
    PurchaseStack,
    json_of,
    start_stack,
    stop_stack,
)

pytestmark = pytest.mark.integration

TRADER, OTHER = "matrix-owner", "matrix-other"
ROUTES = [op.operation_id for op in OPERATIONS if op.function == "orders_api"]
ORDER = {"program_id": "two-step-100k-phase-1", "currency": "USD", "payment_method": "card"}


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def identity(caller: str) -> dict[str, str] | None:
    from datetime import UTC, datetime, timedelta

    if caller == ANONYMOUS:
        return None
    if caller == NO_SUBJECT:
        return {"cognito:groups": "trader"}
    if caller == EXPIRED:
        return claims(TRADER, "trader", expires=datetime.now(UTC) - timedelta(seconds=1))
    if caller == OWNER:
        return claims(TRADER, "trader", expires=datetime.now(UTC) + timedelta(hours=1))
    if caller == FOREIGN:
        return claims(OTHER, "trader", expires=datetime.now(UTC) + timedelta(hours=1))
    return claims(f"{caller}-staff", caller, expires=datetime.now(UTC) + timedelta(hours=1))


def paid_order(stack: PurchaseStack) -> str:
    placed = stack.order(TRADER)
    assert placed["statusCode"] == 201, placed["body"]
    order_id = str(json_of(placed)["order"]["order_id"])
    session = next(s for s in stack.stripe.sessions.values() if s["metadata"]["order_id"] == order_id)
    assert stack.deliver_stripe(stack.stripe.pay(str(session["id"])))["statusCode"] == 200
    return order_id


EXPECTED: dict[str, dict[str, int]] = {
    # Anyone signed in may buy and list their own orders; staff are users too.
    "createOrder": {FOREIGN: 201, OWNER: 201, "support": 201, "finance": 201, "admin": 201, "risk": 201},
    "listOrders": {FOREIGN: 200, OWNER: 200, "support": 200, "finance": 200, "admin": 200, "risk": 200},
    # An order is its buyer's; staff who may read accounts read it too.
    "getOrder": {FOREIGN: 404, OWNER: 200, "support": 200, "finance": 200, "admin": 200, "risk": 200},
    "refundOrder": {FOREIGN: 403, OWNER: 403, "support": 403, "finance": 202, "admin": 403, "risk": 403},
}


@pytest.mark.parametrize("operation_id", ROUTES)
def test_every_caller_gets_exactly_what_its_role_allows(stack: PurchaseStack, operation_id: str) -> None:
    order_id = paid_order(stack)
    arguments: dict[str, dict[str, Any]] = {
        "createOrder": {"body": ORDER},
        "getOrder": {"path": {"order_id": order_id}},
        "refundOrder": {"path": {"order_id": order_id}, "body": {"reason": "asked within the 14-day window"}},
    }
    given = arguments.get(operation_id, {})

    outcomes, bodies = {}, {}
    for caller in CALLERS:
        event = request(operation_id, given.get("path"), identity(caller), None, given.get("body"))
        event["headers"].pop("Idempotency-Key", None)
        deps = dataclasses.replace(orders_api.production_dependencies(), staff_mfa=InMemoryStaffMfa())
        response = orders_api.process(event, CONTEXT, deps)
        outcomes[caller], bodies[caller] = response["statusCode"], response["body"]
        if response["statusCode"] >= 400:
            assert set(json_of(response)) == {"error"}, response["body"]

    unauthenticated = {caller: 401 for caller in (ANONYMOUS, NO_SUBJECT, EXPIRED)}
    assert outcomes == {**unauthenticated, **EXPECTED[operation_id]}
    if outcomes[FOREIGN] < 400:
        assert order_id not in bodies[FOREIGN], "a trader read another trader's order"
