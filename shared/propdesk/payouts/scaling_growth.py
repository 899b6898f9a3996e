"""A scaled account grows: what follows `account.scaled` (the scaling plan's decision, kept and audited by
`propdesk.payouts.scaling_reviews`). Three effects, in this order, each once whatever the retries:

1. **the account's size** (`Account.initial_balance`, what payouts take the profit above) moves from the size
   before to the size after, on the condition that it is still the size before, with its audit entry in one
   write (`AccountSizes.resize`); found at the size after already, it is done;
2. **the platform's balance** is topped up by the growth through the platform port, under the reference
   `<decision id>:scaling` (`TradingPlatform.adjust_balance` books once per reference: a retry finds it);
3. **the engine** gets one `scale` event with the new initial balance (`propdesk.engine.events`), stamped
   at the instant the decision keeps as its growth time (`ScalingDecisions.stamp_growth`: the first attempt
   after the platform booked the top-up sets it, every retry reads it), so its key (time and stable id) is the
   same on every retry and the log stores it once.

Why this order: until the engine has the `scale`, the payouts see the new size against the old balance,
which only makes the profit look smaller (never the growth withdrawable); and the engine's size changes only
once the platform's money is there, so its readings after the scale are of the new size.

A decision that is not kept (or kept with another size) changes nothing: `stale`. An account on no platform,
or whose size moved to something else meanwhile, is a `ScalingConflictError` (a person must look: the
function's retries end in its dead-letter queue). A platform down or refusing raises the port's errors (the
event is delivered again; nothing done before is done twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from propdesk.domain_events import stable_id
from propdesk.errors import ConflictError
from propdesk.payouts.scaling_store import StoredDecision, scaling_id
from propdesk.records import Account, AuditEntry, StoredEvent

if TYPE_CHECKING:
    from propdesk.payouts.ports import TradingEventLog
    from propdesk.platforms.stores import PlatformDirectory
    from propdesk.ports import Clock

ACTOR = "system:scaling-plan"
Outcome = Literal["grown", "stale", "unknown_account"]


class ScalingConflictError(ConflictError):
    """The decision cannot be applied as it stands (no platform; the size moved elsewhere): a person looks."""

    code = "scaling_conflict"


class AccountSizes(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...

    def resize(self, account_id: str, before: Decimal, after: Decimal, entry: AuditEntry) -> bool:
        """Set the account's initial balance to `after` if it is `before`, with the audit entry in the same
        write; False (nothing written) when it is not `before`."""
        ...


class ScalingDecisions(Protocol):
    def decision(self, account_id: str, cycle_ends_on: date) -> StoredDecision | None:
        """The kept decision of the account's cycle ending that day."""
        ...

    def stamp_growth(self, account_id: str, cycle_ends_on: date, at: datetime) -> datetime:
        """Keep `at` as the time the decision's growth reached the platform, unless a time is kept already;
        answer the kept time (so every retry stamps the engine's `scale` at the same instant)."""
        ...


@dataclass(frozen=True, slots=True)
class GrowAccount:
    """What `account.scaled` says: the account, its reviewed cycle and its size before and after."""

    account_id: str
    cycle_ends_on: date
    balance_before: Decimal
    balance_after: Decimal


@dataclass(frozen=True, slots=True)
class Grown:
    account_id: str
    scaling_id: str
    outcome: Outcome
    growth: Decimal = Decimal(0)
    resized: bool = False  # this call moved the account's size (False: found moved already)
    engine_event_recorded: bool = False  # this call stored the engine's `scale` (False: stored already)
    platform_operation: str = ""


class ScalingGrowth:
    def __init__(
        self,
        accounts: AccountSizes,
        decisions: ScalingDecisions,
        platforms: PlatformDirectory,
        engine_events: TradingEventLog,
        clock: Clock,
        new_id: Callable[[], str],
    ) -> None:
        self._accounts = accounts
        self._decisions = decisions
        self._platforms = platforms
        self._engine = engine_events
        self._clock = clock
        self._new_id = new_id

    def grow(self, command: GrowAccount) -> Grown:
        """Apply the kept decision to the account, the platform and the engine (each once)."""
        decision_id = scaling_id(command.account_id, command.cycle_ends_on)
        account = self._accounts.get(command.account_id, consistent=True)
        if account is None:
            return Grown(command.account_id, decision_id, "unknown_account")
        decision = self._decisions.decision(command.account_id, command.cycle_ends_on)
        before, after = command.balance_before, command.balance_after
        if decision is None or not decision.scaled or decision.after.balance != after or after <= before:
            return Grown(command.account_id, decision_id, "stale")
        if account.platform is None:
            raise ScalingConflictError(
                f"account {command.account_id} is on no trading platform", "account_id"
            )
        platform, ref = self._platforms.for_account(account.platform)  # not connected: PlatformRejectedError
        resized = self._resize(account, before, after, decision, decision_id)
        growth = after - before
        operation = platform.adjust_balance(
            ref, growth, f"{decision_id}:scaling", f"scaling plan: the account grows from {before} to {after}"
        )  # PlatformUnavailableError / PlatformRejectedError: raised, the event is delivered again
        at = self._decisions.stamp_growth(account.account_id, command.cycle_ends_on, self._clock.now())
        recorded = self._record_scale(account.account_id, after, decision_id, at)
        return Grown(account.account_id, decision_id, "grown", growth, resized, recorded, operation)

    def _resize(
        self, account: Account, before: Decimal, after: Decimal, decision: StoredDecision, decision_id: str
    ) -> bool:
        if account.initial_balance == after:
            return False  # a retry: moved already
        entry = AuditEntry(
            entry_id=self._new_id(),
            at=self._clock.now(),
            actor=ACTOR,
            action="account.resized",
            subject=f"ACCOUNT#{account.account_id}",
            reason=decision.explanation,
            before={"initial_balance": f"{before:.2f}"},
            after={
                "initial_balance": f"{after:.2f}",
                "scaling_id": decision_id,
                "cycle_ends_on": decision.cycle_ends_on.isoformat(),
                "platform_reference": f"{decision_id}:scaling",
            },
        )
        if account.initial_balance == before and self._accounts.resize(
            account.account_id, before, after, entry
        ):
            return True
        current = self._accounts.get(account.account_id, consistent=True)
        if current is not None and current.initial_balance == after:
            return False  # another delivery moved it meanwhile
        found = current.initial_balance if current is not None else None
        raise ScalingConflictError(
            f"account {account.account_id} is sized {found}, neither {before} nor {after}: not scaled",
            "balance_before",
        )

    def _record_scale(self, account_id: str, initial: Decimal, decision_id: str, at: datetime) -> bool:
        """The engine's `scale`, at the decision's kept growth time: the log keys an event by its time and id,
        so a retry writes the same key and is stored once."""
        event_id = stable_id("scaling.scale", decision_id)
        payload = {
            "event_id": event_id, "time": at.isoformat(), "type": "scale", "initial": f"{initial:.2f}",
            "scaling_id": decision_id,
        }  # fmt: skip
        return self._engine.record(StoredEvent(account_id, event_id, at, "scale", payload), at)
