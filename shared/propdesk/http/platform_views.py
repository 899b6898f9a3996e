"""An account's state at its trading platform → the response model (the command errors only for staff)."""

from __future__ import annotations

from propdesk.http.schemas import accounts as out
from propdesk.platforms.enforcement import PlatformAccessState
from propdesk.records import Account


def platform_state_view(
    account: Account, state: PlatformAccessState | None, staff: bool
) -> out.PlatformState:
    platform = account.platform
    return out.PlatformState(
        account_id=account.account_id,
        platform=None
        if platform is None
        else out.PlatformLoginOut(platform=platform.platform, server=platform.server, login=platform.login),
        access=state.confirmed.value if state and state.confirmed else None,
        confirmed_at=state.confirmed_at if state else None,
        wanted=state.desired.value if state and state.desired else None,
        wanted_since=state.desired_since if state else None,
        paused_until=state.paused_until if state else None,
        pending=[
            out.PendingCommandOut(
                kind=pending.kind,
                asked_at=pending.asked_at,
                received_at=pending.received_at,
                attempts=pending.attempts,
                last_error=(pending.last_error or None) if staff else None,
            )
            for pending in (state.pending if state else ())
        ],
    )
