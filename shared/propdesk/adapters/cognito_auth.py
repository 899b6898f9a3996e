"""`propdesk.ports.IdentityProvider` on the user pool's server-side app client (one with a secret).

Why a server-side client: the pool's public client (the dashboard's) has no secret, so anyone could call its
password flow around our API's limits. Our API instead signs in through a client that only allows
`ADMIN_USER_PASSWORD_AUTH`, which only a caller with IAM permission on the pool can use (AdminInitiateAuth),
with the client's secret hash; sign-up and confirmation go through the same client (SignUp and ConfirmSignUp
with `SecretHash`), refresh through GetTokensFromRefreshToken with the client secret. The secret is read from
the pool (DescribeUserPoolClient) on first use and re-read every five minutes, so it never sits in the
function's configuration.

Threat protection scores the person, not our function: each call carries the caller's address and a few
headers (`ContextData` on AdminInitiateAuth, `UserContextData` on SignUp and ConfirmSignUp; the client
propagates additional user context data).

Cognito's refusals become domain errors with our own messages (never Cognito's text, which can name the
account or our configuration), and none tells whether an e-mail address has an account. boto3 is imported on
first use, not at cold start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from propdesk.abuse.sign_up import read_refusal
from propdesk.adapters.cached import CachedValue
from propdesk.errors import (
    DomainError,
    ForbiddenError,
    InvalidInputError,
    RateLimitedError,
    UnauthorizedError,
)
from propdesk.observability import logger
from propdesk.ports import (
    CallerContext,
    IdentityProviderUnavailableError,
    SessionTokens,
    UserNotConfirmedError,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

T = TypeVar("T")
WRONG_CREDENTIALS = "wrong e-mail address or password"
STALE_REFRESH_TOKEN = "the refresh token is invalid, expired or revoked: sign in again"  # noqa: S105
CODE_REFUSED = "this code does not confirm this e-mail address (wrong, used or expired)"
# The policy's words (not a password).
POLICY_REFUSAL = (
    "the password does not meet the policy: 12 characters or more, with upper and lower case letters, "
    "a digit and a symbol"
)
SIGN_UP_REFUSED = "this sign-up cannot be accepted: check the e-mail address, display name and zone"
UNAVAILABLE = "the sign-in service is unavailable"
# Cognito's own throttling: the client waits briefly (its per-second quotas refill quickly).
THROTTLED_RETRY_AFTER_SECONDS = 5
THROTTLING = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}
)
OUTAGE = frozenset({"InternalErrorException", "ServiceUnavailableException", "CodeDeliveryFailureException"})
# Sign-up answers the same whether or not the address is taken (no account enumeration).
ALREADY_REGISTERED = frozenset({"UsernameExistsException", "AliasExistsException"})
# Request headers passed on to threat protection (it scores the device and client, never our function).
SCORED_HEADERS = ("user-agent", "accept-language")


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's SECRET_HASH for app clients that have a secret."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def default_client(region: str, endpoint_url: str | None) -> CognitoIdentityProviderClient:
    """A signed client: AdminInitiateAuth and DescribeUserPoolClient need the function's IAM role (the public
    calls, SignUp and the rest, accept signed requests and ignore the signature)."""
    import boto3
    from botocore.config import Config

    # SignUp waits for the pool's pre-sign-up trigger (Cognito gives it 5 s an attempt): a read timeout
    # shorter than that would retry a sign-up still in progress.
    config = Config(connect_timeout=2, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"})
    client: CognitoIdentityProviderClient = boto3.session.Session().client(
        "cognito-idp", region_name=region, endpoint_url=endpoint_url, config=config
    )
    return client


class CognitoIdentityProvider:
    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        region: str,
        endpoint_url: str | None = None,
        client_secret: Callable[[], str] | None = None,
        client_factory: Callable[[], CognitoIdentityProviderClient] | None = None,
    ) -> None:
        self._pool_id = user_pool_id
        self._client_id = client_id
        self._factory = client_factory or (lambda: default_client(region, endpoint_url))
        self._client: CognitoIdentityProviderClient | None = None
        self._secret = CachedValue(client_secret or self._described_secret)

    def sign_in(self, email: str, password: str, context: CallerContext | None = None) -> SessionTokens:
        request: dict[str, Any] = {
            "UserPoolId": self._pool_id,
            "ClientId": self._client_id,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": password, "SECRET_HASH": self._hash(email)},
            **_context_data(context),
        }
        answer = self._call(
            lambda client: client.admin_initiate_auth(**request),
            {
                "NotAuthorizedException": _wrong_credentials_or_misconfigured,
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
        answer = self._call(
            lambda client: client.get_tokens_from_refresh_token(
                RefreshToken=refresh_token, ClientId=self._client_id, ClientSecret=self._secret.get()
            ),
            {
                "NotAuthorizedException": lambda _: UnauthorizedError(STALE_REFRESH_TOKEN),
                "RefreshTokenReuseException": lambda _: UnauthorizedError(STALE_REFRESH_TOKEN),
            },
        )
        return _tokens(answer)

    def sign_up(
        self, email: str, password: str, attributes: Mapping[str, str], context: CallerContext | None = None
    ) -> None:
        request: dict[str, Any] = {
            "ClientId": self._client_id,
            "Username": email,
            "Password": password,
            "UserAttributes": [
                {"Name": name, "Value": value} for name, value in {**attributes, "email": email}.items()
            ],
            "SecretHash": self._hash(email),
            **_user_context_data(context),
        }
        try:
            self._call(
                lambda client: client.sign_up(**request),
                {
                    "InvalidPasswordException": lambda _: InvalidInputError(POLICY_REFUSAL, "password"),
                    "InvalidParameterException": lambda _: InvalidInputError(SIGN_UP_REFUSED),
                    "UserLambdaValidationException": _refused_by_the_pool,
                    **{code: lambda _: _AlreadyRegisteredError("") for code in ALREADY_REGISTERED},
                },
            )
        except _AlreadyRegisteredError:
            return

    def confirm_sign_up(self, email: str, code: str, context: CallerContext | None = None) -> None:
        request: dict[str, Any] = {
            "ClientId": self._client_id,
            "Username": email,
            "ConfirmationCode": code,
            "SecretHash": self._hash(email),
            **_user_context_data(context),
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

    def _hash(self, username: str) -> str:
        return secret_hash(username, self._client_id, self._secret.get())

    def _described_secret(self) -> str:
        """The client's secret as the pool describes it (the function's role may describe this client)."""
        answer = self._call(
            lambda client: client.describe_user_pool_client(
                UserPoolId=self._pool_id, ClientId=self._client_id
            ),
            {},
        )
        secret = answer["UserPoolClient"].get("ClientSecret")
        if not secret:
            raise IdentityProviderUnavailableError(UNAVAILABLE)  # a client without a secret: misconfigured
        return secret

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
            if code not in OUTAGE:  # a refusal we do not expect: its code (never its text) for the logs
                logger.warning("Cognito refused a call", extra={"cognito_error": code})
            raise IdentityProviderUnavailableError(UNAVAILABLE) from None
        except BotoCoreError as error:  # no answer at all: connection refused, timeouts
            raise IdentityProviderUnavailableError("the sign-in service cannot be reached") from error


class _AlreadyRegisteredError(DomainError):
    """Internal: sign-up found the address taken (answered like a fresh sign-up)."""


def _wrong_credentials_or_misconfigured(message: str) -> DomainError:
    """NotAuthorized is a wrong password, a disabled user, or (our fault, not theirs) a wrong secret hash."""
    if "secret hash" in message.lower():
        logger.error("Cognito refused the server client's secret hash: check the app client's secret")
        return IdentityProviderUnavailableError(UNAVAILABLE)
    return UnauthorizedError(WRONG_CREDENTIALS)


def _refused_by_the_pool(message: str) -> DomainError:
    """The pre-sign-up trigger refused the sign-up: its refusal names the field and says why."""
    refusal = read_refusal(message)
    if refusal is None:
        return InvalidInputError(SIGN_UP_REFUSED)
    return InvalidInputError(refusal.message, refusal.field)


def _context_data(context: CallerContext | None) -> dict[str, Any]:
    """AdminInitiateAuth's `ContextData`: the caller as threat protection should score it."""
    if context is None or not context.source_ip:
        return {}
    return {
        "ContextData": {
            "IpAddress": context.source_ip,
            "ServerName": context.server_name or "propdesk",
            "ServerPath": context.server_path or "/",
            "HttpHeaders": [
                {"headerName": name, "headerValue": value}
                for name, value in context.headers
                if name.lower() in SCORED_HEADERS
            ],
        }
    }


def _user_context_data(context: CallerContext | None) -> dict[str, Any]:
    """SignUp's and ConfirmSignUp's `UserContextData`: the caller's address."""
    if context is None or not context.source_ip:
        return {}
    return {"UserContextData": {"IpAddress": context.source_ip}}


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
