"""The providers' side of the wire for unit tests, written from their documentation independently of the
adapters: sample bodies as the providers send them (compact JSON of `events/<provider>/*.json`) and their
signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from events import SAMPLE_VERIFF_SECRET, load_event

VERIFF_SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:propdesk/dev/veriff"
VERIFF_API_KEY = "8e4f7cd8-7a19-4d7d-971f-a076407ee03c"
SUMSUB_SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:propdesk/dev/sumsub"
SUMSUB_APP_TOKEN = "sbx:propdesk-unit-app-token"
SUMSUB_SECRET_KEY = "sumsub-unit-secret-key"
SUMSUB_WEBHOOK_SECRET = "sumsub-unit-webhook-secret"


def veriff_secret(shared_secret: str = SAMPLE_VERIFF_SECRET, **more: str) -> str:
    return json.dumps({"api_key": VERIFF_API_KEY, "shared_secret": shared_secret, **more})


def sumsub_secret(webhook_secret: str = SUMSUB_WEBHOOK_SECRET, **more: str) -> str:
    return json.dumps(
        {
            "app_token": SUMSUB_APP_TOKEN,
            "secret_key": SUMSUB_SECRET_KEY,
            "webhook_secret": webhook_secret,
            **more,
        }
    )


def body_of(sample: str | dict[str, Any], **changes: Any) -> bytes:
    """A sample event's body as a provider sends it (compact JSON); `changes` replace top-level fields."""
    document = load_event(sample) if isinstance(sample, str) else sample
    document.update(changes)
    return json.dumps(document, separators=(",", ":")).encode()


def veriff_headers(body: bytes, secret: str = SAMPLE_VERIFF_SECRET) -> dict[str, str]:
    """Veriff's webhook headers: X-HMAC-SIGNATURE is the hex HMAC-SHA256 of the raw body."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-AUTH-CLIENT": VERIFF_API_KEY,
        "X-HMAC-SIGNATURE": signature,
        "Content-Type": "application/json",
    }


SUMSUB_ALGORITHMS = {
    "HMAC_SHA1_HEX": hashlib.sha1,
    "HMAC_SHA256_HEX": hashlib.sha256,
    "HMAC_SHA512_HEX": hashlib.sha512,
}


def sumsub_headers(
    body: bytes, secret: str = SUMSUB_WEBHOOK_SECRET, algorithm: str = "HMAC_SHA256_HEX"
) -> dict[str, str]:
    """Sumsub's webhook headers: X-Payload-Digest is the hex HMAC of the raw body, named in -Alg."""
    digest = hmac.new(secret.encode(), body, SUMSUB_ALGORITHMS[algorithm]).hexdigest()
    return {"X-Payload-Digest": digest, "X-Payload-Digest-Alg": algorithm, "Content-Type": "application/json"}


def sumsub_request_signature(secret_key: str, ts: str, method: str, path_with_query: str, body: bytes) -> str:
    message = ts.encode() + method.encode() + path_with_query.encode() + body
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
