"""End to end in the local cloud: a signed-in trader orders a program, pays on the (fake) Stripe Checkout,
Stripe's signed webhook reaches the API, the provisioning queue opens the account on the (fake) Match-Trader,
and the trader sees the order provisioned and the account through the API."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.e2e.harness import eventually
from tests.e2e.purchase_cloud_world import PurchaseCloud

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the deploy: minutes when busy


@pytest.fixture(scope="module")
def shop(purchase_desk: PurchaseCloud) -> PurchaseCloud:
    warm_up(purchase_desk)
    return purchase_desk


def warm_up(shop: PurchaseCloud) -> None:
    """Ask the orders and accounts APIs and the Stripe webhook until each answers (a 4xx is an answer), so
    the tests' single calls meet warm functions: a cold start on a busy machine can outlast the function's
    20 s timeout (the gateway answers 502) or the client's 30 s."""
    token = shop.token()
    calls = (
        ("GET", "/v1/orders", None, {"Authorization": token}),
        ("GET", "/v1/accounts", None, {"Authorization": token}),
        ("POST", "/v1/webhooks/stripe", b"{}", {"Stripe-Signature": "t=0,v1=forged"}),
    )
    for call in calls:
        eventually(lambda call=call: answers(shop, *call), timeout=240, interval=2)  # type: ignore[misc]


def answers(shop: PurchaseCloud, method: str, path: str, body: Any, headers: dict[str, str]) -> bool:
    try:
        return bool(shop.stack.http(method, path, body, headers).status < 500)
    except OSError:  # no answer within the client's timeout
        return False


@pytest.fixture(scope="module")
def token(shop: PurchaseCloud) -> str:
    return shop.token()


def place_order(shop: PurchaseCloud, token: str, key: str) -> Any:
    return shop.stack.http(
        "POST",
        "/v1/orders",
        {"program_id": "two-step-100k-phase-1", "currency": "USD", "payment_method": "card"},
        {"Authorization": token, "Idempotency-Key": key},
    )


def test_order_to_signed_webhook_to_account_visible_through_the_api(shop: PurchaseCloud, token: str) -> None:
    placed = place_order(shop, token, f"e2e-{uuid.uuid4().hex}")
    assert placed.status == 201, placed.body
    order_id = placed.body["order"]["order_id"]
    assert placed.body["payment_url"].startswith(shop.stripe.url)
    session_id = next(s["id"] for s in shop.stripe.sessions.values() if s["metadata"]["order_id"] == order_id)

    delivered = shop.deliver_stripe(shop.stripe.pay(session_id))
    assert delivered.status == 200, delivered.body
    assert delivered.body["order_status"] == "paid"

    def provisioned() -> Any:
        seen = shop.stack.http("GET", f"/v1/orders/{order_id}", headers={"Authorization": token})
        return seen.body if seen.body["order"]["status"] == "provisioned" else None

    order = eventually(provisioned, timeout=240)["order"]  # the provisioning cold start, then SQS
    assert len(shop.match_trader.accounts_named(f"propdesk:{order_id}")) == 1
    account = shop.stack.http("GET", f"/v1/accounts/{order['account_id']}", headers={"Authorization": token})
    assert account.status == 200, account.body
    assert account.body["account"]["program_id"] == "two-step-100k-phase-1"


def test_a_forged_or_stale_webhook_is_refused_with_400(shop: PurchaseCloud, token: str) -> None:
    placed = place_order(shop, token, f"e2e-{uuid.uuid4().hex}")
    order_id = placed.body["order"]["order_id"]
    session_id = next(s["id"] for s in shop.stripe.sessions.values() if s["metadata"]["order_id"] == order_id)
    event = shop.stripe.pay(session_id)
    assert shop.deliver_stripe(event, secret="whsec_attacker").status == 400
    assert shop.deliver_stripe(event, timestamp=int(time.time()) - 900).status == 400
    seen = shop.stack.http("GET", f"/v1/orders/{order_id}", headers={"Authorization": token})
    assert seen.body["order"]["status"] == "pending"


def test_a_replayed_idempotency_key_returns_the_same_order(shop: PurchaseCloud, token: str) -> None:
    key = f"e2e-{uuid.uuid4().hex}"
    first, again = place_order(shop, token, key), place_order(shop, token, key)
    assert (first.status, again.status) == (201, 200)
    assert again.body["order"]["order_id"] == first.body["order"]["order_id"]
