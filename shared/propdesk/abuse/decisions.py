"""What happens to a flag: staff decide; a detector acts on its own only where the firm turned that on.

Decisions are pure data the integrator carries out: an `Outcome` lists `Effect`s (hold or release the
payouts of an account, warn a trader, deny the pending payouts, fail an account). While a flag is open, the
accounts it names may not be paid (`payout_holds`).

Each detector's settings carry an `Enforcement`: `automatic` is the decision taken without staff when a
flag reaches `min_severity` (None, the default everywhere: staff decide everything).

When two rings or clusters turn out to be one, the flag that absorbed another (`supersedes`) covers it:
`supersede` closes the absorbed flag (`superseded`, pointing at its survivor) and lifts its holds, provided
the survivor names every account it names (so nothing it held is left unheld). A decision on a superseded
flag is refused (`FlagSupersededError`, 409), naming the flag to decide instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, cast

from propdesk.abuse.flags import Flag, FlagStatus, Severity, severity_rank
from propdesk.errors import ConflictError, InvalidInputError

EffectKind = Literal[
    "hold_payouts", "release_payouts", "warn_trader", "deny_payouts", "fail_account", "tell_traders"
]


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


SUPERSEDING_ACTOR = "system:abuse_merge"  # who closes an absorbed flag (its audit entry's actor)


@dataclass(frozen=True, slots=True)
class PendingOutcome:
    """A decided (or superseded) flag's effects not carried out yet: its outbox, stored with the decision in
    one write. It keeps what carrying them out needs of the decided flag (status, names, who, why, when),
    so a later write of the flag (reopened by a graver detection) does not change what this decision does.
    `outbox_id` tells this decision's outbox from any later one."""

    outbox_id: str
    status: FlagStatus
    accounts: tuple[str, ...]
    traders: tuple[str, ...]
    decision: Decision | None
    decided_by: str | None
    reason: str
    decided_at: datetime
    effects: tuple[Effect, ...]
    written_at: datetime  # when the outbox was written (the sweep's grace runs from it)
    superseded_by: str | None = None

    @classmethod
    def of(cls, outcome: Outcome, outbox_id: str, effects: Sequence[Effect], at: datetime) -> PendingOutcome:
        flag = outcome.flag
        return cls(
            outbox_id, flag.status, flag.accounts, flag.traders, outcome.decision, outcome.decided_by,
            outcome.reason, outcome.decided_at or at, tuple(effects), at, flag.superseded_by,
        )  # fmt: skip

    def outcome(self, stored: Flag) -> Outcome:
        """The outcome to carry out, on the flag as stored now (its id and detector never change)."""
        flag = replace(
            stored, status=self.status, accounts=self.accounts, traders=self.traders,
            superseded_by=self.superseded_by,
        )  # fmt: skip
        return Outcome(flag, self.decision, self.decided_by, self.reason, self.effects, self.decided_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outbox_id": self.outbox_id,
            "status": self.status,
            "accounts": list(self.accounts),
            "traders": list(self.traders),
            "decision": None if self.decision is None else str(self.decision),
            "decided_by": self.decided_by,
            "reason": self.reason,
            "decided_at": self.decided_at.isoformat(),
            "effects": [[e.kind, e.account_id, e.trader_id] for e in self.effects],
            "written_at": self.written_at.isoformat(),
            "superseded_by": self.superseded_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingOutcome:
        decision = data.get("decision")
        return cls(
            outbox_id=str(data["outbox_id"]),
            status=cast(FlagStatus, data["status"]),
            accounts=tuple(data["accounts"]),
            traders=tuple(data["traders"]),
            decision=None if decision is None else Decision(decision),
            decided_by=data.get("decided_by"),
            reason=str(data["reason"]),
            decided_at=datetime.fromisoformat(data["decided_at"]),
            effects=tuple(Effect(cast(EffectKind, k), a, t) for k, a, t in data["effects"]),
            written_at=datetime.fromisoformat(data["written_at"]),
            superseded_by=data.get("superseded_by"),
        )


class DecisionRefusedError(InvalidInputError):
    code = "flag_decision_refused"


class FlagSupersededError(ConflictError):
    """The flag was absorbed by another (`survivor`): that one is decided, and its decision covers these
    accounts."""

    code = "flag_superseded"

    def __init__(self, flag_id: str, survivor: str) -> None:
        super().__init__(
            f"the flag {flag_id!r} was absorbed by {survivor!r}: decide that flag (it covers these accounts)",
            "flag_id",
        )
        self.survivor = survivor


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
    if flag.status == "superseded":
        raise FlagSupersededError(flag.flag_id, flag.superseded_by or "")
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


def supersede(absorbed: Flag, survivor: Flag, at: datetime) -> Outcome | None:
    """The absorbed flag closed as `superseded` by `survivor`, its holds lifted (the survivor's hold the
    same accounts); None when it stays as it is: decided already, not listed by the survivor, or naming an
    account the survivor does not (a ring at its size bound): then it stays open, for staff on its own."""
    listed = absorbed.flag_id in {f"{survivor.detector}:{subject}" for subject in survivor.supersedes}
    covered = set(absorbed.accounts) <= set(survivor.accounts)
    if not absorbed.is_open or not listed or not covered or absorbed.flag_id == survivor.flag_id:
        return None
    closed = replace(absorbed, status="superseded", superseded_by=survivor.flag_id)
    lifted = tuple(Effect("release_payouts", account_id=account) for account in absorbed.accounts)
    reason = f"absorbed by {survivor.flag_id} (one ring or cluster): decided there"
    return Outcome(closed, None, SUPERSEDING_ACTOR, reason, lifted, at)


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
