"""Who pushed this body? Each trading-platform connection signs what it pushes to `POST /v1/platform/events`
with its own secret, and names itself:

    X-Propdesk-Platform: mt5
    X-Propdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

(`propdesk.platforms.signing`: several `v1=` entries and several secrets are accepted while a secret is
rotated.) The timestamp is the one in the signature header; it must be within the replay window (a firm
setting, 5 minutes by default) of our clock in both directions.

Guarantees of `PushAuthentication.authenticate`: it answers the platform only when the platform is one we
know, has a secret, and the signature verifies over the exact raw body with one of that platform's secrets
inside the window; otherwise `UnauthorizedError` naming the header at fault, with a stable reason (no secret,
no body in the message). A valid signature of one platform never authenticates another: each platform's
secrets are read on their own. Pure: the caller passes `now`; secrets come through the injected reader.

A delivery replayed inside the window verifies again; the events in it are stored once (their ids), so a
replay stores nothing. Outside the window it is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from propdesk.errors import UnauthorizedError
from propdesk.platforms.port import PLATFORMS, PlatformName
from propdesk.platforms.signing import (
    DEFAULT_TOLERANCE,
    SIGNATURE_HEADER,
    Secret,
    SignatureRejectedError,
    verify,
)

PLATFORM_HEADER = "X-Propdesk-Platform"
REPLAY_WINDOW = DEFAULT_TOLERANCE  # 5 minutes

# Reads a platform's current signing secrets (the new and the old one while rotating); may raise on a
# platform without any (a refusal, never a 5xx: see `authenticate`).
SigningSecrets = Callable[[PlatformName], Sequence[Secret]]


@dataclass(frozen=True, slots=True)
class PushAuthentication:
    secrets: SigningSecrets
    window: timedelta = REPLAY_WINDOW

    def authenticate(
        self, platform: str | None, signature: str | None, body: bytes, now: datetime
    ) -> PlatformName:
        """The platform that signed `body`; `UnauthorizedError` (401) otherwise."""
        name = platform_named(platform)
        try:
            keys = self.secrets(name)
        except LookupError:
            keys = ()
        try:
            verify(signature, body, keys, now, self.window)
        except SignatureRejectedError as error:
            raise UnauthorizedError(
                f"the signature does not check out ({error.reason})", SIGNATURE_HEADER
            ) from None
        return name


def platform_named(value: str | None) -> PlatformName:
    """The platform named in `X-Propdesk-Platform`; 401 naming the header when it is none of ours."""
    wanted = (value or "").strip().lower()
    for name in PLATFORMS:
        if name == wanted:
            return name
    raise UnauthorizedError(f"name the pushing platform, one of {', '.join(PLATFORMS)}", PLATFORM_HEADER)
