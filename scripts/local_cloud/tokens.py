"""Signing users in from tools that hold the pool's admin credentials (the end-to-end tests, benchmarks).

The pool's public client has no password flow any more (SRP only), and our API's sign-in route counts
attempts per source IP (every test runs from 127.0.0.1). Tools therefore sign in the way `auth_api` does:
AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) on the server-side client, with its secret hash; the secret is
read from the pool with DescribeUserPoolClient. Traders and people use `POST /v1/auth/sign-in`
(`propdesk token` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from propdesk.adapters.cognito_auth import secret_hash


def admin_sign_in(cognito: Any, outputs: Mapping[str, str], email: str, password: str) -> dict[str, Any]:
    """The `AuthenticationResult` (IdToken, AccessToken, RefreshToken, ExpiresIn) for this user."""
    pool_id, client_id = outputs["UserPoolId"], outputs["UserPoolServerClientId"]
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    secret = str(described["UserPoolClient"]["ClientSecret"])
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": email,
            "PASSWORD": password,
            "SECRET_HASH": secret_hash(email, client_id, secret),
        },
    )
    result: dict[str, Any] = answer["AuthenticationResult"]
    return result


def admin_id_token(cognito: Any, outputs: Mapping[str, str], email: str, password: str) -> str:
    return str(admin_sign_in(cognito, outputs, email, password)["IdToken"])
