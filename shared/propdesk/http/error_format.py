"""The one error format (`{"error": {"code", "message", "field"?}}`) as plain data: no web framework, so the
WebSocket functions use it without loading the REST resolver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def field_path(location: Sequence[Any]) -> str:
    """`("body", "events", 0, "profit")` → `events[0].profit`; `("query", "limit")` → `limit`."""
    parts = (
        list(location[1:])
        if location and location[0] in {"body", "query", "path", "header"}
        else list(location)
    )
    if not parts:
        return str(location[0]) if location else "body"
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
