"""Every route of the contract by every kind of caller: a trader reads only their own data, each staff role
does only what it is granted, and a request without a valid identity (none, no subject, expired) is a 401.
Finance's and admin's actions also need a staff member who signs in with MFA (403 `mfa_required` otherwise).

(API Gateway's Cognito authorizer rejects tampered and expired tokens before any function runs: see
tests/e2e/test_api_gateway_auth.py. These in-process calls carry the claims the authorizer passes on.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.access import GRANTS, MFA_REQUIRED, STAFF_ROLES
from propdesk.catalogue import demo_programs
from propdesk.data.account_logins import AccountLoginRepository
from propdesk.data.payout_destinations import PayoutDestinationRepository
from propdesk.data.payouts import PayoutRepository
from propdesk.data.risk import BreachRepository
from propdesk.http.contract import OPERATIONS, Access, Operation
from propdesk.payouts import Payout
from propdesk.rails.destinations import PayoutDestination, stablecoin_wallet
from propdesk.records import AccountLogin

from tests.integration.api.api_world import (
    MODULES,
    NOW,
    PROGRAM_ID,
    STAFF_DIRECTORY,
    Firm,
    body_of,
    claims,
    clear_wiring,
    fills_then_breach,
    invoke,
    request,
)
from tests.integration.dynamodb_local import TableNames
from tests.integration.payouts.payout_world import FundedDesk

pytestmark = pytest.mark.integration

OWNER, FOREIGN = "owner", "foreign trader"
ANONYMOUS, NO_SUBJECT, EXPIRED = "no identity", "no subject", "expired token"
# Staff roles last: the one allowed write happens after every refusal was checked.
CALLERS = (ANONYMOUS, NO_SUBJECT, EXPIRED, FOREIGN, OWNER, "support", "finance", "admin", "risk")
# The purchase routes need payment providers: tests/integration/purchases/test_orders_authorization_matrix.py.
IN_PROCESS = [
    op for op in OPERATIONS if op.access in (Access.PUBLIC, Access.SIGNED_IN) and op.function in MODULES
]


@pytest.fixture(autouse=True)
def wired_from_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EVENT_BUS_NAME", "propdesk-test")  # payouts_api's; its publisher is in memory here
    clear_wiring()
    yield
    clear_wiring()


# Routes only the account's own trader may call: staff, who may read the account, are refused with 403.
OWNER_ONLY = {"requestPayout"}


def identity(firm: Firm, caller: str) -> dict[str, str] | None:
    if caller == ANONYMOUS:
        return None
    if caller == NO_SUBJECT:
        return {"cognito:groups": "trader"}
    if caller == EXPIRED:
        return claims(firm.trader, "trader", expires=NOW - timedelta(seconds=1))
    if caller == OWNER:
        return claims(firm.trader, "trader")
    if caller == FOREIGN:
        return claims(firm.other_trader, "trader")
    return claims(f"{caller}-staff", caller)


def expected_status(operation: Operation, caller: str) -> int:
    if operation.access is Access.PUBLIC:
        return operation.status
    if caller in (ANONYMOUS, NO_SUBJECT, EXPIRED):
        return 401
    if operation.permission is not None:
        return operation.status if caller in GRANTS[operation.permission] else 403
    if operation.operation_id in OWNER_ONLY and caller in STAFF_ROLES:
        return 403
    if caller == FOREIGN and operation.finds == "account_id":
        return 404  # another trader's account is indistinguishable from a missing one
    return operation.status


def arguments(firm: Firm) -> dict[str, dict[str, Any]]:
    """Path, query and body for each operation, aimed at the owner's account."""
    evidence = BreachRepository().list_for_account(firm.account_id).items[0]
    account = {"account_id": firm.account_id}
    program = next(p for p in demo_programs() if p.summary.program_id == PROGRAM_ID)
    # The owner's account is open on its platform (provisioning keeps its server and login).
    AccountLoginRepository().put(AccountLogin(firm.account_id, "match-trader", "MT-Demo", "700001"))
    return {
        "getProgram": {"path": {"program_id": PROGRAM_ID}},
        "updateProfile": {"body": {"display_name": "Matrix Desk"}},
        "getLeaderboard": {"path": {"program_id": PROGRAM_ID}},
        "overrideBreach": {
            "path": account,
            "body": {"breach_id": evidence.breach_id, "reason": "bad tick from the bridge, confirmed"},
        },
        "changeProgramVersion": {
            "path": account,
            "body": {"version": firm.program_version, "reason": "re-pin after migration check"},
        },
        "listAuditEntries": {"query": {"account_id": firm.account_id}},
        "publishProgramVersion": {
            "path": {"program_id": f"matrix-{firm.account_id}"},
            "body": {**program.document, "program_id": None},
        },
        "setStaffRoles": {
            "path": {"user_id": STAFF_DIRECTORY.add(f"user-{firm.account_id}", "support").user_id},
            "body": {"roles": ["support", "risk"], "reason": "joins the risk desk this week"},
        },
        "eraseTraderPersonalData": {
            "path": {"trader_id": firm.other_trader},
            "body": {"reason": "erasure request by e-mail, identity checked"},
        },
        "signIn": {"body": {"email": "someone@example.com", "password": "any password"}},
        "refreshTokens": {"body": {"refresh_token": "a-refresh-token"}},
        "signUp": {"body": {"email": "new@example.com", "password": "Correct-Horse-9!"}},
        "confirmSignUp": {"body": {"email": "new@example.com", "code": "123456"}},
    }


def payout_arguments(firm: Firm, operation_id: str) -> dict[str, Any]:
    """The payout routes need a funded account of the owner (and, to decide, a payout waiting)."""
    desk = FundedDesk.seed(firm.trader.removeprefix("trader-"), opened_at=NOW - timedelta(days=30))
    if operation_id == "requestPayout":
        return {"path": {"account_id": desk.account_id}, "body": {}}
    if operation_id == "getPayoutEligibility":
        return {"path": {"account_id": desk.account_id}}
    if operation_id == "decidePayout":
        payout = Payout("pay_" + desk.account_id, desk.account_id, firm.trader, "requested", "USD",
                        Decimal(1000), Decimal(800), Decimal(200), NOW - timedelta(hours=1))  # fmt: skip
        PayoutRepository().create(payout)
        return {
            "path": {"payout_id": payout.payout_id},
            "body": {"decision": "approve", "reason": "trades and identity checked"},
        }
    if operation_id == "getPayoutDestination":  # each signed-in caller reads their own destination
        for caller in CALLERS:
            if (subject := subject_of(firm, caller)) is not None:
                PayoutDestinationRepository().put(
                    PayoutDestination(f"dst-{subject}", subject, stablecoin_wallet(*WALLET), NOW, NOW)
                )
    if (
        operation_id == "setPayoutDestination"
    ):  # each signed-in caller sets their own (claims: a fresh sign-in)
        token, network, address = WALLET
        return {"body": {"type": "stablecoin_wallet", "token": token, "network": network, "address": address}}
    return {}


WALLET = ("USDC", "ethereum", "0x52908400098527886E0F7030069857D2E4169EE7")


def subject_of(firm: Firm, caller: str) -> str | None:
    """Whose data a signed-in caller's own routes (e.g. their payout destination) read and write."""
    if caller in (ANONYMOUS, NO_SUBJECT, EXPIRED):
        return None
    return {OWNER: firm.trader, FOREIGN: firm.other_trader}.get(caller, f"{caller}-staff")


MATRIX = [pytest.param(op, id=op.operation_id) for op in IN_PROCESS]


@pytest.mark.parametrize("operation", MATRIX)
def test_every_caller_gets_exactly_what_its_role_allows(
    tables: TableNames, unique_id: str, operation: Operation
) -> None:
    firm = Firm.seed(unique_id)
    firm.trade(firm.account_id, fills_then_breach())
    given = arguments(firm).get(operation.operation_id, {})
    if operation.function == "payouts_api":
        given = payout_arguments(firm, operation.operation_id)
    path = given.get("path", {"account_id": firm.account_id} if operation.path_parameters else None)

    outcomes = {}
    for caller in CALLERS:
        event = request(
            operation.operation_id, path, identity(firm, caller), given.get("query"), given.get("body")
        )
        response = invoke(operation.operation_id, event)
        outcomes[caller] = response["statusCode"]
        if response["statusCode"] >= 400:
            assert set(body_of(response)) == {"error"}, response["body"]
        if caller == FOREIGN and response["statusCode"] == 200:
            assert firm.account_id not in response["body"], "a trader read another trader's data"

    assert outcomes == {caller: expected_status(operation, caller) for caller in CALLERS}


def test_a_trader_cannot_list_another_traders_accounts_but_staff_can(
    tables: TableNames, unique_id: str
) -> None:
    firm = Firm.seed(unique_id)
    query = {"trader_id": firm.trader}

    def status(identity_claims: dict[str, str]) -> int:
        response = invoke("listAccounts", request("listAccounts", None, identity_claims, query))
        return int(response["statusCode"])

    assert status(claims(firm.other_trader, "trader")) == 403
    assert status(claims(firm.trader, "trader")) == 200
    assert all(status(claims(f"{role}-1", role)) == 200 for role in STAFF_ROLES)


def test_every_staff_permission_is_granted_to_staff_roles_only() -> None:
    assert all(roles <= STAFF_ROLES for roles in GRANTS.values())
    assert not any("trader" in roles for roles in GRANTS.values())


def test_no_route_edits_or_deletes_the_audit_log() -> None:
    audit_routes = [(op.method, op.path) for op in OPERATIONS if "audit" in op.path]
    assert audit_routes == [("GET", "/v1/staff/audit")]


MFA_ROUTES = [op for op in IN_PROCESS if op.permission in MFA_REQUIRED]


@pytest.mark.parametrize("operation", MFA_ROUTES, ids=lambda op: op.operation_id)
def test_finance_and_admin_actions_need_a_staff_member_who_signs_in_with_mfa(
    tables: TableNames, unique_id: str, operation: Operation
) -> None:
    firm = Firm.seed(unique_id)
    firm.trade(firm.account_id, fills_then_breach())
    given = arguments(firm).get(operation.operation_id, {})
    if operation.function == "payouts_api":
        given = payout_arguments(firm, operation.operation_id)
    path = given.get("path", {"account_id": firm.account_id} if operation.path_parameters else None)
    assert operation.permission is not None
    (role,) = GRANTS[operation.permission]  # finance's or admin's alone

    event = request(
        operation.operation_id,
        path,
        claims(f"{role}-without-mfa", role),
        given.get("query"),
        given.get("body"),
    )
    response = invoke(operation.operation_id, event)

    assert response["statusCode"] == 403, response["body"]
    assert body_of(response)["error"]["code"] == "mfa_required"
