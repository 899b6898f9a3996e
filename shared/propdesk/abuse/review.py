"""The staff review queue: flags listed and read with their evidence, and decided (risk, admin).

A decision is `decisions.decide` on the stored flag (an open flag, a reason), stored with its audit entry in
one write that succeeds only while the flag is still open (two reviewers deciding at once: the second is
refused), then carried out (`Enforcer`: dismiss and warn lift the flag's payout holds; deny keeps them and
rejects the payouts waiting; fail fails the accounts and requests their disabling; warn, deny and fail tell
each trader named, without the flag's details). The same decision sent again on a flag it already decided
carries its effects out again (a retry after a failure half-way; each effect is idempotent); a different
one is refused. The trader never reads any of this: these are staff routes only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from propdesk.abuse.decisions import STATUS_AFTER, Decision, DecisionRefusedError, Outcome, decide, repeated
from propdesk.abuse.enforcement import Enforcer
from propdesk.abuse.flags import Flag
from propdesk.abuse.store import FlagQuery, FlagStore
from propdesk.access import refuse_own_account
from propdesk.errors import NotFoundError
from propdesk.records import AuditEntry, Page


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

    def queue(self, query: FlagQuery, limit: int = 50, cursor: str | None = None) -> Page[Flag]:
        return self._flags.page(query, limit, cursor)

    def detail(self, flag_id: str) -> FlagDetail:
        return FlagDetail(self._find(flag_id), tuple(self._flags.detections(flag_id)))

    def decide(self, command: DecideFlag) -> Outcome:
        flag = self._find(command.flag_id)
        refuse_own_account(command.actor, flag.traders, "decide a flag naming", "flag_id")
        if not flag.is_open and flag.status == STATUS_AFTER[command.decision]:
            # the same decision again (a retry after a failure in its effects): carried out again, every
            # effect being idempotent; not audited twice
            outcome = repeated(flag, command.decision, command.actor, command.reason, command.at)
            self._enforcer.apply(outcome)
            return outcome
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
        if not self._flags.decide(outcome.flag, entry):
            raise DecisionRefusedError("the flag was decided meanwhile", "flag_id")
        self._enforcer.apply(outcome)
        return outcome

    def _find(self, flag_id: str) -> Flag:
        flag = self._flags.get(flag_id)
        if flag is None:
            raise FlagNotFoundError(f"no flag {flag_id!r}", "flag_id")
        return flag
