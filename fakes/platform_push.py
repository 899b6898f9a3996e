"""A trading-platform connection pushing events to `POST /v1/platform/events`, signed exactly as a real
connector must (docs/platforms.md, "Pushing events"): `X-Propdesk-Platform` names the platform and
`X-Propdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.<raw body>")>` carries that platform's own
signing secret. The local system's simulators, the e2e tests and the benchmarks all push through here
(`scripts/push_event.py` is the command `make dev` prints). Standard library only.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from propdesk.platforms.push_auth import PLATFORM_HEADER
from propdesk.platforms.signing import SIGNATURE_HEADER, sign

EVENTS_PATH = "/v1/platform/events"


def push_headers(platform: str, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers that make `body` a push by `platform` (signed now, or at `timestamp`)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        PLATFORM_HEADER: platform,
        SIGNATURE_HEADER: sign(secret, body, moment),
    }


def events_body(account_id: str, events: Sequence[Mapping[str, Any]]) -> bytes:
    return json.dumps({"account_id": account_id, "events": list(events)}, separators=(",", ":")).encode()


def push(url: str, platform: str, secret: str, body: bytes) -> tuple[int, Any]:
    """POST the signed body to `url` (the route's full URL); the status and the parsed answer."""
    request = urllib.request.Request(  # noqa: S310 - a local system's URL
        url, data=body, method="POST", headers=push_headers(platform, secret, body)
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode(errors="replace")


def signing_secret(secretsmanager: Any, arns_json: str, platform: str) -> str:
    """The platform's current signing secret, from the stack's `PlatformSigningSecretArns` output."""
    arn = json.loads(arns_json)[platform]
    value = json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])
    return str(value["signing_secret"])
