"""The Cognito adapter against botocore's Stubber (the real client, no network): the server-side client's
calls (AdminInitiateAuth with the secret hash and the caller's context, SignUp and ConfirmSignUp with the
secret hash, GetTokensFromRefreshToken with the secret), the secret read from the pool and kept, and each
Cognito refusal as the domain error the API answers, in our words, never Cognito's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import ANY, Stubber
from propdesk.adapters.cognito_auth import (
    CODE_REFUSED,
    POLICY_REFUSAL,
    SIGN_UP_REFUSED,
    STALE_REFRESH_TOKEN,
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
from propdesk.ports import CallerContext, IdentityProviderUnavailableError, UserNotConfirmedError

POOL_ID = "us-east-1_EXAMPLE01"
CLIENT_ID = "server-client-1"
SECRET = "s3cret-of-the-server-client"
RESULT = {"IdToken": "id", "AccessToken": "access", "RefreshToken": "refresh", "ExpiresIn": 3600}
CALLER = CallerContext(
    source_ip="203.0.113.7",
    server_name="api.example.com",
    server_path="/dev/v1/auth/sign-in",
    headers=(("user-agent", "curl/8.5"), ("accept-language", "en-GB")),
)


@pytest.fixture()
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Stubber]]:
    # The client is signed (AdminInitiateAuth needs IAM): credentials from the environment, so that botocore
    # never looks for them on the network.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = default_client("us-east-1", None)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def provider(client: Any, secret: str | None = SECRET) -> CognitoIdentityProvider:
    return CognitoIdentityProvider(
        POOL_ID,
        CLIENT_ID,
        "us-east-1",
        client_secret=(lambda: secret) if secret is not None else None,  # type: ignore[return-value]
        client_factory=lambda: client,
    )


def test_sign_in_is_the_admin_flow_with_the_secret_hash_and_the_caller_s_context(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "admin_initiate_auth",
        {"AuthenticationResult": RESULT},
        {
            "UserPoolId": POOL_ID,
            "ClientId": CLIENT_ID,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {
                "USERNAME": "a@example.com",
                "PASSWORD": "pw",
                "SECRET_HASH": secret_hash("a@example.com", CLIENT_ID, SECRET),
            },
            "ContextData": {
                "IpAddress": "203.0.113.7",
                "ServerName": "api.example.com",
                "ServerPath": "/dev/v1/auth/sign-in",
                "HttpHeaders": [
                    {"headerName": "user-agent", "headerValue": "curl/8.5"},
                    {"headerName": "accept-language", "headerValue": "en-GB"},
                ],
            },
        },
    )

    tokens = provider(client).sign_in("a@example.com", "pw", CALLER)

    assert (tokens.id_token, tokens.refresh_token, tokens.expires_in) == ("id", "refresh", 3600)


def test_without_a_known_source_ip_no_context_is_invented(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "admin_initiate_auth",
        {"AuthenticationResult": RESULT},
        {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
         "AuthParameters": ANY},
    )  # fmt: skip

    provider(client).sign_in("a@example.com", "pw", CallerContext(source_ip=None))


def test_sign_up_and_confirmation_send_the_secret_hash_and_the_caller_s_address(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    expected = secret_hash("a@example.com", CLIENT_ID, SECRET)
    stubber.add_response(
        "sign_up",
        {"UserConfirmed": False, "UserSub": "sub-1"},
        {
            "ClientId": CLIENT_ID,
            "Username": "a@example.com",
            "Password": "Strong-Enough-1!",
            "UserAttributes": [
                {"Name": "name", "Value": "Desk Nine"},
                {"Name": "email", "Value": "a@example.com"},
            ],
            "SecretHash": expected,
            "UserContextData": {"IpAddress": "203.0.113.7"},
        },
    )
    stubber.add_response(
        "confirm_sign_up",
        {},
        {
            "ClientId": CLIENT_ID,
            "Username": "a@example.com",
            "ConfirmationCode": "1",
            "SecretHash": expected,
            "UserContextData": {"IpAddress": "203.0.113.7"},
        },
    )

    provider(client).sign_up("a@example.com", "Strong-Enough-1!", {"name": "Desk Nine"}, CALLER)
    provider(client).confirm_sign_up("a@example.com", "1", CALLER)


def test_refresh_trades_the_token_with_the_client_secret(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "get_tokens_from_refresh_token",
        {"AuthenticationResult": {"IdToken": "id2", "AccessToken": "access2", "ExpiresIn": 3600}},
        {"RefreshToken": "refresh-1", "ClientId": CLIENT_ID, "ClientSecret": SECRET},
    )
    stubber.add_client_error("get_tokens_from_refresh_token", service_error_code="NotAuthorizedException")

    tokens = provider(client).refresh("refresh-1")
    with pytest.raises(UnauthorizedError) as stale:
        provider(client).refresh("refresh-1")

    assert (tokens.id_token, tokens.refresh_token) == ("id2", None)
    assert stale.value.message == STALE_REFRESH_TOKEN


def test_the_secret_is_read_from_the_pool_once_and_kept(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "describe_user_pool_client",
        {"UserPoolClient": {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID, "ClientSecret": SECRET}},
        {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID},
    )
    for _ in range(2):
        stubber.add_response("admin_initiate_auth", {"AuthenticationResult": RESULT})
    signing_in = provider(client, secret=None)

    signing_in.sign_in("a@example.com", "pw")
    signing_in.sign_in("a@example.com", "pw")


def test_the_secret_hash_is_cognitos_hmac() -> None:
    # HMAC-SHA256(key=secret, message=username + client id), base64: as `openssl dgst -hmac` computes it.
    assert secret_hash("user", "client", "secret") == "wvW87lzZoI+qQCVGmWVBJLlucdJ65huAVP1z+0MgA6E="


@pytest.mark.parametrize(
    ("code", "cognito_message", "raised", "message"),
    [
        ("NotAuthorizedException", "Incorrect username or password.", UnauthorizedError, WRONG_CREDENTIALS),
        ("UserNotFoundException", "User does not exist.", UnauthorizedError, WRONG_CREDENTIALS),
        ("UserNotConfirmedException", "User is not confirmed.", UserNotConfirmedError, None),
        ("PasswordResetRequiredException", "Password reset required.", ForbiddenError, None),
        ("TooManyRequestsException", "Rate exceeded", RateLimitedError, None),
        ("InternalErrorException", "boom", IdentityProviderUnavailableError, None),
        (
            "NotAuthorizedException",
            "Unable to verify secret hash for client server-client-1",
            IdentityProviderUnavailableError,
            None,
        ),
        ("SomethingNewException", "a text naming a@example.com", IdentityProviderUnavailableError, None),
    ],
)
def test_sign_in_refusals_become_domain_errors_in_our_words(
    stubbed: tuple[Any, Stubber],
    code: str,
    cognito_message: str,
    raised: type[DomainError],
    message: str | None,
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("admin_initiate_auth", service_error_code=code, service_message=cognito_message)

    with pytest.raises(raised) as error:
        provider(client).sign_in("a@example.com", "pw")

    if message is not None:
        assert error.value.message == message
    assert cognito_message not in error.value.message
    assert "a@example.com" not in error.value.message


def test_a_challenge_is_a_403_not_tokens(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("admin_initiate_auth", {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s" * 20})

    with pytest.raises(ForbiddenError, match="SOFTWARE_TOKEN_MFA"):
        provider(client).sign_in("a@example.com", "pw")


def test_sign_up_hides_a_taken_address_and_names_a_weak_password_in_our_words(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("sign_up", service_error_code="UsernameExistsException")
    stubber.add_client_error(
        "sign_up", service_error_code="InvalidPasswordException", service_message="Password not long enough"
    )
    stubber.add_client_error(
        "sign_up", service_error_code="InvalidParameterException", service_message="Invalid email a@x"
    )

    provider(client).sign_up("a@example.com", "Strong-Enough-1!", {"name": "Desk"})
    with pytest.raises(InvalidInputError) as weak:
        provider(client).sign_up("a@example.com", "short", {})
    with pytest.raises(InvalidInputError) as invalid:
        provider(client).sign_up("a@example.com", "Strong-Enough-1!", {})

    assert (weak.value.message, weak.value.field) == (POLICY_REFUSAL, "password")
    assert invalid.value.message == SIGN_UP_REFUSED


@pytest.mark.parametrize(
    "cognito_message",
    [
        # AWS: the trigger's error message inside Cognito's own sentence
        "PreSignUp failed with error refused field=email: mailinator.com is a disposable e-mail service: "
        "use a permanent address.",
        # the local cloud: the Lambda's error document as text
        '{"errorMessage": "refused field=email: mailinator.com is a disposable e-mail service: use a '
        'permanent address", "errorType": "SignUpRefusedError"}',
    ],
)
def test_a_sign_up_the_pre_sign_up_trigger_refuses_is_a_422_on_the_field_it_names(
    stubbed: tuple[Any, Stubber], cognito_message: str
) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "sign_up", service_error_code="UserLambdaValidationException", service_message=cognito_message
    )

    with pytest.raises(InvalidInputError) as refused:
        provider(client).sign_up("someone@mailinator.com", "Strong-Enough-1!", {})

    assert refused.value.field == "email"
    assert refused.value.message == "mailinator.com is a disposable e-mail service: use a permanent address"


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


class _Unreachable:
    """A client whose every call finds nobody at the endpoint (as botocore reports a refused connection)."""

    def __getattr__(self, name: str) -> Any:
        def call(**_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com")

        return call


def test_an_unreachable_pool_is_unavailable_not_a_crash() -> None:
    client = _Unreachable()

    with pytest.raises(IdentityProviderUnavailableError):
        provider(client).sign_in("a@example.com", "pw")
