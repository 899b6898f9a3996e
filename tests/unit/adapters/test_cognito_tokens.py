"""Cognito token verification for the WebSocket `$connect`: signature by the pool's JWKS, issuer, app client,
token use and expiry at the injected instant; key rotation fetched at most once a minute."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from propdesk.adapters.cognito_tokens import CognitoTokenVerifier, TokenRejectedError

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
CLIENT = "client-1"
JWKS_URL = "http://127.0.0.1:4566/us-east-1_pool/.well-known/jwks.json"


@pytest.fixture(scope="module")
def pool_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(key: rsa.RSAPrivateKey, kid: str = "k1") -> bytes:
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}).encode()


def token(key: rsa.RSAPrivateKey, kid: str = "k1", **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "sub": "trader-1",
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
        "iat": int(NOW.timestamp()),
        "cognito:groups": ["risk"],
        **overrides,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class CountingFetch:
    def __init__(self, body: Callable[[], bytes]) -> None:
        self.body = body
        self.calls = 0

    def __call__(self, url: str) -> bytes:
        assert url == JWKS_URL
        self.calls += 1
        return self.body()


def verifier(fetch: Callable[[str], bytes]) -> CognitoTokenVerifier:
    return CognitoTokenVerifier(ISSUER, frozenset({CLIENT}), JWKS_URL, fetch)


def test_a_pool_token_is_accepted_with_its_subject_and_groups(pool_key: rsa.RSAPrivateKey) -> None:
    fetch = CountingFetch(lambda: jwks(pool_key))
    check = verifier(fetch)

    verified = check.verify(token(pool_key), NOW)
    check.verify(token(pool_key, sub="trader-2"), NOW)

    assert verified.subject == "trader-1"
    assert verified.groups == frozenset({"risk"})
    assert verified.token_use == "id"
    assert fetch.calls == 1  # the keys are kept


def test_an_access_token_is_checked_by_its_client_id(pool_key: rsa.RSAPrivateKey) -> None:
    check = verifier(CountingFetch(lambda: jwks(pool_key)))

    access = check.verify(token(pool_key, aud=None, token_use="access", client_id=CLIENT), NOW)

    assert access.token_use == "access"
    with pytest.raises(TokenRejectedError, match="another app client"):
        check.verify(token(pool_key, aud=None, token_use="access", client_id="other"), NOW)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(NOW.timestamp())}, "expired"),
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/other_pool"}, "does not verify"),
        ({"aud": "someone-else"}, "another app client"),
        ({"token_use": "refresh"}, "token_use"),
        ({"sub": None}, "does not verify"),
    ],
)
def test_wrong_claims_are_refused(
    pool_key: rsa.RSAPrivateKey, overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(TokenRejectedError, match=reason):
        verifier(CountingFetch(lambda: jwks(pool_key))).verify(token(pool_key, **overrides), NOW)


def test_a_token_signed_by_another_key_or_tampered_is_refused(
    pool_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    check = verifier(CountingFetch(lambda: jwks(pool_key)))
    head, _, signature = token(pool_key).split(".")
    forged_payload = token(pool_key, sub="somebody-else").split(".")[1]

    with pytest.raises(TokenRejectedError, match="does not verify"):
        check.verify(token(other_key), NOW)
    with pytest.raises(TokenRejectedError, match="does not verify"):
        check.verify(f"{head}.{forged_payload}.{signature}", NOW)
    with pytest.raises(TokenRejectedError, match="not a JWT"):
        check.verify("not-a-token", NOW)


def test_alg_none_and_hmac_tokens_are_refused(pool_key: rsa.RSAPrivateKey) -> None:
    check = verifier(CountingFetch(lambda: jwks(pool_key)))
    unsigned = jwt.encode({"sub": "x", "iss": ISSUER}, key=None, algorithm="none", headers={"kid": "k1"})
    public_pem_as_secret = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256", headers={"kid": "k1"})

    for forged in (unsigned, public_pem_as_secret):
        with pytest.raises(TokenRejectedError, match="RS256"):
            check.verify(forged, NOW)


def test_an_unknown_key_id_refetches_the_keys_at_most_once_a_minute(
    pool_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    published = {"body": jwks(pool_key, "old")}
    fetch = CountingFetch(lambda: published["body"])
    check = verifier(fetch)
    check.verify(token(pool_key, kid="old"), NOW)
    published["body"] = jwks(other_key, "new")  # the pool rotated its key

    with pytest.raises(TokenRejectedError, match="does not publish"):
        check.verify(token(other_key, kid="new"), NOW + timedelta(seconds=10))
    for _ in range(5):
        with pytest.raises(TokenRejectedError):
            check.verify(token(other_key, kid="forged"), NOW + timedelta(seconds=20))
    assert fetch.calls == 1

    assert check.verify(token(other_key, kid="new"), NOW + timedelta(minutes=2)).subject == "trader-1"
    assert fetch.calls == 2
