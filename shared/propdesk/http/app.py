"""The REST resolver every API function uses: validation on, JSON errors for everything a client can send.

- unknown route → 404; malformed JSON → 400; schema violations → 422 naming the first field at fault;
- a body over `max_body_bytes` → 413 before any parsing; a domain error → its status (see `errors.py`);
- anything unexpected → a JSON 500 without internals (and the exception logged).
"""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from propdesk.data.errors import InvalidCursorError
from propdesk.http.errors import domain_error_response, error_body, error_response, field_path
from propdesk.observability import logger
from propdesk.services.errors import DomainError

DEFAULT_MAX_BODY_BYTES = 64 * 1024


def build_rest_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.not_found
    def _unknown_route(_: Exception) -> Response[Any]:
        event = app.current_event
        return error_response(
            HTTPStatus.NOT_FOUND, "not_found", f"no route for {event.http_method} {event.path}"
        )

    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        issues = list(error.errors())
        if any(issue.get("type") == "json_invalid" for issue in issues):
            return error_response(
                HTTPStatus.BAD_REQUEST, "malformed_json", "the request body is not valid JSON"
            )
        first = issues[0] if issues else {"loc": ("body",), "msg": "invalid request"}
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
            _readable(first),
            field_path(first.get("loc", ("body",))),
        )

    def _invalid_model(error: ValidationError) -> Response[Any]:
        first = error.errors()[0]
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", _readable(first), field_path(first["loc"])
        )

    def _invalid_cursor(error: InvalidCursorError) -> Response[Any]:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", str(error), "cursor")

    def _domain_error(error: DomainError) -> Response[Any]:
        return domain_error_response(error)

    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side"
        )

    return app


def resolve(
    app: APIGatewayRestResolver,
    event: dict[str, Any],
    context: LambdaContext,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> dict[str, Any]:
    """Refuse an oversize body with 413 before routing; otherwise let the resolver answer."""
    if body_size(event) > max_body_bytes:
        body = error_body(
            "payload_too_large", f"the request body is over the limit of {max_body_bytes} bytes", "body"
        )
        return {
            "statusCode": HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
    return dict(app.resolve(event, context))


def body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode()) if isinstance(body, str) else 0


def decode_body(event: dict[str, Any]) -> bytes:
    """The raw body bytes as the client sent them (signatures are computed over these)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode()


def _readable(issue: Any) -> str:
    message = str(issue.get("msg") or issue.get("type") or "invalid value")
    return f"{field_path(issue.get('loc', ('body',)))}: {message}"
