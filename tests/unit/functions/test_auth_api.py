"""Sign-up and sign-in through our API, with an in-memory pool: tokens for the right password, one 401 for a
wrong password and an unknown address alike, limits per address and per source IP answered 429 with
Retry-After before Cognito is asked, Cognito's throttling and outages as 429 and 503, and the password never
in an answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.errors import RateLimitedError
from propdesk.ports import IdentityProviderUnavailableError
from propdesk.services.rate_limits import RateLimiter

from events import load_event
from functions.auth_api import handler as auth_api
from tests.doubles.ports import InMemoryIdentityProvider, ManualClock
from tests.doubles.rate_limits import InMemoryWindowCounter

CONTEXT: Any = None  # the handler's process() does not read the Lambda context
START = datetime(2026, 11, 25, 14, 0, 0, tzinfo=UTC)  # a window boundary for every limit
EMAIL, PASSWORD = "trader@example.com", "Correct-Horse-9!"


class Api:
    """The auth function in-process, with a fake pool, an in-memory limiter and a clock the test moves."""

    def __init__(self) -> None:
        self.pool = InMemoryIdentityProvider()
        self.pool.add_user(EMAIL, PASSWORD)
        self.clock = ManualClock(START + timedelta(seconds=10))
        self.deps = auth_api.Dependencies(self.pool, RateLimiter(InMemoryWindowCounter()), self.clock)

    def post(self, path: str, body: dict[str, Any] | str, source_ip: str = "203.0.113.7") -> dict[str, Any]:
        event = load_event("apigateway/post_sign_in")
        event["path"] = event["resource"] = event["requestContext"]["resourcePath"] = path
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["requestContext"]["identity"]["sourceIp"] = source_ip
        response: dict[str, Any] = auth_api.process(event, CONTEXT, self.deps)
        return response

    def sign_in(self, email: str = EMAIL, password: str = PASSWORD, **kwargs: str) -> dict[str, Any]:
        return self.post("/v1/auth/sign-in", {"email": email, "password": password}, **kwargs)


@pytest.fixture()
def api() -> Api:
    return Api()


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def retry_after(response: dict[str, Any]) -> str:
    return str(response["multiValueHeaders"]["Retry-After"][0])


# ---- sign-in


def test_the_right_password_gets_the_pools_tokens(api: Api) -> None:
    response = api.sign_in(email="  Trader@Example.COM ")  # trimmed and compared in lower case

    assert response["statusCode"] == 200
    assert body(response) == {
        "id_token": "id-1", "access_token": "access-1", "refresh_token": "refresh-1", "expires_in": 3600,
    }  # fmt: skip


def test_a_wrong_password_and_an_unknown_address_get_the_same_401(api: Api) -> None:
    wrong = api.sign_in(password="not-the-password")
    unknown = api.sign_in(email="nobody@example.com")

    assert wrong["statusCode"] == unknown["statusCode"] == 401
    assert (
        body(wrong)
        == body(unknown)
        == {"error": {"code": "unauthorized", "message": "wrong e-mail address or password"}}
    )
    assert "not-the-password" not in wrong["body"]


def test_an_unconfirmed_address_is_a_403_naming_the_next_step(api: Api) -> None:
    api.pool.add_user("new@example.com", PASSWORD, confirmed=False)

    response = api.sign_in(email="new@example.com")

    assert response["statusCode"] == 403
    assert body(response)["error"]["code"] == "user_not_confirmed"


def test_the_sixth_attempt_for_one_address_in_five_minutes_is_refused_before_cognito(api: Api) -> None:
    statuses = [api.sign_in(password=f"guess-{n}")["statusCode"] for n in range(5)]
    api.clock.advance(timedelta(seconds=50))

    refused = api.sign_in()  # even the right password: the allowance is used up
    other_address = api.sign_in(email="someone@example.com")

    assert statuses == [401] * 5
    assert refused["statusCode"] == 429
    assert retry_after(refused) == str(300 - 60)
    assert body(refused)["error"]["code"] == "rate_limited"
    assert api.pool.calls.count("sign_in") == 6  # five guesses and the other address
    assert other_address["statusCode"] == 401
    api.clock.advance(timedelta(seconds=240))  # the next window
    assert api.sign_in()["statusCode"] == 200


def test_the_address_limit_ignores_case_and_spaces(api: Api) -> None:
    for spelling in ("trader@example.com", "TRADER@example.com", " Trader@Example.com", "trader@EXAMPLE.com"):
        api.sign_in(email=spelling, password="wrong")
    api.sign_in(email="trader@example.com ", password="wrong")

    assert api.sign_in()["statusCode"] == 429


def test_one_source_ip_spraying_many_addresses_is_stopped_at_thirty(api: Api) -> None:
    statuses = [api.sign_in(email=f"user{n}@example.com")["statusCode"] for n in range(31)]
    elsewhere = api.sign_in(source_ip="198.51.100.9")

    assert statuses == [401] * 30 + [429]
    assert elsewhere["statusCode"] == 200


def test_cognito_throttling_is_a_429_and_an_outage_a_503_with_retry_after(api: Api) -> None:
    api.pool.fail_next = RateLimitedError("the sign-in service is busy; try again shortly", 5)
    throttled = api.sign_in()
    api.pool.fail_next = IdentityProviderUnavailableError("the sign-in service is unavailable")
    down = api.sign_in()

    assert (throttled["statusCode"], retry_after(throttled)) == (429, "5")
    assert (down["statusCode"], retry_after(down)) == (503, "5")
    assert body(down) == {
        "error": {"code": "identity_provider_unavailable", "message": "the sign-in service is unavailable"}
    }


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ("{not json", 400, "body"),
        ({"email": EMAIL}, 422, "password"),
        ({"email": "not-an-address", "password": PASSWORD}, 422, "email"),
        ({"email": EMAIL, "password": PASSWORD, "remember": True}, 422, "remember"),
    ],
)
def test_malformed_sign_ins_are_refused_naming_the_field_without_echoing_it(
    api: Api, payload: dict[str, Any] | str, status: int, field: str
) -> None:
    response = api.post("/v1/auth/sign-in", payload)

    assert response["statusCode"] == status
    assert body(response)["error"]["field"] == field
    assert PASSWORD not in response["body"]
    assert api.pool.calls == []


# ---- refresh


def test_a_refresh_token_gets_new_tokens_and_a_stale_one_a_401(api: Api) -> None:
    refresh_token = body(api.sign_in())["refresh_token"]

    fresh = api.post("/v1/auth/refresh", {"refresh_token": refresh_token})
    stale = api.post("/v1/auth/refresh", {"refresh_token": "revoked"})

    assert fresh["statusCode"] == 200
    assert set(body(fresh)) == {"id_token", "access_token", "expires_in"}
    assert stale["statusCode"] == 401


def test_refreshes_are_limited_per_source_ip(api: Api) -> None:
    statuses = [api.post("/v1/auth/refresh", {"refresh_token": "x"})["statusCode"] for _ in range(61)]

    assert statuses == [401] * 60 + [429]


# ---- sign-up and confirmation


def test_sign_up_then_confirm_then_sign_in(api: Api) -> None:
    signed_up = api.post(
        "/v1/auth/sign-up",
        {
            "email": "New@Example.com",
            "password": PASSWORD,
            "display_name": "Desk 7",
            "zoneinfo": "Europe/London",
        },
    )
    before = api.sign_in(email="new@example.com")
    confirmed = api.post("/v1/auth/confirm", {"email": "new@example.com", "code": "123456"})
    after = api.sign_in(email="new@example.com")

    assert signed_up["statusCode"] == 202
    assert api.pool.users["new@example.com"].attributes == {
        "email": "new@example.com", "name": "Desk 7", "zoneinfo": "Europe/London",
    }  # fmt: skip
    assert before["statusCode"] == 403
    assert confirmed["statusCode"] == 200
    assert after["statusCode"] == 200


def test_signing_up_a_taken_address_answers_exactly_like_a_new_one(api: Api) -> None:
    taken = api.post("/v1/auth/sign-up", {"email": EMAIL, "password": PASSWORD})
    fresh = api.post("/v1/auth/sign-up", {"email": "fresh@example.com", "password": PASSWORD})

    assert taken["statusCode"] == fresh["statusCode"] == 202
    assert taken["body"] == fresh["body"]


def test_a_weak_password_is_a_422_on_the_password_and_a_bad_zone_on_zoneinfo(api: Api) -> None:
    weak = api.post("/v1/auth/sign-up", {"email": "weak@example.com", "password": "password"})
    zone = api.post(
        "/v1/auth/sign-up", {"email": "z@example.com", "password": PASSWORD, "zoneinfo": "Mars/Olympus"}
    )

    assert (weak["statusCode"], body(weak)["error"]["field"]) == (422, "password")
    assert "password" not in body(weak)["error"]["message"].replace("the password does not", "")
    assert (zone["statusCode"], body(zone)["error"]["field"]) == (422, "zoneinfo")


def test_sign_ups_are_limited_per_source_ip(api: Api) -> None:
    statuses = [
        api.post("/v1/auth/sign-up", {"email": f"bot{n}@example.com", "password": PASSWORD})["statusCode"]
        for n in range(11)
    ]

    assert statuses == [202] * 10 + [429]


def test_a_wrong_code_is_a_422_on_the_code_and_guessing_is_limited_per_address(api: Api) -> None:
    api.post("/v1/auth/sign-up", {"email": "new@example.com", "password": PASSWORD})

    guesses = [
        api.post("/v1/auth/confirm", {"email": "new@example.com", "code": f"00000{n}"}) for n in range(6)
    ]

    assert [g["statusCode"] for g in guesses] == [422] * 5 + [429]
    assert body(guesses[0])["error"]["field"] == "code"
    unknown = api.post("/v1/auth/confirm", {"email": "nobody@example.com", "code": "123456"})
    assert body(unknown) == body(guesses[0])  # an unknown address looks like a wrong code


def test_a_disposable_address_is_refused_on_the_email_before_cognito_is_asked(api: Api) -> None:
    refused = api.post("/v1/auth/sign-up", {"email": "x@mailinator.com", "password": PASSWORD})

    assert (refused["statusCode"], body(refused)["error"]["field"]) == (422, "email")
    assert "disposable" in body(refused)["error"]["message"]
    assert "sign_up" not in api.pool.calls


@pytest.mark.parametrize("name", ["me@example.com", "x", "https://spam.example", "a" * 33])
def test_a_display_name_put_v1_me_would_refuse_is_refused_at_sign_up(api: Api, name: str) -> None:
    refused = api.post(
        "/v1/auth/sign-up", {"email": "new@example.com", "password": PASSWORD, "display_name": name}
    )

    assert (refused["statusCode"], body(refused)["error"]["field"]) == (422, "display_name")
    assert "sign_up" not in api.pool.calls


def test_cognito_is_told_who_is_calling_not_which_function_calls(api: Api) -> None:
    api.sign_in(source_ip="198.51.100.23")
    api.post(
        "/v1/auth/sign-up", {"email": "new@example.com", "password": PASSWORD}, source_ip="198.51.100.24"
    )

    signing_in, signing_up = api.pool.contexts
    assert signing_in is not None and signing_up is not None
    assert (signing_in.source_ip, signing_up.source_ip) == ("198.51.100.23", "198.51.100.24")
    assert signing_in.server_name == "abc123.execute-api.us-east-1.amazonaws.com"
    assert signing_in.server_path == "/dev/v1/auth/sign-in"
    assert ("user-agent", "curl/8.5.0") in signing_in.headers
