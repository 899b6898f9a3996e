"""The Cognito pre-sign-up trigger, with Cognito's real event: an ordinary sign-up goes through unchanged, a
refused one raises the refusal Cognito passes on (naming the field), users an administrator creates are not
checked, and nothing about the person is logged."""

from __future__ import annotations

from typing import Any

import pytest
from propdesk.abuse.sign_up import read_refusal
from propdesk.purchases.fraud import DISPOSABLE_DOMAINS

from events import load_event
from functions.pre_sign_up import handler as pre_sign_up

CONTEXT: Any = None
DEPS = pre_sign_up.Dependencies(DISPOSABLE_DOMAINS)


def test_an_ordinary_sign_up_is_returned_unchanged() -> None:
    event = load_event("cognito/pre_sign_up")

    assert pre_sign_up.process(event, CONTEXT, DEPS) == load_event("cognito/pre_sign_up")


@pytest.mark.parametrize(
    ("attribute", "value", "field"),
    [
        ("email", "desk@mailinator.com", "email"),
        ("name", "desk@example.com", "display_name"),
        ("zoneinfo", "Mars/Olympus", "zoneinfo"),
    ],
)
def test_a_sign_up_our_api_would_refuse_is_refused_naming_the_field(
    attribute: str, value: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged: list[str] = []
    monkeypatch.setattr(
        pre_sign_up.logger, "info", lambda message, **kwargs: logged.append(f"{message} {kwargs}")
    )
    event = load_event("cognito/pre_sign_up")
    event["request"]["userAttributes"][attribute] = value

    with pytest.raises(pre_sign_up.SignUpRefusedError) as refused:
        pre_sign_up.process(event, CONTEXT, DEPS)

    refusal = read_refusal(str(refused.value))
    assert refusal is not None and refusal.field == field
    assert logged == [f"sign-up refused {{'extra': {{'trigger': 'PreSignUp_SignUp', 'field': '{field}'}}}}"]


def test_users_an_administrator_creates_are_the_firm_s_own_decision() -> None:
    event = load_event("cognito/pre_sign_up")
    event["triggerSource"] = "PreSignUp_AdminCreateUser"
    event["request"]["userAttributes"]["email"] = "staff@mailinator.com"

    assert pre_sign_up.process(event, CONTEXT, DEPS)["triggerSource"] == "PreSignUp_AdminCreateUser"


def test_a_federated_sign_up_is_checked_too() -> None:
    event = load_event("cognito/pre_sign_up")
    event["triggerSource"] = "PreSignUp_ExternalProvider"
    event["request"]["userAttributes"]["email"] = "x@yopmail.com"

    with pytest.raises(pre_sign_up.SignUpRefusedError):
        pre_sign_up.process(event, CONTEXT, DEPS)


def test_the_address_is_compared_in_lower_case() -> None:
    event = load_event("cognito/pre_sign_up")
    event["request"]["userAttributes"]["email"] = "Desk@MAILINATOR.com"

    with pytest.raises(pre_sign_up.SignUpRefusedError):
        pre_sign_up.process(event, CONTEXT, DEPS)
