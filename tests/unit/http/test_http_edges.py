"""The HTTP edge's pure parts: domain errors as statuses with the JSON error body, field paths, identity."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from propdesk.errors import (
    InvalidInputError,
    MalformedRequestError,
    NotFoundError,
    UnauthorizedError,
)
from propdesk.http.error_format import field_path
from propdesk.http.errors import domain_error_response
from propdesk.http.identity import parse_groups


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("no such account", "account_id"), HTTPStatus.NOT_FOUND),
        (InvalidInputError("bad", "events[0].time"), HTTPStatus.UNPROCESSABLE_ENTITY),
        (MalformedRequestError("not JSON", "body"), HTTPStatus.BAD_REQUEST),
        (UnauthorizedError("bad signature"), HTTPStatus.UNAUTHORIZED),
    ],
)
def test_domain_errors_map_to_statuses_with_the_json_error_body(error: Exception, status: HTTPStatus) -> None:
    response = domain_error_response(error)  # type: ignore[arg-type]
    assert response.status_code == status.value
    assert response.body["error"]["code"] == error.code  # type: ignore[attr-defined, index]


def test_field_paths_read_like_the_json() -> None:
    assert field_path(("body", "events", 3, "profit")) == "events[3].profit"
    assert field_path(("query", "limit")) == "limit"
    assert field_path(("account_id",)) == "account_id"


def test_cognito_groups_are_read_however_api_gateway_flattens_them() -> None:
    assert parse_groups("trader") == {"trader"}
    assert parse_groups("[support trader]") == {"support", "trader"}
    assert parse_groups("risk,admin") == {"risk", "admin"}
    assert parse_groups(None) == frozenset()
