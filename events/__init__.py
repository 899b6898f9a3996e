"""Sample events in the exact shapes AWS (and the providers) deliver them, for tests and local invokes.

`load_event("apigateway/get_programs")` returns a fresh copy of `events/apigateway/get_programs.json`.
The Veriff sample request (`apigateway/post_veriff_webhook`) is signed with `SAMPLE_VERIFF_SECRET`, the Sumsub
one (`apigateway/post_sumsub_webhook`) with `SAMPLE_SUMSUB_WEBHOOK_SECRET`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent
SAMPLE_VERIFF_SECRET = "local-veriff-shared-secret"  # noqa: S105 - a test fixture's key, not a credential
SAMPLE_SUMSUB_WEBHOOK_SECRET = "local-sumsub-webhook-secret"  # noqa: S105 - likewise


def load_event(name: str) -> dict[str, Any]:
    path = EVENTS_DIR / f"{name}.json"
    event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return event
