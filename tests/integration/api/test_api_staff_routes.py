"""Staff actions through the REST function against DynamoDB Local: a reasoned, audited breach override that
reinstates the account; an audited program-version change; the audit log by account and by actor; a per-staff
rate limit answered with 429 and Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.risk import BreachRepository
from propdesk.http.contract import STAFF_WRITES

from tests.integration.api.api_world import (
    NOW,
    OPENED,
    PROGRAM_ID,
    Firm,
    body_of,
    claims,
    clear_wiring,
    fills_then_breach,
    invoke,
    request,
)
from tests.integration.dynamodb_local import TableNames

pytestmark = pytest.mark.integration

REASON = "bridge sent a bad tick (feed error confirmed by the broker)"


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    clear_wiring()
    yield
    clear_wiring()


@pytest.fixture()
def breached(tables: TableNames, unique_id: str) -> Firm:
    firm = Firm.seed(unique_id)
    firm.trade(firm.account_id, fills_then_breach())
    return firm


def override(firm: Firm, staff: str, **body: Any) -> dict[str, Any]:
    evidence = BreachRepository().list_for_account(firm.account_id).items[0]
    payload = {"breach_id": evidence.breach_id, "reason": REASON, **body}
    event = request("overrideBreach", {"account_id": firm.account_id}, claims(staff, "risk"), body=payload)
    return invoke("overrideBreach", event)


def audit(identity: dict[str, str], **query: str) -> dict[str, Any]:
    response = invoke("listAuditEntries", request("listAuditEntries", identity=identity, query=query))
    assert response["statusCode"] == 200, response["body"]
    result: dict[str, Any] = body_of(response)
    return result


def test_an_override_reinstates_the_failed_account_and_is_audited_with_its_reason(breached: Firm) -> None:
    response = override(breached, "risk-ann")

    assert response["statusCode"] == 201, response["body"]
    answer = body_of(response)
    assert (answer["account_status"], answer["actor"], answer["reason"]) == ("active", "risk-ann", REASON)
    account = AccountRepository().get(breached.account_id)
    assert account is not None and account.status == "active"
    assert account.status_reason == f"reinstated: {REASON}"
    [entry] = audit(claims("admin-1", "admin"), account_id=breached.account_id)["entries"]
    assert entry["action"] == "breach.overridden"
    assert (entry["actor"], entry["actor_roles"], entry["reason"]) == ("risk-ann", ["risk"], REASON)
    assert entry["before"]["status"] == "failed" and entry["after"]["status"] == "active"


def test_the_breach_report_shows_the_override_and_the_evidence_is_unchanged(breached: Firm) -> None:
    override(breached, "risk-ann")

    event = request("listBreaches", {"account_id": breached.account_id}, claims(breached.trader))
    [report] = body_of(invoke("listBreaches", event))["breaches"]

    assert report["override"]["reason"] == REASON
    assert report["value"] == "94000.00" and report["effect"] == "fail"


def test_a_breach_is_overridden_once(breached: Firm) -> None:
    override(breached, "risk-ann")

    again = override(breached, "risk-bob")

    assert again["statusCode"] == 409
    assert body_of(again)["error"]["field"] == "breach_id"


def test_a_reason_is_required_and_must_say_something(breached: Firm) -> None:
    missing = invoke(
        "overrideBreach",
        request(
            "overrideBreach",
            {"account_id": breached.account_id},
            claims("r", "risk"),
            body={"breach_id": "x"},
        ),
    )
    short = override(breached, "risk-ann", reason="ok")

    assert (missing["statusCode"], body_of(missing)["error"]["field"]) == (422, "reason")
    assert (short["statusCode"], body_of(short)["error"]["field"]) == (422, "reason")


def test_an_unknown_breach_id_is_a_422_or_a_404(breached: Firm) -> None:
    garbage = override(breached, "risk-ann", breach_id="not-a-breach")
    absent = override(breached, "risk-ann", breach_id=breach_id_for(breached, "max_loss"))

    assert (garbage["statusCode"], body_of(garbage)["error"]["field"]) == (422, "breach_id")
    assert (absent["statusCode"], body_of(absent)["error"]["field"]) == (404, "breach_id")


def breach_id_for(firm: Firm, rule: str) -> str:
    evidence = BreachRepository().list_for_account(firm.account_id).items[0]
    return keys.breach_id(keys.breach_sk(evidence.time, rule, evidence.identity))


def test_changing_the_program_version_needs_a_stored_version_and_is_audited(breached: Firm) -> None:
    program = CatalogueRepository().get_version(PROGRAM_ID, breached.program_version)
    assert program is not None
    document = {**program.document, "rules": program.document["rules"][:2]}
    summary = CatalogueRepository().get_program(PROGRAM_ID)
    assert summary is not None
    new_version = CatalogueRepository().publish(summary, document, OPENED)
    admin = claims(f"admin-ada-{breached.account_id}", "admin")  # an actor of this test's own

    def put(version: int) -> dict[str, Any]:
        body = {"version": version, "reason": "moved to the corrected rule pack"}
        return invoke(
            "changeProgramVersion",
            request("changeProgramVersion", {"account_id": breached.account_id}, admin, body=body),
        )

    unknown = put(999)
    changed = put(new_version)

    assert (unknown["statusCode"], body_of(unknown)["error"]["field"]) == (422, "version")
    assert changed["statusCode"] == 200, changed["body"]
    assert body_of(changed)["previous_version"] == breached.program_version
    account = AccountRepository().get(breached.account_id)
    assert account is not None and account.program_version == new_version
    [entry] = audit(admin, actor=f"admin-ada-{breached.account_id}")["entries"]
    assert entry["action"] == "account.program_version_changed"
    assert entry["before"]["program_version"] == breached.program_version
    assert entry["after"]["program_version"] == new_version


def test_staff_writes_are_rate_limited_per_person_with_retry_after(breached: Firm) -> None:
    admin = claims(f"admin-{breached.account_id}", "admin")
    body = {"version": breached.program_version, "reason": "idempotent re-pin for the rate test"}
    event = request("changeProgramVersion", {"account_id": breached.account_id}, admin, body=body)

    statuses = [invoke("changeProgramVersion", event)["statusCode"] for _ in range(STAFF_WRITES.limit)]
    refused = invoke("changeProgramVersion", event, now=NOW + timedelta(seconds=1))
    colleague = claims(f"admin2-{breached.account_id}", "admin")
    other = request("changeProgramVersion", {"account_id": breached.account_id}, colleague, body=body)
    later = invoke("changeProgramVersion", event, now=NOW + timedelta(seconds=STAFF_WRITES.window_seconds))

    assert statuses == [200] * STAFF_WRITES.limit
    assert refused["statusCode"] == 429
    assert refused["multiValueHeaders"]["Retry-After"] == [str(STAFF_WRITES.window_seconds - 1)]
    assert body_of(refused)["error"]["code"] == "rate_limited"
    assert invoke("changeProgramVersion", other)["statusCode"] == 200
    assert later["statusCode"] == 200


def test_the_audit_query_needs_exactly_one_subject(tables: TableNames) -> None:
    response = invoke(
        "listAuditEntries", request("listAuditEntries", identity=claims("a", "admin"), query={})
    )

    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "actor"


def test_staff_cannot_override_a_breach_or_pin_the_version_of_an_account_they_trade(breached: Firm) -> None:
    """Separation of duties through the REST function: the trader holding the risk and admin roles is
    refused with 403 `own_account`; nothing changes and nothing is audited."""
    own = override(breached, breached.trader)
    body = {"version": breached.program_version, "reason": "my own account"}
    admin_self = claims(breached.trader, "admin")
    pinned = invoke(
        "changeProgramVersion",
        request("changeProgramVersion", {"account_id": breached.account_id}, admin_self, body=body),
    )

    for refused in (own, pinned):
        assert refused["statusCode"] == 403, refused["body"]
        assert (body_of(refused)["error"]["code"], body_of(refused)["error"]["field"]) == (
            "own_account", "account_id"
        )  # fmt: skip
    account = AccountRepository().get(breached.account_id)
    assert account is not None and account.status == "failed"
    assert audit(claims("admin-1", "admin"), account_id=breached.account_id)["entries"] == []
