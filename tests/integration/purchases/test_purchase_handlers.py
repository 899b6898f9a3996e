"""The purchase functions in-process, wired from their environment, against DynamoDB Local and the fake
providers: order → signed webhook → account on the fake platform → visible through the API; every webhook
forgery refused with 400 and no change; replays and out-of-order deliveries applied once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.orders import OrderRepository
from propdesk.data.sales import ReviewFlagRepository
from propdesk.purchases.errors import PURCHASE_REFUSED
from propdesk.purchases.fulfilment import account_id_for

from functions.provisioning import handler as provisioning
from tests.integration.dynamodb_local import TableNames
from tests.integration.purchases.purchase_stack_world import (
    CONTEXT,
    PurchaseStack,
    json_of,
    sqs_batch,
    start_stack,
    stop_stack,
)

pytestmark = pytest.mark.integration


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def place(stack: PurchaseStack, trader: str = "trader-1", **kwargs: object) -> dict[str, object]:
    response = stack.order(trader, **kwargs)  # type: ignore[arg-type]
    assert response["statusCode"] == 201, response["body"]
    order: dict[str, object] = json_of(response)["order"]
    return order


def header(response: dict[str, object], name: str) -> str | None:
    """REST proxy answers carry headers in `headers` or `multiValueHeaders`."""
    single: dict[str, Any] = response.get("headers") or {}  # type: ignore[assignment]
    multi: dict[str, list[Any]] = response.get("multiValueHeaders") or {}  # type: ignore[assignment]
    if name in single:
        return str(single[name])
    values = multi.get(name)
    return str(values[0]) if values else None


def session_of(stack: PurchaseStack, order_id: object) -> str:
    return str(next(s["id"] for s in stack.stripe.sessions.values() if s["metadata"]["order_id"] == order_id))


# ---- POST /v1/orders ----


def test_an_order_answers_201_with_a_stripe_checkout_page(stack: PurchaseStack) -> None:
    response = stack.order("trader-1", {"add_ons": ["split-90"], "discount_code": "launch10"}, key="k-1")
    assert response["statusCode"] == 201
    body = json_of(response)
    order = body["order"]
    assert (order["status"], order["total"], order["program_version"]) == ("pending", "575.10", 1)
    assert body["payment_url"].startswith(stack.stripe.url)
    session = stack.stripe.sessions[session_of(stack, order["order_id"])]
    assert session["amount_total"] == 57510 and session["currency"] == "usd"


def test_the_same_idempotency_key_replays_the_order(stack: PurchaseStack) -> None:
    first = json_of(stack.order("trader-1", key="same"))
    again = stack.order("trader-1", key="same")
    assert again["statusCode"] == 200
    assert header(again, "Idempotent-Replayed") == "true"
    assert json_of(again)["order"]["order_id"] == first["order"]["order_id"]
    assert len(stack.stripe.sessions) == 1
    reused = stack.order("trader-1", {"currency": "EUR"}, key="same")
    assert reused["statusCode"] == 422
    assert json_of(reused)["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("body", "raw", "status", "field"),
    [
        ({"program_id": "no-such-program"}, None, 404, "program_id"),
        ({"currency": "CHF"}, None, 422, "currency"),
        ({"add_ons": ["free-money"]}, None, 422, "add_ons"),
        ({"discount_code": "NOPE"}, None, 422, "discount_code"),
        ({"payment_method": "cheque"}, None, 422, "payment_method"),
        ({"surprise": True}, None, 422, "surprise"),
        (None, "{not json", 400, "body"),
    ],
)
def test_bad_orders_are_refused_with_a_reason_never_a_500(
    stack: PurchaseStack, body: dict[str, object] | None, raw: str | None, status: int, field: str
) -> None:
    response = stack.order("trader-1", body, raw=raw)
    assert response["statusCode"] == status, response["body"]
    assert json_of(response)["error"]["field"] == field


def test_a_fraud_block_is_a_generic_403_that_never_says_which_check_fired(
    stack: PurchaseStack, caplog: pytest.LogCaptureFixture
) -> None:
    response = stack.order("trader-1", email="someone@mailinator.com")

    assert response["statusCode"] == 403
    error = json_of(response)["error"]
    assert (error["code"], error["message"], error.get("field")) == (
        "purchase_blocked",
        PURCHASE_REFUSED,
        None,
    )
    assert "mailinator" not in response["body"] and "disposable" not in response["body"]
    assert "disposable" in logged(caplog)  # the reason is logged, for staff


def test_an_unconfirmed_email_cannot_buy(stack: PurchaseStack) -> None:
    response = stack.order("trader-1", email_verified="false")

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == "email"
    assert stack.stripe.requests == []


def test_a_country_header_the_client_writes_is_not_taken_as_the_callers_country(
    stack: PurchaseStack,
) -> None:
    response = stack.order("trader-1", {"billing_country": "GB"}, headers={"CloudFront-Viewer-Country": "US"})

    assert response["statusCode"] == 201, response["body"]
    order = OrderRepository().get(json_of(response)["order"]["order_id"])
    assert order is not None and order.client_country is None and not order.flags
    assert stack.bus.of_type("purchase.flagged") == []


def test_the_callers_ip_country_comes_from_the_geolocation_database_and_flags_a_mismatch(
    stack: PurchaseStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.orders_api import handler as orders_api

    monkeypatch.setenv("IP_COUNTRIES_DIRECTORY", "sample")  # the GeoLite2-format sample: 203.0.113.0/25 is AU
    orders_api.production_dependencies.cache_clear()

    response = stack.order("trader-1", {"billing_country": "GB"})  # from 203.0.113.7, the event's sourceIp

    assert response["statusCode"] == 201, response["body"]
    assert "AU" not in response["body"]  # the buyer is not told what the server derived
    order = OrderRepository().get(json_of(response)["order"]["order_id"])
    assert order is not None and order.client_country == "AU"
    (flag,) = order.flags
    assert flag.startswith("country_mismatch") and "IP address AU" in flag and "billing address GB" in flag


def test_a_providers_refusal_is_answered_without_its_words(
    stack: PurchaseStack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.stripe.fail_next(1, 400)  # Stripe answers with its own error message
    response = stack.order("trader-1", key="k-refused")

    assert response["statusCode"] == 422
    assert "injected" not in response["body"]
    assert "injected failure 400" in logged(caplog)  # logged, for staff


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return json.dumps([record.__dict__ for record in caplog.records], default=str)


def test_stripe_down_is_a_503_and_the_repeat_gets_the_page(stack: PurchaseStack) -> None:
    stack.stripe.fail_next(3, 503)  # the SDK retries twice on its own
    down = stack.order("trader-1", key="k-down")
    assert down["statusCode"] == 503 and header(down, "Retry-After") == "5"
    again = stack.order("trader-1", key="k-down")
    assert again["statusCode"] == 200 and json_of(again)["payment_url"]


# ---- order → signed webhook → account on the platform → visible through the API ----


def test_a_paid_order_ends_with_one_account_visible_through_the_api(stack: PurchaseStack) -> None:
    order = place(stack)
    answer = stack.deliver_stripe(stack.stripe.pay(session_of(stack, order["order_id"])))
    assert answer["statusCode"] == 200
    assert json_of(answer)["result"] == "applied" and json_of(answer)["order_status"] == "paid"
    assert stack.run_provisioning() == {"batchItemFailures": []}

    (platform_account,) = stack.match_trader.accounts_named(f"propdesk:{order['order_id']}")
    seen = json_of(stack.get_order("trader-1", str(order["order_id"])))
    assert seen["order"]["status"] == "provisioned"
    assert seen["order"]["account_id"] == account_id_for(str(order["order_id"]))
    assert [step["to_status"] for step in seen["history"]] == ["paid", "provisioned"]
    account = PurchaseAccountBook().get(seen["order"]["account_id"])
    assert account is not None and (account.program_id, account.program_version) == (
        "two-step-100k-phase-1",
        1,
    )
    (provisioned,) = stack.bus.of_type("account.provisioned")
    assert provisioned.model_dump()["login"] == str(platform_account["login"])
    assert stack.get_order("someone-else", str(order["order_id"]))["statusCode"] == 404
    assert stack.get_order("support-1", str(order["order_id"]), groups="support")["statusCode"] == 200


@pytest.mark.parametrize("forgery", ["tampered body", "wrong secret", "stale timestamp", "no signature"])
def test_a_forged_stripe_delivery_gets_400_and_changes_nothing(stack: PurchaseStack, forgery: str) -> None:
    order = place(stack)
    event = stack.stripe.pay(session_of(stack, order["order_id"]))
    body, headers = stack.stripe.delivery(event)
    if forgery == "tampered body":
        body = body.replace(b'"paid"', b'"PAID"')
    elif forgery == "wrong secret":
        headers = stack.stripe.delivery(event, secret="whsec_attacker")[1]
    elif forgery == "stale timestamp":
        headers = stack.stripe.delivery(event, timestamp=int(time.time()) - 600)[1]
    else:
        headers = {}
    answer = stack.stripe_delivery(body, headers)
    assert answer["statusCode"] == 400
    assert json_of(answer)["error"]["code"] == "bad_signature"
    assert json_of(stack.get_order("trader-1", str(order["order_id"])))["order"]["status"] == "pending"
    assert stack.bus.published == []


def test_a_delivery_replayed_ten_times_is_applied_once(stack: PurchaseStack) -> None:
    order = place(stack)
    event = stack.stripe.pay(session_of(stack, order["order_id"]))
    results = [json_of(stack.deliver_stripe(event))["result"] for _ in range(10)]
    assert results == ["applied"] + ["duplicate"] * 9
    assert len(stack.bus.of_type("purchase.completed")) == 1
    for _ in range(3):
        stack.bus.taken = 0  # the queue redelivers every message
        assert stack.run_provisioning() == {"batchItemFailures": []}
    assert len(stack.match_trader.prop_accounts) == 1


def test_out_of_order_refund_then_completion_leaves_no_account(stack: PurchaseStack) -> None:
    order = place(stack)
    session_id = session_of(stack, order["order_id"])
    completed = stack.stripe.pay(session_id)
    succeeded = stack.stripe.payment_intent_succeeded(session_id)
    refund = stack.stripe.refund(session_id)
    for event in (refund, succeeded, completed, refund):
        assert stack.deliver_stripe(event)["statusCode"] == 200
    stack.run_provisioning()
    assert json_of(stack.get_order("trader-1", str(order["order_id"])))["order"]["status"] == "refunded"
    assert stack.match_trader.prop_accounts == {}


def test_a_dispute_suspends_the_account_flags_the_trader_and_alerts_then_a_win_reinstates(
    stack: PurchaseStack,
) -> None:
    order = place(stack)
    order_id = str(order["order_id"])
    session_id = session_of(stack, order_id)
    stack.deliver_stripe(stack.stripe.pay(session_id))
    stack.run_provisioning()
    opened = stack.stripe.open_dispute(session_id)
    assert json_of(stack.deliver_stripe(opened))["order_status"] == "disputed"
    stack.run_provisioning()
    account_id = account_id_for(order_id)
    assert PurchaseAccountBook().get(account_id).status == "suspended"  # type: ignore[union-attr]
    (platform_account,) = stack.match_trader.prop_accounts.values()
    assert platform_account["status"] == "LOCKED_FAILED_CHALLENGE"
    assert ReviewFlagRepository().flags_for("trader-1")[0][0] == order_id
    assert stack.bus.of_type("firm.alert")
    won = stack.stripe.close_dispute(opened["data"]["object"]["id"], "won")
    assert json_of(stack.deliver_stripe(won))["order_status"] == "provisioned"
    stack.run_provisioning()
    assert PurchaseAccountBook().get(account_id).status == "active"  # type: ignore[union-attr]
    assert platform_account["status"] == "ACTIVE_PARTICIPATING_IN_CHALLENGE"


def test_while_the_platform_is_down_the_message_is_retried_and_the_order_stays_paid(
    stack: PurchaseStack,
) -> None:
    order = place(stack)
    stack.deliver_stripe(stack.stripe.pay(session_of(stack, order["order_id"])))
    stack.match_trader.down = True
    completed = stack.bus.take("purchase.completed")

    failed = provisioning.handler(sqs_batch(completed), CONTEXT)
    assert len(failed["batchItemFailures"]) == 1
    seen = json_of(stack.get_order("trader-1", str(order["order_id"])))["order"]
    assert (seen["status"], seen["provisioning"]) == ("paid", "pending")
    stack.match_trader.down = False
    stored = OrderRepository().get(str(order["order_id"]))
    assert stored is not None and stored.provisioning_lease_until is None  # released for the retry
    assert stored.provisioning_error and "Match-Trader" in stored.provisioning_error
    assert provisioning.handler(sqs_batch(completed), CONTEXT) == {"batchItemFailures": []}
    assert json_of(stack.get_order("trader-1", str(order["order_id"])))["order"]["status"] == "provisioned"


# ---- crypto ----


def test_a_crypto_order_is_paid_by_a_signed_coinbase_delivery(stack: PurchaseStack) -> None:
    order = place(stack, body={"payment_method": "crypto", "currency": "EUR"})
    assert str(order["payment_url"]).startswith(stack.coinbase.url)
    (charge,) = stack.coinbase.charges.values()
    answer = stack.deliver_coinbase(stack.coinbase.confirm(charge["code"]))
    assert json_of(answer)["order_status"] == "paid"
    forged = stack.deliver_coinbase(stack.coinbase.confirm(charge["code"]), secret="attacker")
    assert forged["statusCode"] == 400
    assert (
        stack.deliver_coinbase(stack.coinbase.expire(charge["code"]), provider="nowhere")["statusCode"] == 404
    )


def test_an_underpaid_crypto_charge_is_flagged_and_not_provisioned(stack: PurchaseStack) -> None:
    from decimal import Decimal

    order = place(stack, body={"payment_method": "crypto"})
    (charge,) = stack.coinbase.charges.values()
    answer = stack.deliver_coinbase(stack.coinbase.underpay(charge["code"], Decimal("500.00")))
    assert json_of(answer)["order_status"] == "pending"
    (flagged,) = stack.bus.of_type("purchase.flagged")
    assert flagged.model_dump()["reasons"] == ["crypto underpaid"]
    assert str(order["status"]) == "pending"


def test_a_crypto_payment_seen_on_chain_opens_no_account_until_coinbase_confirms_it(
    stack: PurchaseStack,
) -> None:
    order = place(stack, body={"payment_method": "crypto"})
    (charge,) = stack.coinbase.charges.values()

    seen = json_of(stack.deliver_coinbase(stack.coinbase.detect(charge["code"])))
    assert (seen["result"], seen["order_status"]) == ("applied", "pending")
    assert stack.bus.of_type("purchase.completed") == []
    stack.run_provisioning()
    assert len(stack.match_trader.prop_accounts) == 0

    confirmed = json_of(stack.deliver_coinbase(stack.coinbase.confirm(charge["code"])))
    assert confirmed["order_status"] == "paid"
    stack.run_provisioning()
    assert json_of(stack.get_order("trader-1", str(order["order_id"])))["order"]["status"] == "provisioned"


def test_a_confirmed_charge_without_the_payment_received_is_a_400_that_writes_nothing(
    stack: PurchaseStack,
) -> None:
    order = place(stack, body={"payment_method": "crypto"})
    (charge,) = stack.coinbase.charges.values()
    delivery = stack.coinbase.confirm(charge["code"])
    stripped = json.loads(json.dumps(delivery))
    stripped["event"]["data"]["payments"] = []
    published_before = len(stack.bus.published)
    before = OrderRepository().get(str(order["order_id"]))

    refused = stack.deliver_coinbase(stripped)

    assert refused["statusCode"] == 400
    assert "carries no payment" in json_of(refused)["error"]["message"]
    assert len(stack.bus.published) == published_before
    assert OrderRepository().get(str(order["order_id"])) == before
    # nothing was recorded for the event id: the complete delivery is applied, not taken for a duplicate
    assert json_of(stack.deliver_coinbase(delivery))["result"] == "applied"


def test_an_underpaid_charge_the_merchant_resolves_is_paid_provisioned_and_flagged(
    stack: PurchaseStack,
) -> None:
    from decimal import Decimal

    order = place(stack, body={"payment_method": "crypto"})
    (charge,) = stack.coinbase.charges.values()
    stack.deliver_coinbase(stack.coinbase.underpay(charge["code"], Decimal("538.50")))

    resolved = json_of(stack.deliver_coinbase(stack.coinbase.resolve(charge["code"])))

    assert resolved["order_status"] == "paid"
    flags = [event.model_dump()["reasons"] for event in stack.bus.of_type("purchase.flagged")]
    assert flags[-1] == ["paid 538.50 USD of 540.00 USD, accepted by the merchant at coinbase"]
    stack.run_provisioning()
    assert json_of(stack.get_order("trader-1", str(order["order_id"])))["order"]["status"] == "provisioned"


# ---- reconciliation ----


def test_reconciliation_reports_a_paid_order_the_webhook_never_reached(stack: PurchaseStack) -> None:
    order = place(stack)
    stack.stripe.pay(session_of(stack, order["order_id"]))  # paid at Stripe; the webhook is lost
    report = stack.reconcile()
    assert [(m["kind"], m["order_id"]) for m in report["mismatches"]] == [
        ("paid_not_recorded", order["order_id"])
    ]
    (alert,) = stack.bus.of_type("firm.alert")
    assert "paid_not_recorded" in alert.model_dump()["message"]


# ---- who may call ----


@pytest.mark.parametrize("operation_id", ["createOrder", "listOrders", "getOrder"])
def test_order_routes_need_a_valid_token(stack: PurchaseStack, operation_id: str) -> None:
    from datetime import UTC, datetime, timedelta

    from functions.orders_api import handler as orders_api
    from tests.integration.api.api_world import claims, request

    path = {"order_id": "ord_x"} if operation_id == "getOrder" else None
    body = (
        {"program_id": "two-step-100k-phase-1", "currency": "USD"} if operation_id == "createOrder" else None
    )
    expired = claims("trader-1", "trader", expires=datetime.now(UTC) - timedelta(seconds=1))
    for identity in (None, expired):
        answer = orders_api.handler(request(operation_id, path, identity, None, body), CONTEXT)
        assert answer["statusCode"] == 401, (identity, answer["body"])
    valid = claims("trader-1", "trader", expires=datetime.now(UTC) + timedelta(hours=1))
    mine = json_of(orders_api.handler(request("listOrders", None, valid), CONTEXT))
    assert mine == {"orders": [], "next_cursor": None}


def test_a_coinbase_delivery_replayed_ten_times_and_a_late_expiry_change_nothing_more(
    stack: PurchaseStack,
) -> None:
    place(stack, body={"payment_method": "crypto"})
    (charge,) = stack.coinbase.charges.values()
    confirmed = stack.coinbase.confirm(charge["code"])
    expired = stack.coinbase.expire(charge["code"])  # Coinbase's late, out-of-order failure notice
    results = [json_of(stack.deliver_coinbase(confirmed))["result"] for _ in range(10)]
    assert results == ["applied"] + ["duplicate"] * 9
    assert json_of(stack.deliver_coinbase(expired))["order_status"] == "paid"
    assert len(stack.bus.of_type("purchase.completed")) == 1
    stack.run_provisioning()
    assert len(stack.match_trader.prop_accounts) == 1
