"""Reading what an MT5 bridge pushes (deals and equity readings, `docs/mt5-bridge.md` "Pushes"), for the
endpoint that receives them.

A push is accepted only when all of these hold, else `PushRefusedError` with a stable reason code (safe to
log: no secret, no body):
- its `X-Propdesk-Signature` verifies over the raw body with one of the bridge's push secrets, within five
  minutes of our clock (`propdesk.platforms.signing`); a tampered body or an old delivery replayed fails here;
- it names the bridge it came from (the body's `bridge`, and `X-Bridge-Id` when sent);
- its account is one this bridge serves (`account_of(login)` answers our reference to it: an account of
  another bridge, or none of ours, is refused even with a good signature);
- it is a well-formed deal or equity event.
A delivery repeated inside the window reads the same again: the receiver stores events by id (`mt5:{ticket}`
for a deal, account and time for equity), so a redelivery is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from propdesk.adapters.platforms import mt5_records as records
from propdesk.adapters.platforms.mt5_bridge import PLATFORM
from propdesk.platforms import signing
from propdesk.platforms.normalize import WireEvent, deal_events, equity_event
from propdesk.platforms.port import AccountFigures, AccountRef, Deal, PlatformRejectedError
from propdesk.platforms.symbols import SymbolMapping

BRIDGE_HEADER = "X-Bridge-Id"


class PushRefusedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(f"push refused: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DealPushed:
    push_id: str
    account: AccountRef
    deal: Deal | None  # None: a deal the engine does not book (a partial close, a credit, ...)

    def events(self) -> list[WireEvent]:
        return deal_events(PLATFORM, self.deal) if self.deal is not None else []


@dataclass(frozen=True, slots=True)
class EquityPushed:
    push_id: str
    account: AccountRef
    figures: AccountFigures

    def events(self) -> list[WireEvent]:
        return [equity_event(PLATFORM, self.account, self.figures)]


Push = DealPushed | EquityPushed


class BridgePushReader:
    def __init__(
        self,
        bridge_id: str,
        secrets: Callable[[], Sequence[signing.Secret]],
        clock: Callable[[], datetime],
        account_of: Callable[[str], AccountRef | None],
        symbols: SymbolMapping,
    ) -> None:
        self._bridge_id = bridge_id
        self._verify = signing.PushVerifier(secrets, clock)
        self._account_of = account_of
        self._symbols = symbols

    def read(self, signature: str | bytes | None, body: bytes, bridge_header: str | None = None) -> Push:
        try:
            self._verify(signature, body)
        except signing.SignatureRejectedError as error:
            raise PushRefusedError(error.reason) from None
        if bridge_header is not None and bridge_header != self._bridge_id:
            raise PushRefusedError("foreign_bridge")
        message = _object(body)
        if message.get("bridge") != self._bridge_id:
            raise PushRefusedError("foreign_bridge")
        login = str(message.get("login", ""))
        account = self._account_of(login) if login else None
        if account is None or account.platform != PLATFORM:
            raise PushRefusedError("foreign_account")
        push_id = str(message.get("id", ""))
        try:
            if message.get("type") == "deal" and isinstance(message.get("deal"), dict):
                deal = message["deal"]
                if str(deal.get("login", login)) != login:
                    raise PushRefusedError("foreign_account")
                return DealPushed(push_id, account, records.deal(deal, self._symbols))
            if message.get("type") == "equity" and isinstance(message.get("equity"), dict):
                at = records.figures({"as_of": message.get("occurred_at"), **message["equity"]})
                return EquityPushed(push_id, account, at)
        except (KeyError, ValueError, PlatformRejectedError):
            raise PushRefusedError("malformed_event") from None
        raise PushRefusedError("unknown_event")


def _object(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PushRefusedError("malformed_body") from None
    if not isinstance(message, dict):
        raise PushRefusedError("malformed_body")
    return message
