"""Staff administration in the deployed stack: the demo admin signs in through the local cloud's Cognito,
lists the staff, gives a new user the risk role (the pool's group really changes, the audit log says who
and why), cannot drop their own admin role, and publishes a new program the public catalogue then shows."""

from __future__ import annotations

import base64
import copy
import json
import uuid

import pytest
from propdesk.catalogue import demo_programs

from tests.e2e.harness import DeployedStack

pytestmark = pytest.mark.e2e

REASON = "joins the risk desk (e2e check)"


@pytest.fixture(scope="module")
def admin_token(stack: DeployedStack) -> str:
    return stack.id_token(stack.demo["staff_email"], stack.demo["password"])


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_an_admin_sets_a_new_users_roles_in_the_pool_audited(stack: DeployedStack, admin_token: str) -> None:
    cognito = stack.client("cognito-idp")
    pool = stack.outputs["UserPoolId"]
    email = f"risk-{uuid.uuid4().hex[:8]}@demo.propdesk.local"
    created = cognito.admin_create_user(
        UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )["User"]  # fmt: skip
    user_id = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    auth = {"Authorization": admin_token}

    changed = stack.http(
        "PUT", f"/v1/staff/members/{user_id}/roles", {"roles": ["risk"], "reason": REASON}, auth
    )
    listed = stack.http("GET", "/v1/staff/members?role=risk", headers=auth)
    audit = stack.http("GET", f"/v1/staff/audit?user_id={user_id}", headers=auth)

    assert changed.status == 200, changed.body
    assert (changed.body["previous_roles"], changed.body["roles"]) == ([], ["risk"])
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]
    assert [group["GroupName"] for group in groups] == ["risk"]
    assert listed.status == 200 and user_id in [m["user_id"] for m in listed.body["members"]]
    (entry,) = audit.body["entries"]
    assert (entry["action"], entry["actor"], entry["reason"]) == (
        "staff.roles_changed", subject_of(admin_token), REASON,
    )  # fmt: skip
    assert (entry["before"]["roles"], entry["after"]["roles"]) == ([], ["risk"])


def test_an_admin_cannot_change_their_own_roles(stack: DeployedStack, admin_token: str) -> None:
    own = subject_of(admin_token)

    answer = stack.http(
        "PUT", f"/v1/staff/members/{own}/roles", {"roles": ["risk"], "reason": REASON},
        {"Authorization": admin_token},
    )  # fmt: skip

    assert answer.status == 409, answer.body
    assert answer.body["error"]["code"] == "own_roles"


def test_a_published_program_is_in_the_public_catalogue(stack: DeployedStack, admin_token: str) -> None:
    program_id = f"e2e-{uuid.uuid4().hex[:8]}"
    document = copy.deepcopy(demo_programs()[0].document) | {"program_id": program_id}
    document["prices"] = {"USD": "123.00"}

    published = stack.http(
        "POST", f"/v1/staff/programs/{program_id}/versions", document, {"Authorization": admin_token}
    )
    shown = stack.http("GET", f"/v1/programs/{program_id}")

    assert published.status == 201, published.body
    assert shown.status == 200, shown.body
    assert shown.body["program"]["prices"] == {"USD": "123.00"}
    assert shown.body["current_version"]["version"] == published.body["version"] == 1
