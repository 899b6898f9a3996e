"""Finance's and admin's actions need a staff member who signs in with MFA: the route layer asks the checker
the function was given, and refuses (403 `mfa_required`) without one, or for a member without MFA."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from propdesk.access import GRANTS, MFA_REQUIRED, Permission
from propdesk.errors import MfaRequiredError
from propdesk.http.contract import OPERATIONS
from propdesk.http.identity import Caller
from propdesk.http.routing import require_mfa
from propdesk.wiring.staff import MfaNotRequired, NoUserPool

from tests.doubles.ports import InMemoryStaffMfa

FINANCE = Caller("finance-1", frozenset({"finance"}))


def app_with(checker: object | None) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()
    if checker is not None:
        app.append_context(staff_mfa=checker)
    return app


def test_a_member_with_mfa_passes_and_one_without_is_refused() -> None:
    checker = InMemoryStaffMfa("finance-2")

    require_mfa(app_with(checker), FINANCE)
    with pytest.raises(MfaRequiredError) as refused:
        require_mfa(app_with(checker), Caller("finance-2", frozenset({"finance"})))

    assert refused.value.code == "mfa_required" and checker.asked == ["finance-1", "finance-2"]


def test_without_a_checker_or_a_pool_every_member_is_refused() -> None:
    for app in (app_with(None), app_with(NoUserPool())):
        with pytest.raises(MfaRequiredError):
            require_mfa(app, FINANCE)
    require_mfa(app_with(MfaNotRequired()), FINANCE)  # only where the stage says so (the local cloud)


def test_the_actions_needing_mfa_are_finances_and_admins_and_their_routes_declare_them() -> None:
    assert all(GRANTS[permission] <= {"finance", "admin"} for permission in MFA_REQUIRED)
    assert Permission.DECIDE_PAYOUTS in MFA_REQUIRED and Permission.REFUND_ORDERS in MFA_REQUIRED
    guarded = {op.operation_id for op in OPERATIONS if op.permission in MFA_REQUIRED}
    assert {"decidePayout", "refundOrder", "setStaffRoles", "publishProgramVersion"} <= guarded
