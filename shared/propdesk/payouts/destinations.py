"""The trader's payout destination: one per trader, validated (`propdesk.rails.destinations`), changeable only
with a recent sign-in, never shown or logged in clear.

Setting a destination needs the caller's token to say they signed in within the last `reauth_window`
(its `auth_time` claim): a stolen long-lived session cannot redirect payouts. Setting it is what verifies it
(the trader proved who they are just now); setting the same destination again keeps it as it was, a new one
replaces it (payouts already on their way keep the destination they were sent to: the rail pays once per
payout id). The destination is also an identity signal of the trader (`signals`: its canonical form as a
keyed hash, for the abuse detectors' shared-identity graph: two traders paid to one wallet).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from propdesk.abuse.signals import NoSignals, SignalSink
from propdesk.access import Identity
from propdesk.errors import NotFoundError, UnauthorizedError
from propdesk.payouts.ports import DestinationStore
from propdesk.rails.destinations import PayoutDestination, add_destination, parse_destination

DEFAULT_REAUTH_WINDOW = timedelta(minutes=5)


class ReauthenticationRequiredError(UnauthorizedError):
    """The sign-in is too old to change where payouts go (401): sign in again, then retry."""

    code = "reauthentication_required"


class PayoutDestinations:
    def __init__(
        self,
        store: DestinationStore,
        reauth_window: timedelta = DEFAULT_REAUTH_WINDOW,
        signals: SignalSink | None = None,
    ) -> None:
        self._store = store
        self._window = reauth_window
        self._signals = signals or NoSignals()

    def current(self, trader: Identity) -> PayoutDestination:
        destination = self._store.get(trader.subject)
        if destination is None:
            raise NotFoundError("no payout destination is set", "destination")
        return destination

    def set(
        self, trader: Identity, signed_in_at: datetime | None, raw: Mapping[str, Any], at: datetime
    ) -> PayoutDestination:
        """Validate and keep the caller's own destination (`DestinationError` 422 naming the field)."""
        if signed_in_at is None or not (at - self._window <= signed_in_at <= at + timedelta(minutes=1)):
            minutes = int(self._window.total_seconds() // 60)
            raise ReauthenticationRequiredError(
                f"sign in again (within {minutes} minutes) to change the payout destination", "auth_time"
            )
        details = parse_destination({k: v for k, v in raw.items() if v is not None})
        stored = self._store.get(trader.subject)
        kept = add_destination(trader.subject, details, [stored] if stored else [], at).verify(at)
        if kept != stored:
            self._store.put(kept)
        self._signals.capture(trader.subject, "payout_destination", details.canonical, at)
        return kept
