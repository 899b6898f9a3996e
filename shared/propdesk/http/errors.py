"""Domain errors and malformed requests → HTTP status codes and the JSON error body."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from propdesk.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    MalformedRequestError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    UnauthorizedError,
)
from propdesk.http.error_format import error_body
from propdesk.observability import logger

STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
    NotFoundError: HTTPStatus.NOT_FOUND,
    MalformedRequestError: HTTPStatus.BAD_REQUEST,
    InvalidInputError: HTTPStatus.UNPROCESSABLE_ENTITY,
    UnauthorizedError: HTTPStatus.UNAUTHORIZED,
    ForbiddenError: HTTPStatus.FORBIDDEN,
    ConflictError: HTTPStatus.CONFLICT,
    PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    RateLimitedError: HTTPStatus.TOO_MANY_REQUESTS,
}


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, field),
        headers=headers,
    )


def log_internal(error: DomainError) -> None:
    """Log what the error keeps for staff (`internal`), never part of the answer."""
    if error.internal:
        logger.warning(
            "refused or deferred, with reasons for staff",
            extra={"error_code": error.code, "reasons": [reason[:300] for reason in error.internal]},
        )


def domain_error_response(error: DomainError) -> Response[Any]:
    log_internal(error)
    status = next(
        (status for kind, status in STATUS_BY_ERROR.items() if isinstance(error, kind)),
        HTTPStatus.BAD_REQUEST,
    )
    headers = None
    if isinstance(error, RateLimitedError):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    return error_response(status, error.code, error.message, error.field, headers)


def answer_unavailable(
    app: APIGatewayRestResolver, error_type: type[DomainError], retry_after_seconds: int = 5
) -> None:
    """`error_type` (an outage of something we depend on, not a refusal) → 503 with Retry-After: the same
    request may be repeated."""

    def unavailable(error: DomainError) -> Response[Any]:
        log_internal(error)
        headers = {"Retry-After": str(retry_after_seconds)}
        return error_response(HTTPStatus.SERVICE_UNAVAILABLE, error.code, error.message, headers=headers)

    app.exception_handler(error_type)(unavailable)
