"""Carrying out a flag's `Outcome`: its effects on payout holds and accounts.

- hold_payouts: a payout hold with source "abuse" and the flag id as its reference on each account named
  (placing twice is harmless);
- release_payouts (dismiss, warn): those holds lifted;
- deny_payouts: the holds stay (the payouts stay refused until staff lift the hold by hand);
- fail_account: the account's disabling is requested on its platform (`AccountControl`, cause: the flag);
  the hold stays;
- warn_trader: nothing beyond the audited decision here (the trader is told by staff; see docs/abuse.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from propdesk.abuse.decisions import Outcome
from propdesk.abuse.store import TraderLookup
from propdesk.payouts.holds import HoldSource, PayoutHold, PayoutHolds
from propdesk.ports import AccountControl

HOLD_SOURCE: HoldSource = "abuse"


class Enforcer:
    def __init__(
        self,
        holds: PayoutHolds,
        control: AccountControl,
        traders: TraderLookup,
        now: Callable[[], datetime],
    ) -> None:
        self._holds = holds
        self._control = control
        self._traders = traders
        self._now = now

    def apply(self, outcome: Outcome) -> None:
        flag = outcome.flag
        for effect in outcome.effects:
            account = effect.account_id
            if account is None:
                continue
            if effect.kind in ("hold_payouts", "deny_payouts"):
                reason = f"{flag.detector} flag {flag.flag_id}: {outcome.reason}"
                self._holds.place(PayoutHold(account, HOLD_SOURCE, flag.flag_id, reason, self._now()))
            elif effect.kind == "release_payouts":
                self._holds.lift(account, HOLD_SOURCE, flag.flag_id)
            elif effect.kind == "fail_account":
                trader = self._traders.trader_of(account) or ""
                self._control.disable(account, trader, "abuse", cause=flag.flag_id)
