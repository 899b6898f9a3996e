"""REST, Cognito-authenticated: `POST /v1/orders` (buy a program: priced, fraud-checked, a payment page from
Stripe Checkout or Coinbase Commerce; honours `Idempotency-Key`), `GET /v1/orders` (the caller's orders) and
`GET /v1/orders/{order_id}` (one order with its history; staff may read any), and for finance
`POST /v1/staff/orders/{order_id}/refunds` (refund a card order, all or part, with a reason: audited, 202
until Stripe's `charge.refunded` webhook confirms it; see `propdesk.purchases.refunds`). Routes, access and
models come from the contract (`propdesk.http.contract`).

201 with the order and its `payment_url`; a repeat with the same key answers 200 with the same order and
`Idempotent-Replayed: true`. New orders are rate limited per trader (429 + Retry-After; the limit is
`ORDER_CREATION` in the contract); a replay of a stored order is answered without counting. 4xx name the
reason (unknown program 404, pricing, a reused key or an unconfirmed e-mail 422); a fraud block is a 403 that
does not say which check fired (the reasons are logged for staff); a provider outage is 503 with
Retry-After: repeat with the same key.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import STAFF_ROLES
from propdesk.config import OrdersApiSettings
from propdesk.errors import InvalidInputError, NotFoundError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, count_rate_limit, route
from propdesk.http.schemas import purchases as schema
from propdesk.http.schemas import staff_admin
from propdesk.http.schemas.common import PageQuery
from propdesk.http.webhooks import answer_retry_later
from propdesk.money import money_str
from propdesk.observability import logger, metrics, observe
from propdesk.purchases.views import order_view, transition_view
from propdesk.services.rate_limits import RateLimiter

if TYPE_CHECKING:
    from propdesk.ports import Clock, StaffMfa
    from propdesk.purchases.checkout import CheckoutService
    from propdesk.purchases.orders import PaymentMethod
    from propdesk.purchases.ports import CardPayments, IpCountries, PaymentProvider
    from propdesk.purchases.refunds import RefundService
    from propdesk.purchases.store import OrderStore

app = build_rest_app()
answer_retry_later(app)


@dataclass(frozen=True)
class Dependencies:
    checkout: CheckoutService
    orders: OrderStore
    clock: Clock
    rate_limiter: RateLimiter
    refunds: RefundService
    staff_mfa: StaffMfa  # finance's and admin's actions need MFA (propdesk.http.routing)


@functools.cache
def production_dependencies() -> Dependencies:
    settings = OrdersApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.orders import OrderRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.data.sales import SalesCatalogueRepository, VelocityRepository
    from propdesk.purchases.checkout import CheckoutService, RedirectUrls
    from propdesk.purchases.refunds import RefundService
    from propdesk.wiring import purchases as production
    from propdesk.wiring.staff import staff_mfa

    production.bind(
        settings.table_name, settings.aws_region, settings.aws_endpoint_url, settings.audit_table_name
    )
    secrets = production.secrets()
    stripe = production.stripe_provider(settings, secrets)
    coinbase = production.coinbase_provider(settings, secrets)
    by_method: dict[PaymentMethod, PaymentProvider] = {}
    cards: dict[str, CardPayments] = {}  # the providers that can refund a payment through their API
    if stripe is not None:
        by_method["card"] = cards[stripe.name] = stripe
    if coinbase is not None:
        by_method["crypto"] = coinbase
    orders = OrderRepository()
    policy = production.fraud_policy(settings.fraud_actions)
    checkout = CheckoutService(
        orders,
        SalesCatalogueRepository(),
        VelocityRepository(policy.window),
        by_method,
        EventBridgePublisher(settings.event_bus_name),
        policy,
        RedirectUrls(settings.checkout_success_url, settings.checkout_cancel_url),
        lambda: f"ord_{uuid.uuid4().hex[:24]}",
        ip_countries=_ip_countries(settings.ip_countries_directory),
    )
    refunds = RefundService(orders, cards, lambda: uuid.uuid4().hex)
    return Dependencies(
        checkout, orders, SystemClock(), RateLimiter(DynamoWindowCounter()), refunds, staff_mfa(settings)
    )


def _ip_countries(directory: str) -> IpCountries | None:
    """The firm's geolocation database, if configured. One that cannot be read costs checkout its IP country
    (logged, counted), never the sale: the synthesis reads the same files first."""
    if not directory:
        return None
    from propdesk.adapters.geolite2 import GeoLite2Countries

    try:
        return GeoLite2Countries.from_directory(directory)
    except (OSError, ValueError) as error:
        logger.error("IP geolocation unavailable", extra={"directory": directory, "error": str(error)})
        metrics.add_metric(name="IpCountriesUnavailable", unit="Count", value=1)
        return None


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "createOrder")
def create_order(call: Call) -> Response[Any]:
    from propdesk.purchases.checkout import PlaceOrder

    request = call.body_as(schema.OrderRequest)
    event = app.current_event
    context = event.raw_event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidInputError("the signed-in user has no e-mail address to send the receipt to", "email")
    if str(claims.get("email_verified", "")).lower() != "true":  # a JSON boolean or the authorizer's string
        raise InvalidInputError("confirm your e-mail address before buying", "email")
    order = PlaceOrder(
        trader_id=call.caller.subject,
        email=email,
        program_id=request.program_id,
        currency=request.currency.upper(),
        payment_method=request.payment_method,
        add_ons=tuple(request.add_ons),
        discount_code=request.discount_code,
        billing_country=request.billing_country.upper() if request.billing_country else None,
        idempotency_key=call.idempotency_key,
        # API Gateway's own view of the caller; no country: the API has no CloudFront in front, so a
        # `CloudFront-Viewer-Country` header is whatever the client wrote (docs/security.md)
        client_ip=(context.get("identity") or {}).get("sourceIp"),
    )
    checkout = _deps().checkout
    if not checkout.has_placed(order):  # a replay neither places nor counts
        count_rate_limit(app, call.operation, call.caller, call.now, call.idempotency_key)
    placed = checkout.place(order, call.now)
    metrics.add_metric(name="OrdersReplayed" if placed.replayed else "OrdersPlaced", unit="Count", value=1)
    body = schema.OrderPlaced(
        order=schema.OrderOut.model_validate(order_view(placed.order)), payment_url=placed.order.payment_url
    )
    return Response(
        status_code=200 if placed.replayed else call.operation.status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json"),
        headers={"Idempotent-Replayed": "true"} if placed.replayed else None,
    )


@route(app, "listOrders")
def list_orders(call: Call) -> schema.OrderList:
    query = call.query_as(PageQuery)
    page = _deps().orders.list_for_trader(call.caller.subject, limit=query.limit, cursor=query.cursor)
    return schema.OrderList(
        orders=[schema.OrderOut.model_validate(order_view(order)) for order in page.items],
        next_cursor=page.next_cursor,
    )


@route(app, "getOrder")
def get_order(call: Call, order_id: str) -> schema.OrderDetail:
    orders = _deps().orders
    order = orders.get(order_id) if len(order_id) <= 128 else None
    if order is None or not call.caller.may_read_trader(order.trader_id):
        raise NotFoundError(f"no order {order_id!r}", "order_id")
    return schema.OrderDetail(
        order=schema.OrderOut.model_validate(order_view(order)),
        history=[schema.OrderStep.model_validate(transition_view(t)) for t in orders.history(order_id)],
    )


@route(app, "refundOrder")
def refund_order(call: Call, order_id: str) -> staff_admin.RefundRequested:
    from propdesk.purchases.refunds import RefundCommand

    request = call.body_as(staff_admin.RefundRequest)
    command = RefundCommand(
        order_id=order_id,
        actor=call.caller.actor,
        actor_roles=tuple(sorted(call.caller.groups & STAFF_ROLES)),
        reason=request.reason,
        amount=Decimal(request.amount) if request.amount is not None else None,
        at=call.now,
    )
    recorded = _deps().refunds.refund(command)
    metrics.add_metric(name="RefundsRequested", unit="Count", value=1)
    return staff_admin.RefundRequested(
        order_id=order_id,
        status="refund_requested",
        amount=money_str(recorded.amount),
        currency=recorded.order.currency,
        full=recorded.full,
        order_status=recorded.order.status,
        actor=command.actor,
        reason=command.reason,
        at=command.at,
    )


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    app.context["staff_mfa"] = deps.staff_mfa
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
