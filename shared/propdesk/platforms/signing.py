"""Signatures on what a platform connector pushes to us (deals, equity readings, positions).

`X-Propdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, with the platform
connection's own secret (the scheme Stripe uses, so the reasoning is familiar). Several `v1=` entries may be
sent while a secret is rotated; several secrets may be accepted (the new one and the old one) for the same
reason.

Guarantees of `verify`: it never raises anything but `SignatureRejectedError` on any header a client can
send (missing, malformed, non-ASCII, a timestamp outside the window, a wrong digest); digests are compared
in constant time, as bytes; the timestamp must be within `tolerance` of the injected clock's time, in both
directions. A delivery replayed inside the window verifies again: the receiver dedupes by `event_id`.
Pure: no clock read (the caller passes `now`), no logging.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Propdesk-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = timedelta(minutes=5)
_MAX_HEADER = 4096  # a header longer than this is not ours


class SignatureRejectedError(Exception):
    """The signature does not check out; `reason` is a stable code (safe to log: no secret, no body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"signature rejected: {reason}")
        self.reason = reason


Secret = str | bytes


def sign(secret: Secret, body: bytes, timestamp: int) -> str:
    """The header value for `body` signed at `timestamp` (unix seconds)."""
    return f"t={timestamp},{SCHEME}={_digest(_bytes(secret), timestamp, body).hex()}"


def verify(
    header: str | bytes | None,
    body: bytes,
    secrets: Secret | Sequence[Secret],
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> int:
    """The signed timestamp if `header` is a valid signature of `body` by one of `secrets` within
    `tolerance` of `now`; `SignatureRejectedError` otherwise."""
    timestamp, digests = _parse(header)
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise SignatureRejectedError("timestamp_outside_tolerance")
    keys = [secrets] if isinstance(secrets, str | bytes) else list(secrets)
    if not keys or any(not key for key in keys):
        raise SignatureRejectedError("no_secret_configured")
    matched = False
    for key in keys:
        expected = _digest(_bytes(key), timestamp, body).hex().encode("ascii")
        for given in digests:
            matched |= hmac.compare_digest(expected, given)  # every pair compared: no early exit
    if not matched:
        raise SignatureRejectedError("digest_mismatch")
    return timestamp


@dataclass(frozen=True, slots=True)
class PushVerifier:
    """`verify` bound to one connection's secrets (read lazily: rotation needs no restart) and a clock."""

    secrets: Callable[[], Sequence[Secret]]
    clock: Callable[[], datetime]
    tolerance: timedelta = DEFAULT_TOLERANCE

    def __call__(self, header: str | bytes | None, body: bytes) -> int:
        return verify(header, body, self.secrets(), self.clock(), self.tolerance)


def _parse(header: str | bytes | None) -> tuple[int, list[bytes]]:
    if header is None:
        raise SignatureRejectedError("missing_header")
    try:
        raw = header.encode("ascii") if isinstance(header, str) else bytes(header)
        raw.decode("ascii")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise SignatureRejectedError("non_ascii_header") from None
    if not raw or len(raw) > _MAX_HEADER:
        raise SignatureRejectedError("malformed_header")
    timestamp: int | None = None
    digests: list[bytes] = []
    for part in raw.split(b","):
        key, separator, value = part.strip().partition(b"=")
        if not separator:
            raise SignatureRejectedError("malformed_header")
        if key == b"t":
            if timestamp is not None or not value.isdigit() or len(value) > 12:
                raise SignatureRejectedError("malformed_timestamp")
            timestamp = int(value)
        elif key == SCHEME.encode():
            if len(value) != 64:
                raise SignatureRejectedError("malformed_digest")
            digests.append(value.lower())
    if timestamp is None:
        raise SignatureRejectedError("missing_timestamp")
    if not digests:
        raise SignatureRejectedError("no_v1_signature")
    return timestamp, digests


def _digest(secret: bytes, timestamp: int, body: bytes) -> bytes:
    return hmac.new(secret, f"{timestamp}.".encode("ascii") + body, hashlib.sha256).digest()


def _bytes(secret: Secret) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret
