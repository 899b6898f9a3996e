"""A trader's address and zone from the user pool by their `sub` (Stubber: the real client, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from propdesk.adapters.cognito_contacts import CognitoContactDirectory
from propdesk.adapters.cognito_staff import default_client
from propdesk.ports import Contact, IdentityProviderUnavailableError

POOL = "us-east-1_pool"
SUB = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(scope="module")
def client() -> Any:
    return default_client("us-east-1", None)  # one per module: building a client takes a second here


@pytest.fixture()
def stubbed(client: Any) -> Iterator[tuple[CognitoContactDirectory, Stubber]]:
    with Stubber(client) as stubber:
        yield CognitoContactDirectory(POOL, lambda: client), stubber
        stubber.assert_no_pending_responses()


def user(**attributes: str) -> dict[str, Any]:
    return {
        "Username": SUB,
        "UserAttributes": [
            {"Name": name, "Value": value} for name, value in {"sub": SUB, **attributes}.items()
        ],
    }


def test_the_address_and_zone_are_read_by_sub(stubbed: tuple[CognitoContactDirectory, Stubber]) -> None:
    directory, stubber = stubbed
    answer = user(email="t@example.com", email_verified="true", zoneinfo="Europe/London", name="Jo")
    stubber.add_response("admin_get_user", answer, {"UserPoolId": POOL, "Username": SUB})
    assert directory.contact(SUB) == Contact("t@example.com", "Europe/London")


def test_a_trader_without_a_zone_gets_none(stubbed: tuple[CognitoContactDirectory, Stubber]) -> None:
    directory, stubber = stubbed
    stubber.add_response("admin_get_user", user(email="t@example.com"), {"UserPoolId": POOL, "Username": SUB})
    assert directory.contact(SUB) == Contact("t@example.com", None)


def test_an_unverified_address_is_not_used(stubbed: tuple[CognitoContactDirectory, Stubber]) -> None:
    directory, stubber = stubbed
    answer = user(email="t@example.com", email_verified="false")
    stubber.add_response("admin_get_user", answer, {"UserPoolId": POOL, "Username": SUB})
    assert directory.contact(SUB) is None


def test_an_unknown_trader_has_no_contact(stubbed: tuple[CognitoContactDirectory, Stubber]) -> None:
    directory, stubber = stubbed
    stubber.add_client_error("admin_get_user", "UserNotFoundException", "User does not exist.")
    assert directory.contact(SUB) is None


def test_an_outage_is_retried_not_taken_for_a_missing_trader(
    stubbed: tuple[CognitoContactDirectory, Stubber],
) -> None:
    directory, stubber = stubbed
    stubber.add_client_error("admin_get_user", "TooManyRequestsException", "slow down")
    with pytest.raises(IdentityProviderUnavailableError):
        directory.contact(SUB)
