"""Write docs/events.md, the EventBridge event catalogue, from the schemas in propdesk.domain_events.

`python scripts/event_catalogue.py` rewrites the file; `--check` exits 1 when it differs from the code
(a unit test runs the check, so the document cannot drift from the schemas).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))

from propdesk.domain_events import CATALOGUE, SOURCE  # noqa: E402

DOCUMENT = ROOT / "docs" / "events.md"


def type_name(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf", [])
    if {option.get("type") for option in options} == {"number", "string"}:
        return "decimal string"
    if "anyOf" in schema:
        return " or ".join(type_name(option) for option in schema["anyOf"])
    if "enum" in schema:
        return " / ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = str(schema.get("type", "object"))
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    if kind == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    return kind


def render() -> str:
    lines = [
        "# Event catalogue",
        "",
        f"Every domain event goes on the stack's EventBridge bus (`propdesk-{{stage}}-events`) with source "
        f"`{SOURCE}`; the detail type names the fact, the detail is the JSON below. Every detail carries a "
        "deterministic `event_id` (consumers dedupe by it) and `occurred_at`. Money is a decimal string.",
        "Generated from `shared/propdesk/domain_events.py` by `scripts/event_catalogue.py`; "
        "do not edit by hand.",
        "",
    ]
    for detail_type, model in sorted(CATALOGUE.items()):
        schema = model.model_json_schema()
        required = set(schema.get("required", []))
        doc = " ".join((model.__doc__ or "").split())
        lines += [f"## `{detail_type}`", ""]
        if doc:
            lines += [doc, ""]
        lines += ["| field | type | required |", "|---|---|---|"]
        for field, field_schema in schema.get("properties", {}).items():
            mark = "yes" if field in required else "no"
            lines.append(f"| `{field}` | {type_name(field_schema)} | {mark} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print("docs/events.md is out of date: run `python scripts/event_catalogue.py`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
