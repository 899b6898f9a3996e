"""Reading a provider's JSON (webhooks and answers) into the few fields propdesk keeps: a body that is not
JSON is a `MalformedRequestError` (400), JSON of the wrong shape an `InvalidInputError` (422) naming the
field. Validation messages never echo the body (it may hold personal data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from propdesk.errors import InvalidInputError, MalformedRequestError

Model = TypeVar("Model", bound=BaseModel)
_PATTERNS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S")


def json_object(raw_body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw_body)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedRequestError("the webhook body is not valid JSON", "body") from error
    if not isinstance(document, dict):
        raise InvalidInputError("the webhook body is not a JSON object", "body")
    return document


def validated(model: type[Model], document: Any, provider: str) -> Model:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        message = f"the {provider} payload does not fit: {where}: {first['msg']}"
        raise InvalidInputError(message, where) from error


def utc_time(value: object) -> datetime | None:
    """A provider's UTC time written `2025-03-05 04:41:48.704`, `2025-03-05 04:41:48+0000`, ISO 8601 or epoch
    milliseconds; None when absent or unreadable (times are informative, never required)."""
    if not isinstance(value, str) or not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    for pattern in _PATTERNS:
        try:
            moment = datetime.strptime(value, pattern)  # noqa: DTZ007 - naive ones are UTC, made aware below
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
