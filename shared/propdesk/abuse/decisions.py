"""What happens to a flag: staff decide; a detector acts on its own only where the firm turned that on.

Decisions are pure data the integrator carries out: an `Outcome` lists `Effect`s (hold or release the
payouts of an account, warn a trader, deny the pending payouts, fail an account). While a flag is open, the
accounts it names may not be paid (`payout_holds`).

Each detector's settings carry an `Enforcement`: `automatic` is the decision taken without staff when a
flag reaches `min_severity` (None, the default everywhere: staff decide everything).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from propdesk.abuse.flags import Flag, FlagStatus, Severity, severity_rank
from propdesk.errors import InvalidInputError

EffectKind = Literal["hold_payouts", "release_payouts", "warn_trader", "deny_payouts", "fail_account"]


class Decision(StrEnum):
    DISMISS = "dismiss"
    WARN = "warn"
    DENY_PAYOUT = "deny_payout"
    FAIL_ACCOUNTS = "fail_accounts"


STATUS_AFTER: dict[Decision, FlagStatus] = {
    Decision.DISMISS: "dismissed",
    Decision.WARN: "warned",
    Decision.DENY_PAYOUT: "payout_denied",
    Decision.FAIL_ACCOUNTS: "accounts_failed",
}


@dataclass(frozen=True, slots=True)
class Enforcement:
    automatic: Decision | None = None
    min_severity: Severity = "high"


@dataclass(frozen=True, slots=True)
class Effect:
    kind: EffectKind
    account_id: str | None = None
    trader_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A flag after a decision (or after detection, when nothing was decided: `decision` None)."""

    flag: Flag
    decision: Decision | None
    decided_by: str | None
    reason: str
    effects: tuple[Effect, ...]
    decided_at: datetime | None = None


class DecisionRefusedError(InvalidInputError):
    code = "flag_decision_refused"


def on_detection(flag: Flag, enforcement: Enforcement) -> Outcome:
    """What follows a new or updated open flag: its accounts' payouts are held; and where the firm enabled
    automatic enforcement for the detector and the flag is grave enough, the decision is taken at once."""
    hold = tuple(Effect("hold_payouts", account_id=account) for account in flag.accounts)
    automatic = enforcement.automatic
    if automatic is None or severity_rank(flag.severity) < severity_rank(enforcement.min_severity):
        return Outcome(flag, None, None, "awaiting staff review", hold)
    decided = replace(flag, status=STATUS_AFTER[automatic])
    reason = f"automatic: {flag.detector} flags of severity {enforcement.min_severity} or more"
    return Outcome(decided, automatic, "automatic", reason, _effects(decided, automatic), flag.detected_at)


def decide(flag: Flag, decision: Decision, staff_id: str, reason: str, at: datetime) -> Outcome:
    """A staff member's decision on an open flag (the integrator audits it). A reason is required."""
    if not flag.is_open:
        raise DecisionRefusedError(f"the flag was already decided ({flag.status})", "flag_id")
    if not reason.strip():
        raise DecisionRefusedError("a decision needs a reason", "reason")
    decided = replace(flag, status=STATUS_AFTER[decision])
    return Outcome(decided, decision, staff_id, reason.strip(), _effects(decided, decision), at)


def repeated(flag: Flag, decision: Decision, staff_id: str, reason: str, at: datetime) -> Outcome:
    """The outcome of a decision the flag already has (its effects, to carry out again)."""
    if flag.status != STATUS_AFTER[decision]:
        raise DecisionRefusedError(f"the flag was already decided ({flag.status})", "flag_id")
    return Outcome(flag, decision, staff_id, reason.strip(), _effects(flag, decision), at)


def payout_holds(flags: Iterable[Flag]) -> frozenset[str]:
    """The accounts whose payouts wait: every account named by an open flag."""
    return frozenset(account for flag in flags if flag.is_open for account in flag.accounts)


def _effects(flag: Flag, decision: Decision) -> tuple[Effect, ...]:
    accounts = flag.accounts
    if decision is Decision.DISMISS:
        return tuple(Effect("release_payouts", account_id=account) for account in accounts)
    if decision is Decision.WARN:
        warned = tuple(Effect("warn_trader", trader_id=trader) for trader in flag.traders)
        return warned + tuple(Effect("release_payouts", account_id=account) for account in accounts)
    if decision is Decision.DENY_PAYOUT:
        return tuple(Effect("deny_payouts", account_id=account) for account in accounts)
    return tuple(Effect("fail_account", account_id=account) for account in accounts)
