"""Handlers register their routes by operation id: method, path, access, permission, query and body models
and the rate limit all come from the contract (`propdesk.http.contract`), so code and document cannot drift.

    @route(app, "getAccount")
    def get_account(call: Call, account_id: str) -> AccountDetail: ...

Before the function runs: the caller is authenticated (401) and authorized (403) as the operation says, the
per-caller rate limit is counted (429; unless the operation says its handler counts, through
`count_rate_limit`), the query and body are validated (400/422), and for an idempotent operation the
`Idempotency-Key` header is read and checked (422) into `Call.idempotency_key`. A returned model is
answered as JSON with the operation's status.

Per invocation, `process()` puts into `app.context`: `now` (the injected clock's reading) and, for functions
with rate-limited routes, `rate_limiter`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import BaseModel

from propdesk.access import MFA_REQUIRED
from propdesk.errors import ForbiddenError, InvalidInputError, MfaRequiredError, UnauthorizedError
from propdesk.http.app import parse_json, raw_body
from propdesk.http.contract import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    OPERATIONS,
    Access,
    Operation,
)
from propdesk.http.identity import Caller, caller_from_event
from propdesk.ports import StaffMfa
from propdesk.services.rate_limits import RateLimiter

Model = TypeVar("Model", bound=BaseModel)
RouteFunction = Callable[..., BaseModel | Response[Any]]
BY_ID = {operation.operation_id: operation for operation in OPERATIONS}
IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


@dataclass(frozen=True, slots=True)
class Call:
    """One validated request: who calls, when, and the parsed query and body."""

    operation: Operation
    now: datetime
    caller_or_none: Caller | None
    query: BaseModel | None
    body: BaseModel | None
    idempotency_key: str | None = None  # the client's `Idempotency-Key` (idempotent operations only)

    @property
    def caller(self) -> Caller:
        if self.caller_or_none is None:
            raise UnauthorizedError("this route needs a signed-in user")
        return self.caller_or_none

    def query_as(self, model: type[Model]) -> Model:
        if not isinstance(self.query, model):
            raise TypeError(f"{self.operation.operation_id} declares no {model.__name__} query")
        return self.query

    def body_as(self, model: type[Model]) -> Model:
        if not isinstance(self.body, model):
            raise TypeError(f"{self.operation.operation_id} declares no {model.__name__} body")
        return self.body


def route(app: APIGatewayRestResolver, operation_id: str) -> Callable[[RouteFunction], RouteFunction]:
    operation = BY_ID[operation_id]

    def register(function: RouteFunction) -> RouteFunction:
        def endpoint(**path_parameters: str) -> Response[Any]:
            call = _prepare(app, operation)
            answer = function(call, **path_parameters)
            if isinstance(answer, Response):
                return answer
            return Response(
                status_code=operation.status,
                content_type=content_types.APPLICATION_JSON,
                body=answer.model_dump(mode="json"),
            )

        app.route(operation.resolver_path, operation.method)(endpoint)
        return function

    return register


def count_rate_limit(
    app: APIGatewayRestResolver,
    operation: Operation,
    caller: Caller,
    now: datetime,
    idempotency_key: str | None = None,
) -> None:
    """Count one call of the caller against the operation's limit (429 + Retry-After when used up); calls
    with the same `idempotency_key` count once (a retry after our failure is not charged again)."""
    if operation.rate_limit is None:
        return
    limiter: RateLimiter = app.context["rate_limiter"]
    limiter.hit(operation.operation_id, caller.subject, operation.rate_limit, now, idempotency_key)


def _prepare(app: APIGatewayRestResolver, operation: Operation) -> Call:
    event = app.current_event.raw_event
    now: datetime = app.context["now"]
    caller = None
    if operation.access is Access.SIGNED_IN:
        caller = caller_from_event(event, now)
        if operation.permission is not None and not caller.can(operation.permission):
            raise ForbiddenError(f"your role does not allow {operation.permission.value}")
        if operation.permission in MFA_REQUIRED:
            require_mfa(app, caller)
        if not operation.handler_counts:
            count_rate_limit(app, operation, caller, now)
    query = None
    if (query_model := operation.query_model) is not None:
        parameters = app.current_event.query_string_parameters or {}
        query = query_model.model_validate(dict(parameters))
    body = None
    if (body_model := operation.body_model) is not None:
        body = body_model.model_validate(parse_json(raw_body(event)))
    key = idempotency_key(app.current_event.headers) if operation.idempotent else None
    return Call(operation, now, caller, query, body, key)


def require_mfa(app: APIGatewayRestResolver, caller: Caller) -> None:
    """Finance's and admin's actions need a caller who signs in with MFA (`app.context["staff_mfa"]`, a
    `StaffMfa`); without a checker the action is refused (closed, never open)."""
    checker: StaffMfa | None = app.context.get("staff_mfa")
    if checker is None or not checker.mfa_enabled(caller.subject):
        raise MfaRequiredError(
            "this action needs a staff member who signs in with MFA: set up an authenticator app first"
        )


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The request's `Idempotency-Key` (any spelling of the header name), None without one; 422 when it is
    not 1-255 letters, digits or `_.:-`."""
    wanted = IDEMPOTENCY_KEY_HEADER.lower()
    key = next((value for name, value in headers.items() if name.lower() == wanted), None)
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise InvalidInputError(
            f"{IDEMPOTENCY_KEY_HEADER} must be 1-255 letters, digits or _.:-", IDEMPOTENCY_KEY_HEADER
        )
    return key
