"""REST, Cognito-authenticated: `POST /v1/orders` (buy a program: priced, fraud-checked, a payment page from
Stripe Checkout or Coinbase Commerce; honours `Idempotency-Key`), `GET /v1/orders` (the caller's orders) and
`GET /v1/orders/{order_id}` (one order with its history; staff may read any).

201 with the order and its `payment_url`; a repeat with the same key answers 200 with the same order and
`Idempotent-Replayed: true`. 4xx name the reason (unknown program 404, pricing or a reused key 422, a fraud
block 403); a provider outage is 503 with Retry-After: repeat with the same key.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.http.app import body_as, build_rest_app, query_int, query_str, resolve
from propdesk.http.errors import error_body
from propdesk.http.identity import caller_from_event
from propdesk.observability import metrics, observe
from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.settings import OrdersApiSettings
from propdesk.purchases.views import order_view, transition_view
from propdesk.services.errors import InvalidInputError, NotFoundError
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.purchases.checkout import CheckoutService
    from propdesk.purchases.orders import PaymentMethod
    from propdesk.purchases.ports import PaymentProvider
    from propdesk.purchases.store import OrderStore

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")
app = build_rest_app()


class OrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, str_strip_whitespace=True)

    program_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    payment_method: Literal["card", "crypto"] = "card"
    add_ons: list[str] = Field(default_factory=list, max_length=10)
    discount_code: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    billing_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class Dependencies:
    checkout: CheckoutService
    orders: OrderStore
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = OrdersApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.orders import OrderRepository
    from propdesk.data.sales import SalesCatalogueRepository, VelocityRepository
    from propdesk.purchases import production
    from propdesk.purchases.checkout import CheckoutService, RedirectUrls

    production.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    providers = production.payment_providers(settings, production.secrets())
    by_method: dict[PaymentMethod, PaymentProvider] = {}
    if "stripe" in providers:
        by_method["card"] = providers["stripe"]
    if "coinbase" in providers:
        by_method["crypto"] = providers["coinbase"]
    orders = OrderRepository()
    checkout = CheckoutService(
        orders,
        SalesCatalogueRepository(),
        VelocityRepository(),
        by_method,
        EventBridgePublisher(settings.event_bus_name),
        production.fraud_policy(settings.fraud_actions),
        RedirectUrls(settings.checkout_success_url, settings.checkout_cancel_url),
        lambda: f"ord_{uuid.uuid4().hex[:24]}",
    )
    return Dependencies(checkout, orders, SystemClock())


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@app.post("/v1/orders")
def place_order() -> Response[Any]:
    from propdesk.purchases.checkout import PlaceOrder

    event = app.current_event
    caller = caller_from_event(event.raw_event)
    request = body_as(app, OrderRequest)
    key = event.headers.get("Idempotency-Key") or event.headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise InvalidInputError("Idempotency-Key must be 1-255 letters, digits or _.:-", "Idempotency-Key")
    claims = (event.raw_event.get("requestContext") or {}).get("authorizer", {}).get("claims") or {}
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidInputError("the signed-in user has no e-mail address to send the receipt to", "email")
    identity = (event.raw_event.get("requestContext") or {}).get("identity") or {}
    placed = _deps().checkout.place(
        PlaceOrder(
            trader_id=caller.subject,
            email=email,
            program_id=request.program_id,
            currency=request.currency.upper(),
            payment_method=request.payment_method,
            add_ons=tuple(request.add_ons),
            discount_code=request.discount_code,
            billing_country=request.billing_country.upper() if request.billing_country else None,
            idempotency_key=key,
            client_ip=identity.get("sourceIp"),
            ip_country=event.headers.get("CloudFront-Viewer-Country")
            or event.headers.get("cloudfront-viewer-country"),
        ),
        _deps().clock.now(),
    )
    metrics.add_metric(name="OrdersReplayed" if placed.replayed else "OrdersPlaced", unit="Count", value=1)
    return Response(
        status_code=200 if placed.replayed else 201,
        content_type=content_types.APPLICATION_JSON,
        body={"order": order_view(placed.order), "payment_url": placed.order.payment_url},
        headers={"Idempotent-Replayed": "true"} if placed.replayed else None,
    )


@app.get("/v1/orders")
def list_orders() -> dict[str, Any]:
    caller = caller_from_event(app.current_event.raw_event)
    limit = query_int(app, "limit", default=20, minimum=1, maximum=100)
    page = _deps().orders.list_for_trader(caller.subject, limit=limit, cursor=query_str(app, "cursor"))
    return {"orders": [order_view(order) for order in page.items], "next_cursor": page.next_cursor}


@app.get("/v1/orders/<order_id>")
def get_order(order_id: str) -> dict[str, Any]:
    caller = caller_from_event(app.current_event.raw_event)
    orders = _deps().orders
    order = orders.get(order_id) if len(order_id) <= 128 else None
    if order is None or not caller.may_read_trader(order.trader_id):
        raise NotFoundError(f"no order {order_id!r}", "order_id")
    return {"order": order_view(order), "history": [transition_view(t) for t in orders.history(order_id)]}


def _retry_later(error: RetryLaterError) -> Response[Any]:
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(error.code, error.message),
        headers={"Retry-After": "5"},
    )


app.exception_handler(RetryLaterError)(_retry_later)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
