"""Between the account's stored platform reference (`propdesk.records.PlatformReference`) and the port's
`AccountRef`: what provisioning keeps when it opens an account, and how any later caller addresses it."""

from __future__ import annotations

from propdesk.platforms.port import PLATFORMS, AccountRef, OpenedAccount, PlatformName, PlatformRejectedError
from propdesk.records import PlatformReference


def reference_of(opened: OpenedAccount) -> PlatformReference:
    """What to store about an account the platform opened (its one-time password is not part of it)."""
    ref = opened.ref
    return PlatformReference(
        platform=ref.platform,
        platform_account_id=ref.platform_account_id,
        login=ref.login,
        group=ref.group,
        server=opened.server,
    )


def platform_name(value: str) -> PlatformName:
    """The port's name for a stored platform name; an unknown one is refused (a person must look)."""
    for name in PLATFORMS:
        if name == value:
            return name
    raise PlatformRejectedError(f"unknown trading platform {value!r}")


def account_ref(reference: PlatformReference) -> AccountRef:
    """The port's reference to the stored account."""
    return AccountRef(
        platform=platform_name(reference.platform),
        platform_account_id=reference.platform_account_id,
        login=reference.login,
        group=reference.group,
    )
