"""HMAC signatures as the KYC providers compute them, compared as bytes.

A presented signature is compared with `hmac.compare_digest` over bytes: a header holding non-ASCII
characters (which `compare_digest` refuses for `str`) is a mismatch, never an exception.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def hex_hmac(secret: str, message: bytes, algorithm: str = "sha256") -> str:
    """Lower-case hex HMAC of `message` keyed with `secret` (UTF-8)."""
    return hmac.new(secret.encode(), message, ALGORITHMS[algorithm]).hexdigest()


def signature_matches(
    message: bytes, presented: str | None, secrets: Iterable[str], algorithm: str = "sha256"
) -> bool:
    """Whether `presented` (hex, any case, surrounding blanks ignored) is the HMAC of `message` under any of
    `secrets` (empty secrets never match)."""
    if not presented:
        return False
    offered = presented.strip().lower().encode("utf-8", "replace")  # unencodable: "?", never hex
    return any(
        hmac.compare_digest(hex_hmac(secret, message, algorithm).encode("ascii"), offered)
        for secret in secrets
        if secret
    )


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name (API Gateway keeps the sender's case)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def delivery_id(provider: str, raw_body: bytes) -> str:
    """An id stable across redeliveries of the same webhook body (providers resend the same bytes)."""
    return f"{provider}:{hashlib.sha256(raw_body).hexdigest()[:32]}"
