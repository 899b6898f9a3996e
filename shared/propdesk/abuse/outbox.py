"""A decision's effects, crash-safe: kept in the flag's outbox until carried out.

A decision (staff's, automatic, or an absorbed flag closed by its survivor) is stored with its audit entry
and its pending effects (`PendingOutcome`: the outcome's effects, then `tell_traders` where the traders are
told) in one write, conditional on the flag being open. The effects are carried out after that write and
the outbox is cleared, conditionally on its id (`FlagStore.set_pending`). A crash or a failing effect in
between leaves them in the outbox (the ones not done yet, when an effect failed): the sweep
(`functions/abuse_outbox_sweep`, `propdesk.services.risk_outbox_sweep.OutboxSweep`) finds them through the
table's sparse outbox index and settles them here (`settle_pending`) once the grace period has passed.

Every effect is idempotent (holds by reference, payouts and accounts by their status, events by stable
ids): carried out twice (the caller and the sweep at once), it lands once. Clearing the outbox a second
time finds it gone (`VersionConflictError`), which the sweep counts as done by the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from propdesk.abuse.decisions import Effect, Outcome, PendingOutcome, supersede
from propdesk.abuse.enforcement import Enforcer, planned
from propdesk.abuse.flags import Flag, absorbed_ids
from propdesk.abuse.store import FlagStore
from propdesk.errors import VersionConflictError
from propdesk.observability import logger
from propdesk.records import AuditEntry

SUPERSEDED_ACTION = "abuse_flag_superseded"


class DecisionOutbox:
    def __init__(self, flags: FlagStore, enforcer: Enforcer, new_id: Callable[[], str]) -> None:
        self._flags = flags
        self._enforcer = enforcer
        self._new_id = new_id

    def commit(self, outcome: Outcome, entry: AuditEntry) -> bool:
        """Store the decided flag, its audit entry and its effects at once, only while the stored flag is
        open (False, nothing written, when it is not), then carry the effects out. An effect that fails is
        logged and left in the outbox for the sweep: the decision stands."""
        pending = PendingOutcome.of(outcome, self._new_id(), planned(outcome), entry.at)
        if not self._flags.decide(outcome.flag, entry, pending):
            return False
        self.carry_out_now(outcome.flag.flag_id, pending, outcome)
        return True

    def pending_for(self, outcome: Outcome, at: datetime) -> PendingOutcome:
        """The outbox of an outcome stored by the caller's own write (`FlagStore.save`)."""
        return PendingOutcome.of(outcome, self._new_id(), planned(outcome), at)

    def carry_out_now(self, flag_id: str, pending: PendingOutcome, outcome: Outcome) -> None:
        """Right after the write: a failure is the sweep's to finish, never the caller's."""
        try:
            self._settle(flag_id, pending, outcome)
        except VersionConflictError:
            pass  # the sweep cleared it meanwhile (after carrying the effects out itself)
        except Exception:
            logger.exception("effects failed; left for the outbox sweep", extra={"flag_id": flag_id})

    def settle_now(self, flag_id: str) -> bool:
        """`settle_pending` for a caller that must not fail on an effect (the sweep finishes it); whether
        the outbox held anything."""
        found = self._flags.outbox(flag_id)
        if found is None:
            return False
        stored, pending = found
        self.carry_out_now(flag_id, pending, pending.outcome(stored))
        return True

    def settle_pending(self, flag_id: str) -> bool:
        """Carry out what the flag's outbox still holds and clear it (the sweep); False when it held
        nothing. Raises when an effect fails again (what is left stays in the outbox)."""
        found = self._flags.outbox(flag_id)
        if found is None:
            return False
        stored, pending = found
        self._settle(flag_id, pending, pending.outcome(stored))
        return True

    def close_absorbed(self, survivor: Flag, at: datetime) -> tuple[str, ...]:
        """Close the open flags `survivor` absorbed (`decisions.supersede`), each with its own conditional
        write and outbox (its holds lifted); the ids closed."""
        closed: list[str] = []
        for absorbed_id in absorbed_ids(survivor):
            absorbed = self._flags.get(absorbed_id)
            outcome = None if absorbed is None else supersede(absorbed, survivor, at)
            if absorbed is None or outcome is None:
                continue
            entry = AuditEntry(
                entry_id=self._new_id(),
                at=at,
                actor=outcome.decided_by or "",
                action=SUPERSEDED_ACTION,
                subject=f"FLAG#{absorbed_id}",
                reason=outcome.reason,
                before={"status": absorbed.status, "accounts": list(absorbed.accounts)},
                after={"status": outcome.flag.status, "superseded_by": survivor.flag_id},
            )
            if self.commit(outcome, entry):
                closed.append(absorbed_id)
        return tuple(closed)

    def _settle(self, flag_id: str, pending: PendingOutcome, outcome: Outcome) -> None:
        def keep(remaining: Sequence[Effect]) -> None:
            try:
                self._flags.set_pending(flag_id, pending.outbox_id, remaining)
            except Exception:  # the whole list stays pending: carried out again, idempotently
                logger.warning("could not record the effects done", extra={"flag_id": flag_id})

        self._enforcer.perform(outcome, pending.effects, keep)
        self._flags.set_pending(flag_id, pending.outbox_id, ())
