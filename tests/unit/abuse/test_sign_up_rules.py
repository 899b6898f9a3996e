"""Who may sign up, whichever door they use: the rules our sign-up route and Cognito's pre-sign-up trigger
share, and how a refusal travels through Cognito's error message back to the field it names."""

from __future__ import annotations

import pytest
from propdesk.abuse.sign_up import SignUpRefusal, read_refusal, sign_up_refusal


def test_an_ordinary_sign_up_passes() -> None:
    attributes = {"name": "Desk Nine", "zoneinfo": "Europe/London"}
    assert sign_up_refusal("desk.nine@example.com", attributes) is None
    assert sign_up_refusal("desk.nine@example.com", {}) is None


@pytest.mark.parametrize("email", ["a@mailinator.com", "a@eu.mailinator.com", "a@YOPMAIL.com"])
def test_a_disposable_e_mail_service_is_refused_on_the_email(email: str) -> None:
    refusal = sign_up_refusal(email.lower(), {})

    assert refusal is not None and refusal.field == "email"
    assert "disposable" in refusal.message


def test_the_firm_s_own_list_of_disposable_services_is_used_when_given() -> None:
    assert sign_up_refusal("a@burner.example", {}, frozenset({"burner.example"})) is not None


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "a b@example.com", "a@" + "x" * 260 + ".com"])
def test_what_is_not_an_address_is_refused(email: str) -> None:
    assert sign_up_refusal(email, {}) == SignUpRefusal("email", "not an e-mail address")


@pytest.mark.parametrize("name", ["me@example.com", "ab", "https://x.example/y", " Desk", "a" * 33, "<b>"])
def test_a_display_name_put_v1_me_would_refuse_is_refused(name: str) -> None:
    refusal = sign_up_refusal("desk@example.com", {"name": name})

    assert refusal is not None and refusal.field == "display_name"


def test_an_unknown_zone_is_refused() -> None:
    assert sign_up_refusal("desk@example.com", {"zoneinfo": "Mars/Olympus"}) == SignUpRefusal(
        "zoneinfo", "not a known IANA time zone"
    )


@pytest.mark.parametrize(
    "wrapped",
    [
        "PreSignUp failed with error {wire}.",
        '{{"errorMessage": "{wire}", "errorType": "SignUpRefusedError", "stackTrace": []}}',
        "{wire}",
    ],
)
def test_a_refusal_reads_back_from_the_message_cognito_wraps_it_in(wrapped: str) -> None:
    refusal = SignUpRefusal("display_name", "letters, digits, spaces and . _ - only, starting with a letter")

    assert read_refusal(wrapped.format(wire=refusal.wire())) == refusal


def test_a_message_without_a_refusal_reads_as_none() -> None:
    assert read_refusal("PreSignUp failed with error Task timed out after 5.00 seconds.") is None
