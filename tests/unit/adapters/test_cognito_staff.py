"""The Cognito staff directory against botocore's Stubber (the real client, no network): users named by
`sub`, the pool's username looked up for the admin calls, pages followed, and Cognito's outages and missing
users as the errors the routes answer (503, 404)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from propdesk.adapters.cognito_staff import CognitoStaffDirectory, CognitoStaffMfa, default_client
from propdesk.ports import IdentityProviderUnavailableError

POOL = "us-east-1_pool"
ROLES = ("admin", "finance", "risk", "support")


def user(sub: str, username: str | None = None) -> dict[str, Any]:
    return {
        "Username": username or f"name-{sub}",
        "Attributes": [{"Name": "sub", "Value": sub}, {"Name": "email", "Value": f"{sub}@firm.example"}],
        "Enabled": True,
        "UserStatus": "CONFIRMED",
    }


@pytest.fixture()
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CognitoStaffDirectory, Stubber]]:
    # Signed admin calls: without credentials in the environment botocore would look for them on the network.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = default_client("us-east-1", None)
    with Stubber(client) as stubber:
        yield CognitoStaffDirectory(POOL, lambda: client, ROLES), stubber
        stubber.assert_no_pending_responses()


def test_members_follow_the_pages_of_the_group(stubbed: tuple[CognitoStaffDirectory, Stubber]) -> None:
    directory, stubber = stubbed
    base = {"UserPoolId": POOL, "GroupName": "risk", "Limit": 60}
    stubber.add_response("list_users_in_group", {"Users": [user("u1")], "NextToken": "t"}, base)
    stubber.add_response("list_users_in_group", {"Users": [user("u2")]}, {**base, "NextToken": "t"})

    found = directory.members("risk")

    assert [(u.user_id, u.email, u.roles) for u in found] == [
        ("u1", "u1@firm.example", {"risk"}),
        ("u2", "u2@firm.example", {"risk"}),
    ]


def test_find_by_sub_reads_the_staff_groups_and_the_admin_calls_use_the_username(
    stubbed: tuple[CognitoStaffDirectory, Stubber],
) -> None:
    directory, stubber = stubbed
    stubber.add_response(
        "list_users", {"Users": [user("u1", "ada@firm.example")]},
        {"UserPoolId": POOL, "Filter": 'sub = "u1"', "Limit": 1},
    )  # fmt: skip
    stubber.add_response(
        "admin_list_groups_for_user",
        {"Groups": [{"GroupName": "support"}, {"GroupName": "trader"}]},
        {"UserPoolId": POOL, "Username": "ada@firm.example", "Limit": 60},
    )
    stubber.add_response(
        "admin_add_user_to_group",
        {},
        {"UserPoolId": POOL, "Username": "ada@firm.example", "GroupName": "risk"},
    )

    found = directory.find("u1")
    directory.add_role("u1", "risk")

    assert found is not None and found.roles == {"support"}  # the trader group is no staff role


def test_an_unknown_sub_is_none(stubbed: tuple[CognitoStaffDirectory, Stubber]) -> None:
    directory, stubber = stubbed
    stubber.add_response("list_users", {"Users": []}, {"UserPoolId": POOL, "Filter": 'sub = "x"', "Limit": 1})

    assert directory.find("x") is None


@pytest.mark.parametrize(
    ("code", "error"),
    [("InternalErrorException", IdentityProviderUnavailableError), ("UserNotFoundException", LookupError)],
)
def test_cognito_refusals_become_the_errors_the_routes_answer(
    stubbed: tuple[CognitoStaffDirectory, Stubber], code: str, error: type[Exception]
) -> None:
    directory, stubber = stubbed
    stubber.add_client_error("list_users_in_group", service_error_code=code, http_status_code=500)

    with pytest.raises(error):
        directory.members("admin")


def test_a_user_signs_in_with_mfa_when_totp_is_among_their_methods(
    stubbed: tuple[CognitoStaffDirectory, Stubber],
) -> None:
    directory, stubber = stubbed
    for sub, methods in (("u1", ["SOFTWARE_TOKEN_MFA"]), ("u2", [])):
        stubber.add_response(
            "list_users", {"Users": [user(sub)]}, {"UserPoolId": POOL, "Filter": f'sub = "{sub}"', "Limit": 1}
        )
        answer = {"Username": f"name-{sub}", "UserAttributes": [], "Enabled": True}
        stubber.add_response(
            "admin_get_user", {**answer, "UserMFASettingList": methods} if methods else answer,
            {"UserPoolId": POOL, "Username": f"name-{sub}"},
        )  # fmt: skip
    stubber.add_response(
        "list_users", {"Users": []}, {"UserPoolId": POOL, "Filter": 'sub = "u3"', "Limit": 1}
    )

    assert [directory.mfa_enabled(sub) for sub in ("u1", "u2", "u3")] == [True, False, False]


def test_a_yes_is_remembered_for_a_while_and_a_no_is_asked_again() -> None:
    class Directory:
        answers = [False, True]
        asked = 0

        def mfa_enabled(self, user_id: str) -> bool:
            self.asked += 1
            return self.answers.pop(0)

    now = [0.0]
    mfa = CognitoStaffMfa(POOL, lambda: None, ttl=300, clock=lambda: now[0])  # type: ignore[arg-type,return-value]
    mfa._directory = Directory()  # type: ignore[assignment]

    assert mfa.mfa_enabled("u1") is False
    assert mfa.mfa_enabled("u1") is True
    now[0] = 299.0
    assert mfa.mfa_enabled("u1") is True  # remembered: not asked

    assert mfa._directory.asked == 2  # type: ignore[attr-defined]
