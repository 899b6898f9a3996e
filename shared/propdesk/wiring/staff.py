"""Production wiring of the staff MFA check (`propdesk.ports.StaffMfa`) the routes of finance's and admin's
actions ask (`propdesk.http.routing.require_mfa`): the user pool, unless the stage says no staff member can
set MFA up (the local cloud). Imports happen on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propdesk.config import StaffMfaSettings
    from propdesk.ports import StaffMfa


class MfaNotRequired:
    """The stage does not ask for MFA (`STAFF_MFA_REQUIRED=false`): every staff member passes."""

    def mfa_enabled(self, user_id: str) -> bool:
        return True


class NoUserPool:
    """MFA is required but no pool was configured: nobody passes (closed, never open)."""

    def mfa_enabled(self, user_id: str) -> bool:
        return False


def staff_mfa(settings: StaffMfaSettings) -> StaffMfa:
    if not settings.staff_mfa_required:
        return MfaNotRequired()
    if not settings.user_pool_id:
        return NoUserPool()
    from propdesk.adapters.cognito_staff import CognitoStaffMfa, default_client

    region, endpoint = settings.aws_region, settings.aws_endpoint_url
    return CognitoStaffMfa(settings.user_pool_id, lambda: default_client(region, endpoint))
