"""The OpenAPI 3.1 document, generated from the route table and its pydantic models (never written by hand).

`docs/openapi.json` is this document as committed; a test fails when it drifts from the code. Regenerate it
with `python -m propdesk.http.openapi > docs/openapi.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from propdesk.http.contract import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    OPERATIONS,
    Access,
    Operation,
)
from propdesk.http.schemas.common import ErrorBody
from propdesk.platforms.port import PLATFORMS
from propdesk.platforms.push_auth import PLATFORM_HEADER

Refs = dict[tuple[Any, JsonSchemaMode], dict[str, Any]]  # (model, mode) → its `$ref`
API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"
DESCRIPTION = """\
propdesk's REST API for traders, staff and trading-platform bridges.

**Errors.** Every refusal, from a handler or from API Gateway itself, is
`{"error": {"code": "...", "message": "...", "field": "..."}}`; `code` is stable, `field` names the request
field at fault when there is one.

**Paging.** Lists answer `next_cursor`; pass it back as `cursor` for the next page (`null` on the last one).
Cursors are opaque and belong to the query that handed them out.

**Money** is an exact decimal string (`"100000.00"`), never a JSON number.

**Sign-in.** Send the Cognito ID token as `Authorization: <token>`. Staff roles are Cognito groups
(`support`, `risk`, `finance`, `admin`); what each may do is listed on every staff route.
"""
ERROR_DESCRIPTIONS = {
    "400": "The request cannot be read (e.g. its body is not JSON).",
    "401": "No valid token (missing, tampered or expired).",
    "403": "Signed in, but this role may not do this (or the account does not live on the pushing platform).",
    "404": "No such thing, or not yours.",
    "409": "The thing changed meanwhile, or the change was made already.",
    "413": "The request body is too large.",
    "422": "A field breaks the schema or a rule; `field` names it.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
    "503": "A provider is unavailable: repeat the same request after `Retry-After` seconds.",
}
SECURITY_SCHEMES = {
    "cognito": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A Cognito user pool ID token (JWT), verified by API Gateway.",
    },
    "platformSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Propdesk-Signature",
        "description": "A trading-platform connection's signature of the raw body: `t=<unix seconds>,v1=<hex "
        'HMAC-SHA256(secret, "<t>.<raw body>")>` with the secret of the platform named in '
        "`X-Propdesk-Platform`; `t` within 5 minutes of the server's clock (docs/platforms.md).",
    },
}


def openapi_document(operations: Sequence[Operation] = OPERATIONS) -> dict[str, Any]:
    refs, definitions = _component_schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "propdesk", "version": API_VERSION, "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in dict.fromkeys(operation.tag for operation in operations)],
        "paths": paths,
        "components": {"schemas": definitions, "securitySchemes": SECURITY_SCHEMES},
    }


def _component_schemas(
    operations: Sequence[Operation],
) -> tuple[Refs, dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorBody, "serialization")]
    for operation in operations:
        if (response := operation.response_model) is not None:
            wanted.append((response, "serialization"))
        if (body := operation.body_model) is not None:
            wanted.append((body, "validation"))
    unique = list(dict.fromkeys(wanted))
    refs, schema = models_json_schema(unique, ref_template=REF_TEMPLATE)
    return dict(refs), dict(schema.get("$defs", {}))


def _operation(operation: Operation, refs: Refs) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": _path_parameters(operation)
        + _query_parameters(operation)
        + _header_parameters(operation),
        "responses": _responses(operation, refs),
        "security": _security(operation),
    }
    if operation.permission is not None:
        from propdesk.access import GRANTS

        roles = ", ".join(sorted(GRANTS[operation.permission]))
        spec["description"] = f"Staff roles allowed: {roles}."
    if (body := operation.body_model) is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(body, "validation")]}},
        }
    if not spec["parameters"]:
        del spec["parameters"]
    return spec


def _path_parameters(operation: Operation) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 128},
        }
        for name in operation.path_parameters
    ]


def _header_parameters(operation: Operation) -> list[dict[str, Any]]:
    if operation.access is Access.SIGNED_PLATFORM:
        return [
            {
                "name": PLATFORM_HEADER,
                "in": "header",
                "required": True,
                "description": "The pushing platform; its own secret signs the body (X-Propdesk-Signature), "
                "and an account accepts events only from the platform it lives on.",
                "schema": {"type": "string", "enum": list(PLATFORMS)},
            }
        ]
    if not operation.idempotent:
        return []
    return [
        {
            "name": IDEMPOTENCY_KEY_HEADER,
            "in": "header",
            "required": False,
            "description": "Makes the request safe to repeat: a repeat with the same key answers the first "
            "request's result (200 with `Idempotent-Replayed: true`) instead of acting again; the same key "
            "with a different request is refused (422).",
            "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "maxLength": 255},
        }
    ]


def _query_parameters(operation: Operation) -> list[dict[str, Any]]:
    query = operation.query_model
    if query is None:
        return []
    schema = query.model_json_schema(mode="validation", ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    parameters = []
    for name, property_schema in schema.get("properties", {}).items():
        field_schema = dict(property_schema)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _responses(operation: Operation, refs: Refs) -> dict[str, Any]:
    if (response := operation.response_model) is not None:
        success_schema = refs[(response, "serialization")]
    elif operation.content_type == "text/html":
        success_schema = {"type": "string"}
    else:
        success_schema = {"type": "object"}
    responses: dict[str, Any] = {
        str(operation.status): {
            "description": operation.summary,
            "content": {operation.content_type: {"schema": success_schema}},
        }
    }
    error = {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}
    for status in _error_statuses(operation):
        responses[status] = {"description": ERROR_DESCRIPTIONS[status], "content": error}
        if status == "429":
            responses[status]["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
    return responses


def _error_statuses(operation: Operation) -> list[str]:
    statuses = {"429"}  # every stage is throttled by API Gateway
    if operation.access is Access.SIGNED_IN:
        statuses.add("401")
    if operation.access in (Access.SIGNED_WEBHOOK, Access.SIGNED_PLATFORM):
        statuses |= {"401"}
    if operation.permission is not None:
        statuses.add("403")
    if operation.body is not None or operation.access is Access.SIGNED_WEBHOOK:
        statuses |= {"400", "413", "422"}
    if operation.query is not None:
        statuses.add("422")
    if operation.finds is not None or operation.path_parameters:
        statuses.add("404")  # no such thing, or a path value no route matches
    statuses |= {str(status) for status in operation.other_errors}
    return sorted(statuses)


def _security(operation: Operation) -> list[dict[str, list[str]]]:
    if operation.access is Access.SIGNED_IN:
        return [{"cognito": []}]
    if operation.access is Access.SIGNED_PLATFORM:
        return [{"platformSignature": []}]
    return []


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(openapi_document()), end="")
