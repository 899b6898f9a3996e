"""`propdesk.ports.IdentityProvider` on a Cognito user pool's app client: InitiateAuth (USER_PASSWORD_AUTH,
REFRESH_TOKEN_AUTH), SignUp and ConfirmSignUp.

These are Cognito's public, unauthenticated calls: the client sends them unsigned, so the function's role
needs no Cognito permission at all. Cognito's refusals become domain errors with messages that never tell
whether an e-mail address has an account. boto3 is imported on first use, not at cold start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from propdesk.errors import (
    DomainError,
    ForbiddenError,
    InvalidInputError,
    RateLimitedError,
    UnauthorizedError,
)
from propdesk.ports import IdentityProviderUnavailableError, SessionTokens, UserNotConfirmedError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

T = TypeVar("T")
WRONG_CREDENTIALS = "wrong e-mail address or password"
STALE_REFRESH_TOKEN = "the refresh token is invalid, expired or revoked: sign in again"  # noqa: S105
CODE_REFUSED = "this code does not confirm this e-mail address (wrong, used or expired)"
# Cognito's own throttling: the client waits briefly (its per-second quotas refill quickly).
THROTTLED_RETRY_AFTER_SECONDS = 5
THROTTLING = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}
)
OUTAGE = frozenset({"InternalErrorException", "ServiceUnavailableException", "CodeDeliveryFailureException"})
# Sign-up answers the same whether or not the address is taken (no account enumeration).
ALREADY_REGISTERED = frozenset({"UsernameExistsException", "AliasExistsException"})


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's SECRET_HASH for app clients that have a secret."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def default_client(region: str, endpoint_url: str | None) -> CognitoIdentityProviderClient:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        signature_version=UNSIGNED,
        connect_timeout=2,
        read_timeout=5,
        retries={"max_attempts": 2, "mode": "standard"},
    )
    client: CognitoIdentityProviderClient = boto3.session.Session().client(
        "cognito-idp", region_name=region, endpoint_url=endpoint_url, config=config
    )
    return client


class CognitoIdentityProvider:
    def __init__(
        self,
        client_id: str,
        region: str,
        endpoint_url: str | None = None,
        client_secret: str | None = None,
        client_factory: Callable[[], CognitoIdentityProviderClient] | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._factory = client_factory or (lambda: default_client(region, endpoint_url))
        self._client: CognitoIdentityProviderClient | None = None

    def sign_in(self, email: str, password: str) -> SessionTokens:
        parameters = {"USERNAME": email, "PASSWORD": password, **self._secret_parameter(email)}
        answer = self._call(
            lambda client: client.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH", ClientId=self._client_id, AuthParameters=parameters
            ),
            {
                "NotAuthorizedException": lambda _: UnauthorizedError(WRONG_CREDENTIALS),
                "UserNotFoundException": lambda _: UnauthorizedError(WRONG_CREDENTIALS),
                "UserNotConfirmedException": lambda _: UserNotConfirmedError(
                    "confirm your e-mail address first (POST /v1/auth/confirm with the code we sent)"
                ),
                "PasswordResetRequiredException": lambda _: ForbiddenError(
                    "this account needs a new password: reset it before signing in"
                ),
            },
        )
        return _tokens(answer)

    def refresh(self, refresh_token: str) -> SessionTokens:
        if self._client_secret is not None:
            # SECRET_HASH on a refresh needs the user's internal name, which the request does not carry.
            raise NotImplementedError("refreshing through an app client with a secret is not supported")
        answer = self._call(
            lambda client: client.initiate_auth(
                AuthFlow="REFRESH_TOKEN_AUTH",
                ClientId=self._client_id,
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            ),
            {"NotAuthorizedException": lambda _: UnauthorizedError(STALE_REFRESH_TOKEN)},
        )
        return _tokens(answer)

    def sign_up(self, email: str, password: str, attributes: Mapping[str, str]) -> None:
        request: dict[str, Any] = {
            "ClientId": self._client_id,
            "Username": email,
            "Password": password,
            "UserAttributes": [
                {"Name": name, "Value": value} for name, value in {**attributes, "email": email}.items()
            ],
            **self._secret_hash(email),
        }
        try:
            self._call(
                lambda client: client.sign_up(**request),
                {
                    "InvalidPasswordException": lambda message: InvalidInputError(
                        f"the password does not meet the policy: {message}", "password"
                    ),
                    "InvalidParameterException": lambda message: InvalidInputError(message),
                    **{code: lambda _: _AlreadyRegisteredError("") for code in ALREADY_REGISTERED},
                },
            )
        except _AlreadyRegisteredError:
            return

    def confirm_sign_up(self, email: str, code: str) -> None:
        request: dict[str, Any] = {
            "ClientId": self._client_id,
            "Username": email,
            "ConfirmationCode": code,
            **self._secret_hash(email),
        }
        refused = {
            name: (lambda _: InvalidInputError(CODE_REFUSED, "code"))
            for name in (
                "CodeMismatchException",
                "ExpiredCodeException",
                "NotAuthorizedException",
                "UserNotFoundException",
                "AliasExistsException",
            )
        }
        self._call(lambda client: client.confirm_sign_up(**request), refused)

    # ---- helpers

    def _secret_parameter(self, username: str) -> dict[str, str]:
        """InitiateAuth's `SECRET_HASH` auth parameter (none for a client without a secret)."""
        if self._client_secret is None:
            return {}
        return {"SECRET_HASH": secret_hash(username, self._client_id, self._client_secret)}

    def _secret_hash(self, username: str) -> dict[str, str]:
        """SignUp's and ConfirmSignUp's `SecretHash` parameter (none for a client without a secret)."""
        if self._client_secret is None:
            return {}
        return {"SecretHash": secret_hash(username, self._client_id, self._client_secret)}

    def _call(
        self,
        call: Callable[[CognitoIdentityProviderClient], T],
        refusals: Mapping[str, Callable[[str], DomainError]],
    ) -> T:
        """Run one Cognito call; its refusals, Cognito's throttling and outages raised as domain errors."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._factory()
        try:
            return call(self._client)
        except ClientError as error:
            details: Any = error.response.get("Error", {})
            code, message = str(details.get("Code", "")), str(details.get("Message", ""))
            if code in refusals:
                raise refusals[code](message) from None
            if code in THROTTLING:
                raise RateLimitedError(
                    "the sign-in service is busy; try again shortly", THROTTLED_RETRY_AFTER_SECONDS
                ) from None
            if code in OUTAGE:
                raise IdentityProviderUnavailableError("the sign-in service is unavailable") from error
            raise
        except BotoCoreError as error:  # no answer at all: connection refused, timeouts
            raise IdentityProviderUnavailableError("the sign-in service cannot be reached") from error


class _AlreadyRegisteredError(DomainError):
    """Internal: sign-up found the address taken (answered like a fresh sign-up)."""


def _tokens(answer: Any) -> SessionTokens:
    challenge = answer.get("ChallengeName")
    if challenge:
        raise ForbiddenError(
            f"this account needs a further sign-in step ({challenge}) this API does not offer: "
            "sign in through the dashboard"
        )
    result = answer["AuthenticationResult"]
    return SessionTokens(
        id_token=str(result["IdToken"]),
        access_token=str(result["AccessToken"]),
        refresh_token=result.get("RefreshToken"),
        expires_in=int(result["ExpiresIn"]),
    )
