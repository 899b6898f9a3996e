"""The Cognito adapter against botocore's Stubber (the real client, no network): the calls it makes, the
SECRET_HASH of a client with a secret, and each Cognito refusal as the domain error the API answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from propdesk.adapters.cognito_auth import (
    CODE_REFUSED,
    WRONG_CREDENTIALS,
    CognitoIdentityProvider,
    default_client,
    secret_hash,
)
from propdesk.errors import (
    DomainError,
    ForbiddenError,
    InvalidInputError,
    RateLimitedError,
    UnauthorizedError,
)
from propdesk.ports import IdentityProviderUnavailableError, UserNotConfirmedError

CLIENT_ID = "app-client-1"
RESULT = {"IdToken": "id", "AccessToken": "access", "RefreshToken": "refresh", "ExpiresIn": 3600}


@pytest.fixture()
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = default_client("us-east-1", None)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def provider(client: Any, secret: str | None = None) -> CognitoIdentityProvider:
    return CognitoIdentityProvider(
        CLIENT_ID, "us-east-1", client_secret=secret, client_factory=lambda: client
    )


def test_sign_in_is_user_password_auth_and_returns_the_tokens(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "initiate_auth",
        {"AuthenticationResult": RESULT},
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": {"USERNAME": "a@example.com", "PASSWORD": "pw"},
        },
    )

    tokens = provider(client).sign_in("a@example.com", "pw")

    assert (tokens.id_token, tokens.refresh_token, tokens.expires_in) == ("id", "refresh", 3600)


def test_a_client_with_a_secret_sends_its_secret_hash(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    expected = secret_hash("a@example.com", CLIENT_ID, "s3cret")
    stubber.add_response(
        "initiate_auth",
        {"AuthenticationResult": RESULT},
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": {"USERNAME": "a@example.com", "PASSWORD": "pw", "SECRET_HASH": expected},
        },
    )
    stubber.add_response(
        "confirm_sign_up",
        {},
        {"ClientId": CLIENT_ID, "Username": "a@example.com", "ConfirmationCode": "1", "SecretHash": expected},
    )

    provider(client, "s3cret").sign_in("a@example.com", "pw")
    provider(client, "s3cret").confirm_sign_up("a@example.com", "1")


def test_the_secret_hash_is_cognitos_hmac() -> None:
    # HMAC-SHA256(key=secret, message=username + client id), base64: as `openssl dgst -hmac` computes it.
    assert secret_hash("user", "client", "secret") == "wvW87lzZoI+qQCVGmWVBJLlucdJ65huAVP1z+0MgA6E="


@pytest.mark.parametrize(
    ("code", "raised", "message"),
    [
        ("NotAuthorizedException", UnauthorizedError, WRONG_CREDENTIALS),
        ("UserNotFoundException", UnauthorizedError, WRONG_CREDENTIALS),
        ("UserNotConfirmedException", UserNotConfirmedError, None),
        ("PasswordResetRequiredException", ForbiddenError, None),
        ("TooManyRequestsException", RateLimitedError, None),
        ("InternalErrorException", IdentityProviderUnavailableError, None),
    ],
)
def test_sign_in_refusals_become_domain_errors(
    stubbed: tuple[Any, Stubber], code: str, raised: type[DomainError], message: str | None
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("initiate_auth", service_error_code=code, service_message="Cognito says no")

    with pytest.raises(raised) as error:
        provider(client).sign_in("a@example.com", "pw")

    if message is not None:
        assert error.value.message == message


def test_a_challenge_is_a_403_not_tokens(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("initiate_auth", {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s" * 20})

    with pytest.raises(ForbiddenError, match="SOFTWARE_TOKEN_MFA"):
        provider(client).sign_in("a@example.com", "pw")


def test_sign_up_hides_a_taken_address_and_names_a_weak_password(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("sign_up", service_error_code="UsernameExistsException")
    stubber.add_client_error(
        "sign_up", service_error_code="InvalidPasswordException", service_message="Password not long enough"
    )

    provider(client).sign_up("a@example.com", "Strong-Enough-1!", {"name": "A"})
    with pytest.raises(InvalidInputError) as weak:
        provider(client).sign_up("a@example.com", "short", {})

    assert weak.value.field == "password"
    assert "short" not in weak.value.message


@pytest.mark.parametrize(
    "code",
    ["CodeMismatchException", "ExpiredCodeException", "NotAuthorizedException", "UserNotFoundException"],
)
def test_every_confirmation_refusal_reads_the_same(stubbed: tuple[Any, Stubber], code: str) -> None:
    client, stubber = stubbed
    stubber.add_client_error("confirm_sign_up", service_error_code=code)

    with pytest.raises(InvalidInputError) as refused:
        provider(client).confirm_sign_up("a@example.com", "123456")

    assert (refused.value.message, refused.value.field) == (CODE_REFUSED, "code")


def test_an_unreachable_pool_is_unavailable_not_a_crash() -> None:
    client = default_client("us-east-1", "http://127.0.0.1:9")  # nothing listens on the discard port

    with pytest.raises(IdentityProviderUnavailableError):
        provider(client).sign_in("a@example.com", "pw")
