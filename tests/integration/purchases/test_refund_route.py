"""Finance refunds an order through `POST /v1/staff/orders/{id}/refunds` (orders_api wired from its
environment, DynamoDB Local, the fake Stripe): the refund reaches Stripe once under the order's idempotency
key, the request is in the order's history and the audit log (before/after) and answers 202; Stripe's
`charge.refunded` webhook then refunds the order and disables its account. Everything else is refused with
a reason."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.access import GRANTS, Permission
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.audit import AuditLog

from functions.orders_api import handler as orders_api
from tests.doubles.ports import InMemoryStaffMfa
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

REASON = "trader asked within the 14-day window, no trades placed"
FINANCE = "finance-fay"


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def refund(order_id: str, body: Any = None, staff: str = FINANCE, groups: str = "finance") -> dict[str, Any]:
    claims = {"sub": staff, "cognito:groups": groups, "email": f"{staff}@firm.example"}
    event = rest_request(
        "post_order",
        path=f"/v1/staff/orders/{order_id}/refunds",
        body=json.dumps({"reason": REASON} if body is None else body),
        path_parameters={"order_id": order_id},
        claims=claims,
    )
    event["resource"] = event["requestContext"]["resourcePath"] = "/v1/staff/orders/{order_id}/refunds"
    event["headers"].pop("Idempotency-Key", None)
    event["multiValueHeaders"].pop("Idempotency-Key", None)
    # finance signs in with MFA (the pool's check is the authorization matrix's business)
    deps = dataclasses.replace(orders_api.production_dependencies(), staff_mfa=InMemoryStaffMfa())
    return orders_api.process(event, CONTEXT, deps)


def session_of(stack: PurchaseStack, order_id: str) -> str:
    return str(next(s["id"] for s in stack.stripe.sessions.values() if s["metadata"]["order_id"] == order_id))


def provisioned_order(stack: PurchaseStack, trader: str = "trader-1") -> str:
    placed = stack.order(trader)
    assert placed["statusCode"] == 201, placed["body"]
    order_id = str(json_of(placed)["order"]["order_id"])
    assert stack.deliver_stripe(stack.stripe.pay(session_of(stack, order_id)))["statusCode"] == 200
    assert stack.run_provisioning() == {"batchItemFailures": []}
    return order_id


def order_detail(stack: PurchaseStack, order_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = json_of(stack.get_order("trader-1", order_id))
    return answer


def test_a_full_refund_is_sent_once_recorded_audited_and_confirmed_by_the_webhook(
    stack: PurchaseStack,
) -> None:
    order_id = provisioned_order(stack)

    response = refund(order_id)

    assert response["statusCode"] == 202, response["body"]
    answer = json_of(response)
    assert (answer["status"], answer["amount"], answer["currency"], answer["full"]) == (
        "refund_requested", "540.00", "USD", True,
    )  # fmt: skip
    assert answer["order_status"] == "provisioned" and answer["actor"] == FINANCE
    (sent,) = stack.stripe.refunds
    assert sent["amount"] == 54000 and sent["metadata"] == {"order_id": order_id, "reason": REASON}
    (call,) = [r for r in stack.stripe.requests if r.path == "/v1/refunds"]
    assert call.header("idempotency-key") == f"refund-{order_id}"
    detail = order_detail(stack, order_id)
    assert detail["order"]["status"] == "provisioned"
    assert detail["history"][-1]["cause"] == "staff.refund_requested"
    assert REASON in detail["history"][-1]["note"]
    (entry,) = AuditLog().for_subject(f"ORDER#{order_id}").items
    assert (entry.action, entry.actor, entry.actor_roles, entry.reason) == (
        "order.refund_requested", FINANCE, ("finance",), REASON,
    )  # fmt: skip
    account_id = detail["order"]["account_id"]
    assert entry.before == {
        "status": "provisioned", "amount_paid": "540.00", "currency": "USD", "account_id": account_id,
    }  # fmt: skip
    assert entry.after == {
        "status": "provisioned", "refund_requested": "540.00", "currency": "USD", "full": True,
    }  # fmt: skip

    confirmed = stack.deliver_stripe(stack.stripe.refund(session_of(stack, order_id)))
    assert json_of(confirmed)["order_status"] == "refunded"
    stack.run_provisioning()
    account = PurchaseAccountBook().get(str(account_id))
    assert account is not None and account.status == "disabled"


def test_a_second_request_is_a_409_and_reaches_stripe_no_more(stack: PurchaseStack) -> None:
    order_id = provisioned_order(stack)
    assert refund(order_id)["statusCode"] == 202

    again = refund(order_id, staff="finance-gus")

    assert again["statusCode"] == 409
    assert json_of(again)["error"]["code"] == "refund_already_requested"
    assert len([r for r in stack.stripe.requests if r.path == "/v1/refunds"]) == 1
    assert len(AuditLog().for_subject(f"ORDER#{order_id}").items) == 1


def test_a_refunded_order_answers_409_already_refunded(stack: PurchaseStack) -> None:
    order_id = provisioned_order(stack)
    stack.deliver_stripe(stack.stripe.refund(session_of(stack, order_id)))  # refunded in Stripe's dashboard

    response = refund(order_id)

    assert response["statusCode"] == 409
    assert json_of(response)["error"]["code"] == "already_refunded"
    assert stack.stripe.refunds == []


def test_a_partial_refund_sends_the_amount_and_keeps_the_account(stack: PurchaseStack) -> None:
    order_id = provisioned_order(stack)

    response = refund(order_id, {"reason": REASON, "amount": "100.5"})

    assert response["statusCode"] == 202, response["body"]
    assert (json_of(response)["amount"], json_of(response)["full"]) == ("100.50", False)
    (sent,) = stack.stripe.refunds
    assert sent["amount"] == 10050
    (entry,) = AuditLog().for_subject(f"ORDER#{order_id}").items
    assert entry.after is not None and entry.after["refund_requested"] == "100.50"
    webhook = stack.deliver_stripe(stack.stripe.refund(session_of(stack, order_id), amount=10050))
    assert json_of(webhook)["order_status"] == "provisioned"
    assert refund(order_id, {"reason": REASON, "amount": "10.00"})["statusCode"] == 409


@pytest.mark.parametrize(
    ("amount", "message"),
    [("540.01", "more than"), ("0", "more than zero"), ("1.001", "decimals")],
)
def test_an_amount_beyond_what_was_paid_or_finer_than_cents_is_a_422(
    stack: PurchaseStack, amount: str, message: str
) -> None:
    order_id = provisioned_order(stack)

    response = refund(order_id, {"reason": REASON, "amount": amount})

    assert response["statusCode"] == 422
    error = json_of(response)["error"]
    assert error["field"] == "amount" and message in error["message"]
    assert stack.stripe.refunds == []


def test_a_short_reason_is_a_422_and_an_unknown_order_a_404(stack: PurchaseStack) -> None:
    order_id = provisioned_order(stack)

    assert json_of(refund(order_id, {"reason": "because"}))["error"]["field"] == "reason"
    assert refund("ord_missing")["statusCode"] == 404


def test_unpaid_and_crypto_orders_are_refused_with_their_reason(stack: PurchaseStack) -> None:
    unpaid = str(json_of(stack.order("trader-1"))["order"]["order_id"])
    crypto = str(json_of(stack.order("trader-2", {"payment_method": "crypto"}))["order"]["order_id"])
    (charge,) = stack.coinbase.charges.values()
    stack.deliver_coinbase(stack.coinbase.confirm(charge["code"]))

    refused_unpaid, refused_crypto = refund(unpaid), refund(crypto)

    assert (refused_unpaid["statusCode"], json_of(refused_unpaid)["error"]["code"]) == (
        409, "order_not_refundable",
    )  # fmt: skip
    assert (refused_crypto["statusCode"], json_of(refused_crypto)["error"]["code"]) == (
        409, "refund_not_supported",
    )  # fmt: skip
    assert "by hand" in json_of(refused_crypto)["error"]["message"]


def test_stripe_down_is_a_503_and_the_repeat_refunds_once(stack: PurchaseStack) -> None:
    order_id = provisioned_order(stack)
    stack.stripe.fail_next(3, 503)  # the SDK retries twice on its own

    down = refund(order_id)

    assert down["statusCode"] == 503 and json_of(down)["error"]["code"] == "retry_later"
    assert AuditLog().for_subject(f"ORDER#{order_id}").items == []
    assert refund(order_id)["statusCode"] == 202
    assert len(stack.stripe.refunds) == 1


def test_only_finance_may_refund(stack: PurchaseStack) -> None:
    order_id = provisioned_order(stack)
    statuses = {
        caller: refund(order_id, staff=f"{caller}-1", groups=caller)["statusCode"]
        for caller in ("trader", "support", "risk", "admin")
    }

    assert statuses == dict.fromkeys(("trader", "support", "risk", "admin"), 403)
    assert GRANTS[Permission.REFUND_ORDERS] == {"finance"}
    assert stack.stripe.refunds == []
    assert refund(order_id)["statusCode"] == 202
