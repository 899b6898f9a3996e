"""Payout REST routes (Cognito; routes, access and models in propdesk.http.contract; the use cases in
propdesk.payouts.requests):

- `GET /v1/accounts/{id}/payouts/eligibility` (its trader, or staff `read_accounts`): every payout rule's
  verdict now with its figures, from the same evaluation a request meets (`propdesk.payouts.assess`);
- `POST /v1/accounts/{id}/payouts` (the account's trader): request a payout of closed profit (`{}` asks for
  all that is withdrawable); 201, or 200 + `Idempotent-Replayed: true` for a repeat with the same
  `Idempotency-Key`; a refusal answers 409 (the account, KYC, schedule, an open payout) or 422 (the
  amount) with the rule's reason code; 3 requests an hour per trader, replays free (429 + Retry-After);
  publishes `payout.requested`;
- `GET /v1/accounts/{id}/payouts`: the account's payouts, newest first (its trader, or staff `read_accounts`);
- `GET /v1/staff/payouts?status=` (finance, admin): the queue, oldest first;
- `POST /v1/staff/payouts/{id}/decision` (finance): approve or reject once, with a reason, audited in the same
  transaction; publishes `payout.approved` or `payout.rejected` and resumes the payout workflow waiting for
  the decision (never the requester's own; two different members above the firm's second amount);
- `GET`/`PUT /v1/payout-destination`: the caller's payout destination, masked; setting it needs a sign-in
  within `PAYOUT_DESTINATION_REAUTH_MINUTES` (the token's `auth_time`). The details are never logged.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PayoutsApiSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.payout_views import eligibility_view, payout_view
from propdesk.http.routing import Call, count_rate_limit, route
from propdesk.http.schemas import payouts as schema
from propdesk.http.schemas.common import PageQuery
from propdesk.observability import metrics, observe
from propdesk.payouts import Payout, PayoutPolicy
from propdesk.payouts.destinations import PayoutDestinations
from propdesk.payouts.requests import DecidePayout, PayoutService, RequestPayout
from propdesk.rails.destinations import PayoutDestination
from propdesk.wiring import payouts as wiring

if TYPE_CHECKING:
    from propdesk.ports import Clock, EventPublisher, StaffMfa, WorkflowCallback
    from propdesk.services.rate_limits import RateLimiter

app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    payouts: PayoutService
    rate_limiter: RateLimiter
    clock: Clock
    destinations: PayoutDestinations
    staff_mfa: StaffMfa  # finance's and admin's actions need MFA (propdesk.http.routing)


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PayoutsApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.stepfunctions import StepFunctionsCallback
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.payout_destinations import PayoutDestinationRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.services.rate_limits import RateLimiter
    from propdesk.wiring.staff import staff_mfa

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name,
        )
    )
    service = payout_service(settings, EventBridgePublisher(settings.event_bus_name), StepFunctionsCallback())
    from propdesk.wiring.abuse import signal_sink

    destinations = PayoutDestinations(
        PayoutDestinationRepository(),
        timedelta(minutes=settings.payout_destination_reauth_minutes),
        signal_sink(settings),
    )
    return Dependencies(
        service, RateLimiter(DynamoWindowCounter()), SystemClock(), destinations, staff_mfa(settings)
    )


def payout_service(
    settings: PayoutsApiSettings, publisher: EventPublisher, callback: WorkflowCallback | None = None
) -> PayoutService:
    """The payout use cases over the main table (bound already), publishing to `publisher`."""
    return wiring.payout_service(settings, publisher, callback)


def firm_policy(settings: PayoutsApiSettings) -> PayoutPolicy:
    return wiring.firm_policy(settings)


def _payouts() -> PayoutService:
    deps: Dependencies = app.context["deps"]
    return deps.payouts


@route(app, "requestPayout")
def request_payout(call: Call, account_id: str) -> Response[Any]:
    request = call.body_as(schema.PayoutRequest)
    command = RequestPayout(
        account_id=account_id,
        trader=call.caller,
        at=call.now,
        amount=Decimal(request.amount) if request.amount is not None else None,
        idempotency_key=call.idempotency_key,
    )
    requested = _payouts().request(command, admit=lambda: _count(call))
    if requested.replayed:
        return _answer(requested.payout, 200, replayed=True)
    metrics.add_metric(name="PayoutsRequested", unit="Count", value=1)
    return _answer(requested.payout, call.operation.status)


@route(app, "getPayoutEligibility")
def get_payout_eligibility(call: Call, account_id: str) -> schema.Eligibility:
    query = call.query_as(schema.EligibilityQuery)
    amount = Decimal(query.amount) if query.amount is not None else None
    preview = _payouts().preview(account_id, call.caller, call.now, amount)
    return eligibility_view(preview.account, preview.assessment, call.now)


@route(app, "listPayouts")
def list_payouts(call: Call, account_id: str) -> schema.PayoutList:
    query = call.query_as(PageQuery)
    page = _payouts().history(account_id, call.caller, limit=query.limit, cursor=query.cursor)
    return schema.PayoutList(payouts=[payout_view(p) for p in page.items], next_cursor=page.next_cursor)


@route(app, "listPayoutQueue")
def list_payout_queue(call: Call) -> schema.PayoutList:
    query = call.query_as(schema.PayoutQueueQuery)
    page = _payouts().queue(query.status, limit=query.limit, cursor=query.cursor)
    return schema.PayoutList(payouts=[payout_view(p) for p in page.items], next_cursor=page.next_cursor)


@route(app, "decidePayout")
def decide_payout(call: Call, payout_id: str) -> Response[Any]:
    request = call.body_as(schema.PayoutDecisionRequest)
    command = DecidePayout(payout_id, request.decision, request.reason, call.caller, call.now)
    decided = _payouts().decide(command)
    if decided.replayed:
        return _answer(decided.payout, 200, replayed=True)
    return _answer(decided.payout, call.operation.status)


@route(app, "getPayoutDestination")
def get_payout_destination(call: Call) -> schema.PayoutDestinationOut:
    deps: Dependencies = app.context["deps"]
    return _destination_view(deps.destinations.current(call.caller))


@route(app, "setPayoutDestination")
def set_payout_destination(call: Call) -> schema.PayoutDestinationOut:
    deps: Dependencies = app.context["deps"]
    request = call.body_as(schema.PayoutDestinationRequest)
    kept = deps.destinations.set(call.caller, call.caller.authenticated_at, request.model_dump(), call.now)
    return _destination_view(kept)


def _destination_view(destination: PayoutDestination) -> schema.PayoutDestinationOut:
    return schema.PayoutDestinationOut(
        type=destination.details.kind,
        masked=destination.masked,
        added_at=destination.added_at,
        verified_at=destination.verified_at,
    )


def _count(call: Call) -> None:
    """A new request counts against the trader's limit; a replay is free, and so is a retry of a request
    that failed before it was stored (its `Idempotency-Key` was counted already)."""
    count_rate_limit(app, call.operation, call.caller, call.now, call.idempotency_key)


def _answer(payout: Payout, status: int, replayed: bool = False) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=payout_view(payout).model_dump(mode="json"),
        headers={"Idempotent-Replayed": "true"} if replayed else None,
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
