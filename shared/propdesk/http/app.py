"""The REST resolver every API function uses, with JSON errors for everything a client can send.

- unknown route → 404; a body over `max_body_bytes` → 413 before any parsing;
- malformed JSON → 400; a schema violation → 422 naming the first field at fault (`body_as`, `query_int`);
- a domain error → its status (see `errors.py`); anything unexpected → a JSON 500 without internals.

Validation is pydantic at the edges, called here rather than through Powertools' `enable_validation`: the
latter's OpenAPI machinery costs about 70 ms of import per function (measured: 144 ms vs 75 ms for the
resolver alone), against a cold-start budget of 150 ms.
"""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from propdesk.errors import DomainError, InvalidCursorError, InvalidInputError, MalformedRequestError
from propdesk.http.error_format import error_body, field_path
from propdesk.http.errors import domain_error_response, error_response
from propdesk.observability import logger

DEFAULT_MAX_BODY_BYTES = 64 * 1024
Model = TypeVar("Model", bound=BaseModel)


def build_rest_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    def _unknown_route(_: Exception) -> Response[Any]:
        event = app.current_event
        return error_response(
            HTTPStatus.NOT_FOUND, "not_found", f"no route for {event.http_method} {event.path}"
        )

    def _invalid_model(error: ValidationError) -> Response[Any]:
        first = error.errors()[0]
        field = field_path(first["loc"])
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", f"{field}: {first['msg']}", field or "body"
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

    app.not_found(_unknown_route)
    for error_type, handle in (
        (ValidationError, _invalid_model),
        (InvalidCursorError, _invalid_cursor),
        (DomainError, _domain_error),
        (Exception, _unexpected),
    ):
        app.exception_handler(error_type)(handle)
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
    if not isinstance(body, str):
        return 0
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode())


def raw_body(event: dict[str, Any]) -> bytes:
    """The body bytes exactly as the client sent them (signatures are computed over these)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise MalformedRequestError("the request body is not valid base64", "body") from error
    return body.encode() if isinstance(body, str) else b""


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedRequestError("the request needs a JSON body", "body")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedRequestError("the request body is not valid JSON", "body") from error


def body_as(app: APIGatewayRestResolver, model: type[Model]) -> Model:
    """The JSON body validated as `model` (400 if it is not JSON, 422 naming the field if it does not fit)."""
    return model.model_validate(parse_json(raw_body(app.current_event.raw_event)))


def query_int(app: APIGatewayRestResolver, name: str, default: int, minimum: int, maximum: int) -> int:
    text = app.current_event.get_query_string_value(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInputError(f"{name} must be a whole number", name) from None
    if not minimum <= value <= maximum:
        raise InvalidInputError(f"{name} must be between {minimum} and {maximum}", name)
    return value


def query_str(app: APIGatewayRestResolver, name: str, max_length: int = 2048) -> str | None:
    text = app.current_event.get_query_string_value(name)
    if text is not None and len(text) > max_length:
        raise InvalidInputError(f"{name} is longer than {max_length} characters", name)
    return text or None
