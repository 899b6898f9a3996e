"""Verifies Cognito user-pool tokens where API Gateway's Cognito authorizer cannot: the WebSocket `$connect`.

A token is accepted when its RS256 signature checks against a key of the pool's JWKS, its issuer is the pool,
it was issued to one of the pool's app clients (`aud` of an ID token, `client_id` of an access token) and it
has not expired at the injected instant. The JWKS is fetched once, and again only for an unknown key id
(Cognito rotates keys) at most once a minute: a flood of forged key ids cannot become a flood of fetches.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

REFETCH_INTERVAL = timedelta(minutes=1)
FETCH_TIMEOUT_SECONDS = 3
ID_TOKEN, ACCESS_TOKEN = "id", "access"  # Cognito's token_use values


class TokenRejectedError(Exception):
    """The token is malformed, forged, expired or not for this pool; the message says which."""


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    subject: str
    groups: frozenset[str]
    token_use: str
    expires_at: datetime
    zoneinfo: str | None = None


def fetch_url(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (https/http only)
        body: bytes = response.read()
        return body


class CognitoTokenVerifier:
    def __init__(
        self,
        issuer: str,
        client_ids: frozenset[str],
        jwks_url: str,
        fetch: Callable[[str], bytes] = fetch_url,
    ) -> None:
        if not jwks_url.startswith(("https://", "http://")):
            raise ValueError(f"the JWKS address must be http(s): {jwks_url!r}")
        self._issuer = issuer
        self._client_ids = client_ids
        self._jwks_url = jwks_url
        self._fetch = fetch
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: datetime | None = None

    def verify(self, token: str, now: datetime) -> VerifiedToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejectedError(f"not a JWT: {error}") from error
        if header.get("alg") != "RS256":
            raise TokenRejectedError("only RS256 tokens are accepted")
        key = self._key(str(header.get("kid", "")), now)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                # Expiry is checked below against the injected clock; the audience by token use.
                options={
                    "verify_exp": False,
                    "verify_aud": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["sub", "exp", "iss", "token_use"],
                },
            )
        except jwt.PyJWTError as error:
            raise TokenRejectedError(f"the token does not verify: {error}") from error
        return self._checked(claims, now)

    def _checked(self, claims: dict[str, Any], now: datetime) -> VerifiedToken:
        token_use = claims.get("token_use")
        audience = claims.get("aud") if token_use == ID_TOKEN else claims.get("client_id")
        if token_use not in (ID_TOKEN, ACCESS_TOKEN):
            raise TokenRejectedError("token_use must be id or access")
        if audience not in self._client_ids:
            raise TokenRejectedError("the token was issued to another app client")
        expires_at = _instant(claims.get("exp"))
        if expires_at is None or expires_at <= now:
            raise TokenRejectedError("the token has expired")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRejectedError("the token names no subject")
        groups = claims.get("cognito:groups") or []
        zone = claims.get("zoneinfo")
        return VerifiedToken(
            subject=subject,
            groups=frozenset(str(group) for group in groups) if isinstance(groups, list) else frozenset(),
            token_use=str(token_use),
            expires_at=expires_at,
            zoneinfo=zone if isinstance(zone, str) and zone else None,
        )

    def _key(self, key_id: str, now: datetime) -> jwt.PyJWK:
        if key_id not in self._keys and self._may_fetch(now):
            self._fetched_at = now
            self._keys = self._load_keys()
        try:
            return self._keys[key_id]
        except KeyError:
            raise TokenRejectedError("the token was signed by a key this pool does not publish") from None

    def _may_fetch(self, now: datetime) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= REFETCH_INTERVAL

    def _load_keys(self) -> dict[str, jwt.PyJWK]:
        document = json.loads(self._fetch(self._jwks_url))
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            if entry.get("kty") == "RSA" and entry.get("kid"):
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
        return keys


def _instant(raw: Any) -> datetime | None:
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return datetime.fromtimestamp(int(raw), UTC)
