"""The route table is the single source: the handlers serve exactly its routes, and the committed OpenAPI
document is exactly what the code generates."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from propdesk.errors import InvalidInputError
from propdesk.http.contract import OPERATIONS, Access
from propdesk.http.openapi import openapi_document, render
from propdesk.http.routing import idempotency_key

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "openapi.json"
FUNCTIONS = sorted({operation.function for operation in OPERATIONS})


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_handler_serves_exactly_its_routes_from_the_contract(function: str) -> None:
    app = importlib.import_module(f"functions.{function}.handler").app
    served = {(route.method, route.path) for route in app._static_routes + app._dynamic_routes}

    declared = [operation for operation in OPERATIONS if operation.function == function]
    assert served == {(operation.method, operation.resolver_path) for operation in declared}


def test_the_committed_openapi_document_is_what_the_code_generates() -> None:
    assert COMMITTED.read_text() == render(openapi_document()), (
        "docs/openapi.json drifted from the code: regenerate it with "
        "`.venv/bin/python -m propdesk.http.openapi > docs/openapi.json`"
    )


def test_every_operation_is_documented_with_its_errors_and_security() -> None:
    document = openapi_document()

    for operation in OPERATIONS:
        spec = document["paths"][operation.path][operation.method.lower()]
        assert str(operation.status) in spec["responses"]
        assert "429" in spec["responses"]
        if operation.access is Access.SIGNED_IN:
            assert spec["security"] == [{"cognito": []}]
            assert "401" in spec["responses"]
        if operation.permission is not None:
            assert "403" in spec["responses"]
        if operation.body is not None:
            assert {"400", "422"} <= set(spec["responses"])
        for status, response in spec["responses"].items():
            if status.startswith("4"):
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"
                }


def test_query_parameters_come_from_the_query_models() -> None:
    trades = openapi_document()["paths"]["/v1/accounts/{account_id}/trades"]["get"]

    names = {p["name"]: p for p in trades["parameters"]}
    assert set(names) == {"account_id", "limit", "cursor", "from", "to", "order"}
    assert names["limit"]["schema"]["maximum"] == 100
    assert names["account_id"]["in"] == "path"


def test_money_is_a_decimal_string_in_the_document() -> None:
    metrics = openapi_document()["components"]["schemas"]["Metrics"]

    assert metrics["properties"]["balance"]["type"] == "string"
    assert metrics["properties"]["balance"]["pattern"]
    json.dumps(openapi_document())  # serializable as it is served


def test_idempotent_operations_document_the_idempotency_key_header() -> None:
    document = openapi_document()

    for operation in OPERATIONS:
        spec = document["paths"][operation.path][operation.method.lower()]
        headers = [p for p in spec.get("parameters", []) if p["in"] == "header"]
        if operation.idempotent:
            assert [(h["name"], h["required"]) for h in headers] == [("Idempotency-Key", False)]
        elif operation.access is Access.SIGNED_PLATFORM:  # the pushing platform, beside its signature
            assert [(h["name"], h["required"]) for h in headers] == [("X-Propdesk-Platform", True)]
        else:
            assert headers == []
    assert {o.operation_id for o in OPERATIONS if o.idempotent} == {
        "createOrder",
        "requestPayout",
        "eraseTraderPersonalData",
    }


@pytest.mark.parametrize(
    ("headers", "key"),
    [({}, None), ({"Idempotency-Key": "k-1"}, "k-1"), ({"idempotency-key": "a.b:c_d-9"}, "a.b:c_d-9")],
)
def test_routing_reads_the_idempotency_key_once_for_every_idempotent_operation(
    headers: dict[str, str], key: str | None
) -> None:
    assert idempotency_key(headers) == key


@pytest.mark.parametrize("bad", ["", "has space", "x" * 256, "ünï"])
def test_a_malformed_idempotency_key_is_refused_naming_the_header(bad: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        idempotency_key({"Idempotency-Key": bad})

    assert refused.value.field == "Idempotency-Key"
