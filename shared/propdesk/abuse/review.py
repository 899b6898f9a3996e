"""The staff review queue: flags listed and read with their evidence, and decided (risk, admin).

A decision is `decisions.decide` on the stored flag (an open flag, a reason), stored with its audit entry and
its effects (the flag's outbox) in one write that succeeds only while the flag is still open (two reviewers
deciding at once: the second is refused), then carried out (`DecisionOutbox`; `Enforcer`: dismiss and warn
lift the flag's payout holds; deny keeps them and rejects the payouts waiting; fail fails the accounts and
requests their disabling; warn, deny and fail tell each trader named, without the flag's details). Effects
that fail are left in the outbox for the sweep: the decision stands. The same decision sent again on a flag
it already decided carries out what its outbox still holds (or, for a decision stored before outboxes, all
its effects again: each is idempotent); a different one is refused.

Absorbed flags: a decision on the survivor also closes the open flags it absorbed (`superseded`, their
holds lifted: the survivor's decision covers their accounts). A decision on an absorbed flag is refused
with 409 naming the flag to decide (`FlagSupersededError`); a flag absorbed before supersession was
recorded (stored while still `open`) is recognised by looking for its survivor among the flags naming its
first account, closed there and then, and refused the same way. The trader never reads any of this: these
are staff routes only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from propdesk.abuse.decisions import (
    STATUS_AFTER,
    Decision,
    DecisionRefusedError,
    FlagSupersededError,
    Outcome,
    decide,
    repeated,
    supersede,
)
from propdesk.abuse.enforcement import Enforcer
from propdesk.abuse.flags import DetectorName, Flag, absorbed_ids
from propdesk.abuse.outbox import DecisionOutbox
from propdesk.abuse.store import FlagQuery, FlagStore
from propdesk.access import refuse_own_account
from propdesk.errors import NotFoundError
from propdesk.records import AuditEntry, Page

MERGING: frozenset[DetectorName] = frozenset({"copy_trading", "shared_identity"})  # flags that absorb others
MAX_HOPS = 5  # a survivor absorbed in turn: followed this far to the flag to decide


class FlagNotFoundError(NotFoundError):
    code = "flag_not_found"


@dataclass(frozen=True, slots=True)
class FlagDetail:
    flag: Flag
    detections: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class DecideFlag:
    flag_id: str
    decision: Decision
    reason: str
    actor: str
    actor_roles: tuple[str, ...]
    at: datetime


class FlagReview:
    def __init__(self, flags: FlagStore, enforcer: Enforcer, new_id: Callable[[], str]) -> None:
        self._flags = flags
        self._enforcer = enforcer
        self._new_id = new_id
        self._outbox = DecisionOutbox(flags, enforcer, new_id)

    def queue(self, query: FlagQuery, limit: int = 50, cursor: str | None = None) -> Page[Flag]:
        return self._flags.page(query, limit, cursor)

    def detail(self, flag_id: str) -> FlagDetail:
        """The flag with its detections; an open flag another absorbed is shown superseded (read only)."""
        flag = self._find(flag_id)
        survivor = self._survivor(flag)
        if survivor is not None:
            flag = replace(flag, status="superseded", superseded_by=survivor.flag_id)
        return FlagDetail(flag, tuple(self._flags.detections(flag_id)))

    def decide(self, command: DecideFlag) -> Outcome:
        flag = self._find(command.flag_id)
        refuse_own_account(command.actor, flag.traders, "decide a flag naming", "flag_id")
        self._refuse_absorbed(flag, command)
        if not flag.is_open and flag.status == STATUS_AFTER[command.decision]:
            return self._again(flag, command)
        outcome = decide(flag, command.decision, command.actor, command.reason, command.at)
        entry = AuditEntry(
            entry_id=self._new_id(),
            at=command.at,
            actor=command.actor,
            actor_roles=command.actor_roles,
            action="abuse_flag_decided",
            subject=f"FLAG#{flag.flag_id}",
            reason=outcome.reason,
            before={"status": flag.status, "accounts": list(flag.accounts)},
            after={"status": outcome.flag.status, "decision": str(command.decision)},
        )
        if not self._outbox.commit(outcome, entry):
            raise DecisionRefusedError("the flag was decided meanwhile", "flag_id")
        self._outbox.close_absorbed(outcome.flag, command.at)  # covered by this decision
        return outcome

    def _again(self, flag: Flag, command: DecideFlag) -> Outcome:
        """The same decision again (a retry): what its outbox still holds is carried out; a decision stored
        before outboxes has all its effects carried out again (each idempotent). Not audited twice."""
        outcome = repeated(flag, command.decision, command.actor, command.reason, command.at)
        if not self._outbox.settle_now(flag.flag_id):
            self._enforcer.apply(outcome)
        self._outbox.close_absorbed(flag, command.at)
        return outcome

    def _refuse_absorbed(self, flag: Flag, command: DecideFlag) -> None:
        """409 naming the flag to decide when `flag` was absorbed (closing it first if it was absorbed
        before supersession was recorded)."""
        if flag.is_open:
            survivor = self._survivor(flag)
            if survivor is None:
                return
            self._outbox.close_absorbed(survivor, command.at)
            raise FlagSupersededError(flag.flag_id, self._last_of(survivor.flag_id))
        if flag.status == "superseded":
            raise FlagSupersededError(flag.flag_id, self._last_of(flag.superseded_by or ""))

    def _last_of(self, survivor_id: str) -> str:
        """The flag to decide: the survivor, or the one that absorbed it in turn (up to `MAX_HOPS`)."""
        for _ in range(MAX_HOPS):
            following = self._flags.get(survivor_id)
            if following is None or following.status != "superseded" or not following.superseded_by:
                break
            survivor_id = following.superseded_by
        return survivor_id

    def _survivor(self, flag: Flag) -> Flag | None:
        """For an open flag of a detector that merges: the flag that absorbed it and covers its accounts
        (among the flags naming its first account or trader: one query and one batch read), if any."""
        if not flag.is_open or flag.detector not in MERGING:
            return None
        if flag.accounts:
            query = FlagQuery(status=None, detector=flag.detector, account_id=flag.accounts[0])
        elif flag.traders:
            query = FlagQuery(status=None, detector=flag.detector, trader_id=flag.traders[0])
        else:
            return None
        for other in self._flags.page(query, limit=100).items:
            if flag.flag_id in absorbed_ids(other) and supersede(flag, other, flag.detected_at) is not None:
                return other
        return None

    def _find(self, flag_id: str) -> Flag:
        flag = self._flags.get(flag_id)
        if flag is None:
            raise FlagNotFoundError(f"no flag {flag_id!r}", "flag_id")
        return flag
