"""Admin routes of staff_api against DynamoDB Local (the user pool is an in-memory directory): a program's
next version is published for new accounts only and audited with before/after, refused with 422 naming the
field when the engine refuses it; staff are listed with their roles and a user's roles are set with a
reason, audited, never changing the acting admin's own roles (a second admin must)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.catalogue import demo_programs
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.catalogue import CatalogueRepository

from tests.integration.api.api_world import (
    PROGRAM_ID,
    STAFF_DIRECTORY,
    Firm,
    body_of,
    claims,
    clear_wiring,
    invoke,
    publish_chain_after,
    request,
)
from tests.integration.dynamodb_local import TableNames

pytestmark = pytest.mark.integration

ADMIN = claims("admin-ada", "admin")
REASON = "moves to the risk desk from Monday"


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    clear_wiring()
    STAFF_DIRECTORY.unavailable = False
    yield
    STAFF_DIRECTORY.unavailable = False
    clear_wiring()


def demo_document() -> dict[str, Any]:
    publish_chain_after(PROGRAM_ID)  # the phases after it must exist before it is published
    program = next(p for p in demo_programs() if p.summary.program_id == PROGRAM_ID)
    return copy.deepcopy(program.document)


def publish(program_id: str, document: Any, identity: dict[str, str] = ADMIN) -> dict[str, Any]:
    event = request("publishProgramVersion", {"program_id": program_id}, identity, body=document)
    return invoke("publishProgramVersion", event)


def set_roles(
    user_id: str, roles: list[str], identity: dict[str, str] = ADMIN, **body: Any
) -> dict[str, Any]:
    payload = {"roles": roles, "reason": REASON, **body}
    return invoke("setStaffRoles", request("setStaffRoles", {"user_id": user_id}, identity, body=payload))


def members(**query: str) -> dict[str, Any]:
    return invoke("listStaffMembers", request("listStaffMembers", None, ADMIN, query=query or None))


# ---- programs


def test_a_new_version_is_on_sale_for_new_accounts_and_existing_ones_stay_pinned(
    tables: TableNames, unique_id: str
) -> None:
    firm = Firm.seed(unique_id)
    program_id = f"prog-{unique_id}"
    first = publish(program_id, {**demo_document(), "program_id": None})
    document = demo_document()
    document["prices"]["USD"] = "579.00"
    document["rules"][0]["amount"] = {"percent_of_initial": "4"}

    response = publish(program_id, document | {"program_id": program_id})

    assert (first["statusCode"], body_of(first)["version"], body_of(first)["previous_version"]) == (
        201,
        1,
        None,
    )
    assert response["statusCode"] == 201, response["body"]
    answer = body_of(response)
    assert (answer["version"], answer["previous_version"], answer["published"]) == (2, 1, True)
    catalogue = CatalogueRepository()
    summary = catalogue.get_program(program_id)
    assert summary is not None and summary.current_version == 2 and str(summary.prices["USD"]) == "579.00"
    stored = catalogue.get_version(program_id, 2)
    assert stored is not None and stored.document["rules"][0]["amount"] == {"percent_of_initial": "4"}
    version_one = catalogue.get_version(program_id, 1)
    assert version_one is not None and version_one.document["prices"]["USD"] == "540.00"  # immutable
    account = AccountRepository().get(firm.account_id)
    assert account is not None and account.program_version == firm.program_version
    entries = AuditLog().for_subject(f"PROGRAM#{program_id}").items
    assert [entry.action for entry in entries] == ["program.version_published"] * 2
    (newest,) = [entry for entry in entries if entry.after and entry.after["version"] == 2]  # same clock
    assert (newest.actor, newest.actor_roles) == ("admin-ada", ("admin",))
    assert newest.before == {"version": 1}
    assert newest.after is not None and newest.after["version"] == 2
    assert newest.after["prices"]["USD"] == "579.00"


def test_the_same_document_again_publishes_nothing_and_is_not_audited(
    tables: TableNames, unique_id: str
) -> None:
    program_id = f"prog-{unique_id}"
    assert publish(program_id, demo_document() | {"program_id": program_id})["statusCode"] == 201

    again = publish(program_id, demo_document() | {"program_id": program_id})

    assert again["statusCode"] == 200
    assert (body_of(again)["version"], body_of(again)["published"]) == (1, False)
    assert len(AuditLog().for_subject(f"PROGRAM#{program_id}").items) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["rules"].append({"type": "no_such_rule"}), "rules[4].type"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        (lambda d: d.update(program_id="another-program"), "program_id"),
        (lambda d: d["prices"].update(USD="-5"), "prices.USD"),
        (lambda d: d["prices"].update(USD="499.999"), "prices.USD"),
        (lambda d: d.pop("rules"), "rules"),
    ],
)
def test_a_document_the_engine_refuses_is_a_422_naming_the_field(
    tables: TableNames, unique_id: str, change: Any, field: str
) -> None:
    document = demo_document() | {"program_id": None}  # None: the path's
    change(document)

    response = publish(f"prog-{unique_id}", document)

    assert response["statusCode"] == 422, response["body"]
    assert body_of(response)["error"]["field"] == field
    assert CatalogueRepository().get_program(f"prog-{unique_id}") is None


# ---- staff


def test_staff_are_listed_once_each_with_all_their_roles(tables: TableNames, unique_id: str) -> None:
    both = STAFF_DIRECTORY.add(f"both-{unique_id}", "risk", "finance")
    STAFF_DIRECTORY.add(f"trader-{unique_id}", "trader")

    listed = {m["user_id"]: m for m in body_of(members())["members"]}
    risk_only = [m["user_id"] for m in body_of(members(role="risk"))["members"]]

    assert listed[both.user_id]["roles"] == ["finance", "risk"]
    assert listed[both.user_id]["email"] == both.email and listed[both.user_id]["enabled"] is True
    assert f"trader-{unique_id}" not in listed
    assert both.user_id in risk_only
    assert members(role="trader")["statusCode"] == 422


def test_setting_roles_changes_the_groups_and_is_audited_with_before_and_after(
    tables: TableNames, unique_id: str
) -> None:
    user = STAFF_DIRECTORY.add(f"user-{unique_id}", "support")

    response = set_roles(user.user_id, ["risk", "support"])

    assert response["statusCode"] == 200, response["body"]
    answer = body_of(response)
    assert (answer["previous_roles"], answer["roles"], answer["actor"]) == (
        ["support"],
        ["risk", "support"],
        "admin-ada",
    )
    assert STAFF_DIRECTORY.users[user.user_id].roles == {"risk", "support"}
    (entry,) = AuditLog().for_subject(f"STAFF#{user.user_id}").items
    assert (entry.action, entry.actor, entry.reason) == ("staff.roles_changed", "admin-ada", REASON)
    assert entry.before == {"roles": ["support"], "email": user.email}
    assert entry.after == {"roles": ["risk", "support"], "email": user.email}
    assert [e.entry_id for e in AuditLog().by_actor("admin-ada").items if e.subject == entry.subject] == [
        entry.entry_id
    ]


def test_the_same_roles_again_change_nothing_and_are_not_audited(tables: TableNames, unique_id: str) -> None:
    user = STAFF_DIRECTORY.add(f"user-{unique_id}", "support")
    assert set_roles(user.user_id, ["finance"])["statusCode"] == 200
    changes = len(STAFF_DIRECTORY.calls)

    again = set_roles(user.user_id, ["finance"])

    assert again["statusCode"] == 200 and body_of(again)["previous_roles"] == ["finance"]
    assert len(STAFF_DIRECTORY.calls) == changes
    assert len(AuditLog().for_subject(f"STAFF#{user.user_id}").items) == 1


def test_an_admin_cannot_change_their_own_roles_but_another_admin_can(
    tables: TableNames, unique_id: str
) -> None:
    admin = STAFF_DIRECTORY.add(f"admin-{unique_id}", "admin")

    own = set_roles(admin.user_id, ["risk"], claims(admin.user_id, "admin"))
    more = set_roles(admin.user_id, ["admin", "finance"], claims(admin.user_id, "admin"))
    other = set_roles(admin.user_id, ["risk"])

    assert own["statusCode"] == 409 and body_of(own)["error"]["code"] == "own_roles"
    assert more["statusCode"] == 409 and body_of(more)["error"]["code"] == "own_roles"
    assert other["statusCode"] == 200
    assert STAFF_DIRECTORY.users[admin.user_id].roles == {"risk"}


def test_unknown_users_bad_roles_and_a_missing_reason_are_refused(tables: TableNames, unique_id: str) -> None:
    user = STAFF_DIRECTORY.add(f"user-{unique_id}", "support")

    assert set_roles(f"nobody-{unique_id}", ["risk"])["statusCode"] == 404
    assert set_roles("not a sub!", ["risk"])["statusCode"] == 404
    assert body_of(set_roles(user.user_id, ["trader"]))["error"]["field"] == "roles[0]"
    assert body_of(set_roles(user.user_id, ["risk"], reason="short"))["error"]["field"] == "reason"
    assert STAFF_DIRECTORY.users[user.user_id].roles == {"support"}


def test_the_user_pool_down_is_a_503_with_retry_after(tables: TableNames, unique_id: str) -> None:
    user = STAFF_DIRECTORY.add(f"user-{unique_id}", "support")
    STAFF_DIRECTORY.unavailable = True

    listed, changed = members(), set_roles(user.user_id, ["risk"])

    assert (listed["statusCode"], changed["statusCode"]) == (503, 503)
    headers = listed.get("multiValueHeaders") or {}
    assert (listed.get("headers") or {}).get("Retry-After") == "5" or headers.get("Retry-After") == ["5"]


def test_the_audit_log_answers_by_program_and_by_staff_user(tables: TableNames, unique_id: str) -> None:
    user = STAFF_DIRECTORY.add(f"user-{unique_id}", "support")
    set_roles(user.user_id, ["finance"])
    publish(f"prog-{unique_id}", demo_document() | {"program_id": None})

    def audit(**query: str) -> dict[str, Any]:
        identity = claims("risk-rae", "risk")
        return invoke("listAuditEntries", request("listAuditEntries", identity=identity, query=query))

    (about_user,) = body_of(audit(user_id=user.user_id))["entries"]
    (about_program,) = body_of(audit(program_id=f"prog-{unique_id}"))["entries"]
    both = audit(user_id=user.user_id, program_id=f"prog-{unique_id}")

    assert (about_user["subject"], about_user["action"]) == (f"STAFF#{user.user_id}", "staff.roles_changed")
    assert about_program["action"] == "program.version_published"
    assert both["statusCode"] == 422


def test_an_admin_erases_a_traders_personal_data_once_per_idempotency_key_and_the_erasure_is_audited(
    tables: TableNames, unique_id: str
) -> None:
    from propdesk.data.accounts import TraderRepository
    from propdesk.data.orders import OrderRepository

    from tests.unit.purchases.builders import order

    firm = Firm.seed(unique_id)
    OrderRepository().create(
        order(order_id=f"ord-{unique_id}", trader_id=firm.trader, client_ip="203.0.113.7")
    )
    payload = {"reason": "erasure request by e-mail, identity checked"}

    def erase(identity: dict[str, str]) -> dict[str, Any]:
        event = request("eraseTraderPersonalData", {"trader_id": firm.trader}, identity, body=payload)
        event["headers"] = {**(event.get("headers") or {}), "Idempotency-Key": f"erase-{unique_id}"}
        return invoke("eraseTraderPersonalData", event)

    assert erase(claims("risk-rita", "risk"))["statusCode"] == 403
    first, again = erase(ADMIN), erase(ADMIN)
    assert first["statusCode"] == again["statusCode"] == 200
    answer = body_of(first)
    assert answer["orders"] == [f"ord-{unique_id}"] and answer["profile"] is True and answer["kept"]
    assert body_of(again)["orders"] == answer["orders"]
    stored = OrderRepository().get(f"ord-{unique_id}")
    assert stored is not None and (stored.email, stored.client_ip, stored.total) == ("", None, order().total)
    profile = TraderRepository().get(firm.trader)
    assert profile is not None and profile.email == "" and profile.display_name == "Erased trader"
    entries = AuditLog().for_subject(f"TRADER#{firm.trader}").items
    assert [(entry.action, entry.actor) for entry in entries] == [("trader.erasure", "admin-ada")]
