"""Webhook signatures exactly as the providers compute them (the fakes sign, tests forge bad ones)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


def stripe_signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def coinbase_signature(payload: bytes, secret: str) -> str:
    """`X-CC-Webhook-Signature`: hex HMAC-SHA256(shared secret, raw body)."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def body_of(event: dict[str, Any]) -> bytes:
    """A delivery body as providers send it (compact JSON)."""
    return json.dumps(event, separators=(",", ":")).encode()
