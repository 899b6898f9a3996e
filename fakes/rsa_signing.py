"""RSA signing as the rails sign their webhooks (the fakes hold their own key pair; adapters get the public
key as PEM, as they would from the provider)."""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def new_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def provider_key(provider: str) -> Any:
    """The provider's own key pair, made once per process (a 2048-bit key takes a second to generate)."""
    return new_key()


def public_pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_sha256(key: Any, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256."""
    return bytes(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))


def bridge_signature_header(key: Any, body: bytes, timestamp_ms: int) -> str:
    """`X-Webhook-Signature: t=<ms>,v0=<base64 RSA-SHA256 over SHA-256("<t>.<body>")>`."""
    digest = hashlib.sha256(f"{timestamp_ms}.".encode() + body).digest()
    return f"t={timestamp_ms},v0={base64.b64encode(rsa_sha256(key, digest)).decode()}"


def wise_signature_header(key: Any, body: bytes) -> str:
    """`X-Signature-SHA256: <base64 RSA-SHA256 over the body>`."""
    return base64.b64encode(rsa_sha256(key, body)).decode()
