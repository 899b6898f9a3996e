"""Sign-up and sign-in through our API in the local cloud, against its Cognito: the tokens it hands out are
accepted by the REST API's Cognito authorizer, a wrong password is a 401, the sixth attempt for one address
within five minutes is a 429 with Retry-After, and a new trader signs up, confirms and signs in."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.harness import DeployedStack

pytestmark = pytest.mark.e2e

PER_EMAIL_WINDOW_SECONDS = 300
# The local cloud's Cognito issues this code to every sign-up (and, unless started with AUTH=true, accepts any
# code: a wrong code's 422 is checked against Cognito's real error in the adapter's unit tests).
LOCAL_CONFIRMATION_CODE = "123456"


@pytest.fixture(scope="module", autouse=True)
def warm_pre_sign_up_trigger(stack: DeployedStack) -> None:
    """Start the pool's pre-sign-up trigger once, straight through Cognito: the emulator's first invocation
    of a function unpacks the dependency layer (tens of seconds on a busy machine), which would otherwise
    fall inside auth_api's 20 s budget for its first sign-up. (On AWS its cold start is about a second.)"""
    from botocore.config import Config

    slow = stack.client_with("cognito-idp", Config(read_timeout=120, retries={"max_attempts": 1}))
    slow.sign_up(
        ClientId=stack.outputs["UserPoolClientId"],
        Username=f"warm-up-{uuid.uuid4().hex[:8]}@example.com",
        Password="Warm-Up-Passw0rd!",
    )


def sign_in(stack: DeployedStack, email: str, password: str) -> tuple[int, dict[str, object], dict[str, str]]:
    answer = stack.http("POST", "/v1/auth/sign-in", body={"email": email, "password": password})
    return answer.status, answer.body, answer.headers


def test_signing_in_returns_tokens_the_rest_api_accepts(stack: DeployedStack) -> None:
    status, tokens, _ = sign_in(stack, f"  {stack.demo['trader_email'].upper()} ", stack.demo["password"])

    assert status == 200, tokens
    assert set(tokens) == {"id_token", "access_token", "refresh_token", "expires_in"}
    me = stack.http("GET", "/v1/me", headers={"Authorization": str(tokens["id_token"])})
    assert me.status == 200, me.body
    assert me.body["trader_id"] == stack.demo["trader_id"]

    refreshed = stack.http("POST", "/v1/auth/refresh", body={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status == 200, refreshed.body
    again = stack.http("GET", "/v1/me", headers={"Authorization": refreshed.body["id_token"]})
    assert again.status == 200


def test_a_wrong_password_is_a_401_that_does_not_say_whether_the_address_exists(stack: DeployedStack) -> None:
    wrong_password = sign_in(stack, stack.demo["staff_email"], "Not-The-Passw0rd!")
    unknown_address = sign_in(stack, f"nobody-{uuid.uuid4().hex[:8]}@example.com", "Not-The-Passw0rd!")

    assert wrong_password[0] == unknown_address[0] == 401
    assert wrong_password[1] == unknown_address[1]
    assert wrong_password[1]["error"]["code"] == "unauthorized"  # type: ignore[index]


def test_the_sixth_attempt_for_one_address_is_a_429_with_retry_after(stack: DeployedStack) -> None:
    if time.time() % PER_EMAIL_WINDOW_SECONDS > PER_EMAIL_WINDOW_SECONDS - 15:
        time.sleep(16)  # all six attempts in one fixed window
    email = f"target-{uuid.uuid4().hex[:8]}@example.com"

    attempts = [sign_in(stack, email, f"Guess-{n}-Passw0rd!") for n in range(6)]

    assert [status for status, _, _ in attempts] == [401] * 5 + [429]
    _, refused, headers = attempts[-1]
    assert refused["error"]["code"] == "rate_limited"  # type: ignore[index]
    retry_after = {name.lower(): value for name, value in headers.items()}["retry-after"]
    assert 1 <= int(retry_after) <= PER_EMAIL_WINDOW_SECONDS


def test_a_new_trader_signs_up_confirms_and_signs_in(stack: DeployedStack) -> None:
    email, password = f"new-{uuid.uuid4().hex[:8]}@example.com", "Fresh-Trader-9!"
    body = {"email": email, "password": password, "display_name": "Desk Nine", "zoneinfo": "Europe/London"}

    signed_up = stack.http("POST", "/v1/auth/sign-up", body=body)
    again = stack.http("POST", "/v1/auth/sign-up", body=body)
    before = sign_in(stack, email, password)
    confirmed = stack.http("POST", "/v1/auth/confirm", body={"email": email, "code": LOCAL_CONFIRMATION_CODE})
    after = sign_in(stack, email, password)

    assert signed_up.status == 202, signed_up.body
    assert again.status == 202 and again.body == signed_up.body  # a taken address reads the same
    assert before[0] == 403 and before[1]["error"]["code"] == "user_not_confirmed"  # type: ignore[index]
    assert confirmed.status == 200, confirmed.body
    assert after[0] == 200
    me = stack.http("GET", "/v1/me", headers={"Authorization": str(after[1]["id_token"])})
    assert me.status == 200 and me.body["email"] == email and me.body["timezone"] == "Europe/London"


def test_a_weak_password_is_refused_on_the_password_field(stack: DeployedStack) -> None:
    answer = stack.http(
        "POST",
        "/v1/auth/sign-up",
        body={"email": f"weak-{uuid.uuid4().hex[:8]}@example.com", "password": "weak"},
    )

    assert answer.status == 422
    assert answer.body["error"]["field"] == "password"


def test_the_public_client_has_no_password_flow_to_guess_against(stack: DeployedStack) -> None:
    # The local cloud enforces a client's auth flows only when started with AUTH=true, so the deployed
    # client's configuration is what is checked here (Cognito refuses a flow the client does not list).
    cognito = stack.client("cognito-idp")
    pool_id = stack.outputs["UserPoolId"]
    public = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=stack.outputs["UserPoolClientId"])
    server = cognito.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=stack.outputs["UserPoolServerClientId"]
    )

    assert set(public["UserPoolClient"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
    }  # fmt: skip
    assert "ClientSecret" not in public["UserPoolClient"]
    assert set(server["UserPoolClient"]["ExplicitAuthFlows"]) == {
        "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
    }  # fmt: skip
    assert server["UserPoolClient"]["ClientSecret"]


def test_a_sign_up_sent_straight_to_cognito_meets_the_rules_of_our_api(stack: DeployedStack) -> None:
    from botocore.exceptions import ClientError

    cognito = stack.client("cognito-idp")
    with pytest.raises(ClientError) as refused:
        cognito.sign_up(
            ClientId=stack.outputs["UserPoolClientId"],
            Username=f"burner-{uuid.uuid4().hex[:8]}@mailinator.com",
            Password="Fresh-Trader-9!",
        )
    through_the_api = stack.http(
        "POST", "/v1/auth/sign-up", body={"email": "burner@mailinator.com", "password": "Fresh-Trader-9!"}
    )

    assert refused.value.response["Error"]["Code"] == "UserLambdaValidationException"
    assert "refused field=email" in refused.value.response["Error"]["Message"]
    assert through_the_api.status == 422 and through_the_api.body["error"]["field"] == "email"
