"""Carrying out a flag's `Outcome`: its effects on payout holds, payouts, accounts, and what the bus is told.

- hold_payouts: a payout hold with source "abuse" and the flag id as its reference on each account named
  (placing twice is harmless);
- release_payouts (dismiss, warn): those holds lifted;
- deny_payouts: the holds stay, and the payouts still waiting on the account (requested, or approved and
  not withdrawn yet) are rejected (`propdesk.abuse.payout_denial`);
- fail_account: the account moves from active to failed (the same conditional status write a failing
  breach makes, reason `abuse_review`; audited once, when it took) and its disabling is requested on its
  platform (`AccountControl`, cause: the flag; the daily drift check keeps a failed account disabled); the
  hold stays;
- warn_trader, and every decision that reaches the traders (warn, deny_payout, fail_accounts): one
  `abuse.flag_decided` per trader the flag names, with only that trader's accounts (the mailer tells them,
  without the flag's details).

`raised` announces a flag that opened (`abuse.flag_raised`, for staff: the firm's alerts keep it).

Every effect is idempotent (holds by reference, payouts and accounts by their status, events by stable ids),
so an outcome carried out again after a crash does no harm. A decision's effects are kept in its flag's
outbox until done (`propdesk.abuse.outbox`): `perform` carries out a list and hands back what is left when
one fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from propdesk.abuse.decisions import Decision, Effect, Outcome
from propdesk.abuse.flags import Flag
from propdesk.abuse.payout_denial import PayoutDenial
from propdesk.abuse.store import TraderLookup
from propdesk.domain_events import AbuseFlagDecided, AbuseFlagRaised, DomainEvent, stable_id
from propdesk.payouts.holds import HoldSource, PayoutHold, PayoutHolds
from propdesk.ports import AccountControl, EventPublisher
from propdesk.records import AccountStatus, AuditEntry

HOLD_SOURCE: HoldSource = "abuse"
FAILED_REASON = "abuse_review"  # the account's status reason: names no detector
AUTOMATIC_ACTOR = "system:abuse_detect"  # as the automatic decision's own audit entry
TOLD: dict[Decision, Literal["warn", "deny_payout", "fail_accounts"]] = {
    Decision.WARN: "warn",
    Decision.DENY_PAYOUT: "deny_payout",
    Decision.FAIL_ACCOUNTS: "fail_accounts",
}


class AccountStatuses(Protocol):
    def change_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: AccountStatus = "active",
    ) -> bool:
        """Move the account from `expected` to `status`; False if it was not in `expected` any more."""
        ...


class AuditAppender(Protocol):
    def append(self, entry: AuditEntry) -> bool: ...


@dataclass(frozen=True, slots=True)
class EnforcementPorts:
    """What the effects beyond holds act through: account statuses, the audit log, the payouts' denial,
    the event bus."""

    accounts: AccountStatuses
    audit: AuditAppender
    payouts: PayoutDenial
    publisher: EventPublisher


class Enforcer:
    def __init__(
        self,
        holds: PayoutHolds,
        control: AccountControl,
        traders: TraderLookup,
        now: Callable[[], datetime],
        ports: EnforcementPorts,
    ) -> None:
        self._holds = holds
        self._control = control
        self._traders = traders
        self._now = now
        self._ports = ports

    def raised(self, flag: Flag) -> None:
        """Announce a flag that opened (new, or reopened graver): once per detection (a stable id)."""
        self._publish(
            AbuseFlagRaised(
                event_id=stable_id("abuse.flag_raised", flag.flag_id, flag.detected_at.isoformat()),
                occurred_at=flag.detected_at,
                flag_id=flag.flag_id,
                detector=flag.detector,
                severity=flag.severity,
                account_ids=list(flag.accounts),
                trader_ids=list(flag.traders),
                found_by=flag.found_by,
                detected_at=flag.detected_at,
            )
        )

    def apply(self, outcome: Outcome) -> None:
        """Carry out every effect of the outcome (`planned`)."""
        self.perform(outcome, planned(outcome))

    def perform(
        self,
        outcome: Outcome,
        effects: Sequence[Effect],
        keep: Callable[[Sequence[Effect]], None] | None = None,
    ) -> None:
        """Carry out `effects` (of `outcome`) in order. When one fails, `keep` is handed it and the ones
        after it (not done yet) and the error is raised."""
        for index, effect in enumerate(effects):
            try:
                self._effect(outcome, effect)
            except Exception:
                if keep is not None:
                    keep(effects[index:])
                raise

    def _effect(self, outcome: Outcome, effect: Effect) -> None:
        flag, account = outcome.flag, effect.account_id
        if effect.kind == "tell_traders":
            self._tell_traders(outcome)
            return
        if account is None:
            return  # warn_trader: the traders are told by tell_traders, once for all of them
        if effect.kind in ("hold_payouts", "deny_payouts"):
            reason = f"{flag.detector} flag {flag.flag_id}: {outcome.reason}"
            self._holds.place(PayoutHold(account, HOLD_SOURCE, flag.flag_id, reason, self._now()))
        if effect.kind == "deny_payouts":
            self._ports.payouts.deny(account, flag.flag_id, self._now())
        elif effect.kind == "release_payouts":
            self._holds.lift(account, HOLD_SOURCE, flag.flag_id)
        elif effect.kind == "fail_account":
            self._fail(account, outcome)

    def _fail(self, account: str, outcome: Outcome) -> None:
        flag, at = outcome.flag, self._now()
        trader = self._traders.trader_of(account) or ""
        if self._ports.accounts.change_status(account, "failed", FAILED_REASON, at):
            self._ports.audit.append(
                AuditEntry(
                    entry_id=stable_id("abuse.account_failed", flag.flag_id, account),
                    at=at,
                    actor=_actor(outcome),
                    action="account.failed",
                    subject=f"ACCOUNT#{account}",
                    reason=f"abuse flag {flag.flag_id}: {outcome.reason}",
                    before={"status": "active"},
                    after={"status": "failed", "reason": FAILED_REASON, "flag_id": flag.flag_id},
                )
            )
        self._control.disable(account, trader, "abuse", cause=flag.flag_id)

    def _tell_traders(self, outcome: Outcome) -> None:
        decision = outcome.decision
        told = TOLD.get(decision) if decision is not None else None
        if told is None:
            return
        flag = outcome.flag
        at = outcome.decided_at or self._now()
        owners = {account: self._traders.trader_of(account) for account in flag.accounts}
        self._publish(
            *(
                AbuseFlagDecided(
                    event_id=stable_id("abuse.flag_decided", flag.flag_id, flag.status, trader),
                    occurred_at=at,
                    flag_reference=stable_id("abuse.flag", flag.flag_id),
                    trader_id=trader,
                    decision=told,
                    decided_by="automatic" if outcome.decided_by == "automatic" else "staff",
                    account_ids=[account for account, owner in owners.items() if owner == trader],
                )
                for trader in flag.traders
                if trader
            )
        )

    def _publish(self, *events: DomainEvent) -> None:
        if events:
            self._ports.publisher.publish(list(events))


def planned(outcome: Outcome) -> tuple[Effect, ...]:
    """Everything an outcome's carrying out does, in order: its effects, then (for a decision that reaches
    the traders) `tell_traders`, the `abuse.flag_decided` events."""
    decision = outcome.decision
    told = decision is not None and decision in TOLD
    return outcome.effects + ((Effect("tell_traders"),) if told else ())


def _actor(outcome: Outcome) -> str:
    by = outcome.decided_by
    return AUTOMATIC_ACTOR if by is None or by == "automatic" else by
