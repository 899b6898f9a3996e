"""Risk recalculation: an account's stored trading events through the engine, into its risk state.

One step (`on_event_recorded` for a new event, `on_events_recorded` for a stream batch's new events of one
account, `advance` for a day boundary with no event):

1. load the account, the program version it is pinned to, and its RISK snapshot (optimistic `version`);
   effects the snapshot still lists as pending (the step that wrote it crashed, or one of them failed) are
   performed first (see "How a step commits" below);
2. apply the events after the snapshot's watermark in time order; a late event (sorting before the watermark,
   or earlier than the engine's clock) replays the account's whole history instead, then re-advances the
   clock to where the snapshot had it: the result is the same as if the events had come in order;
   a stream record at or before the watermark with an unchanged event count is a duplicate and does nothing;
   an event the engine refuses (`EventError`) or cannot evaluate (an amount out of its exact range: an
   arithmetic error, at once or once the state holds it) is rejected alone, listed in the snapshot's
   `rejected_events` with its field and reason, and never blocks the account's later events;
3. list what is new since the snapshot as effects (`propdesk.services.risk_outbox`): breach evidence
   (immutable, keyed by a stable breach identity), account status (conditional), the platform disable for a
   `fail` breach, the platform lock for a `pause` breach until the next day boundary and the unlock once a
   boundary clears it, `account.breached` / `account.passed` / `account.warning`, the sweep's deadline copy;
4. commit: write the snapshot with those effects, then perform them.

How a step commits (an outbox in the snapshot). The snapshot is written first, conditionally on the version
read, carrying the effects still to perform (`RiskSnapshot.pending`, each with a stable id). A lost race
(`VersionConflictError`: `daily_reset` and `risk_recalc` on one account at once) has performed nothing: the
step starts over from the winner's snapshot, so no side effect ever comes from a stale one. Once the write
succeeded, the effects are performed in order and then cleared, conditionally on the version written (the
clear does not move the version, and stream consumers skip it). A crash between the write and the effects,
or a failing effect, leaves them pending (the failing one and those after it); the next step of the account
(the record delivered again, its next event, the daily reset) performs them before anything else. Effects
are idempotent where they land (conditional evidence and status writes, stable event ids that consumers
dedupe by), so performing one again after a crash does no harm. `account.breached` of a failing breach and
`account.passed` are published only once the status change took: the conditional write succeeded, or found
the account already in that status for the same reason.

Staff overrides (`on_override_recorded`, from the override item's stream record): the account's whole history
is replayed with every overridden breach waived (see `propdesk.engine.evaluator`); the waived set is part of
the stored state, so every later step honours it (a full replay reads the overrides again). A waived breach
stays in the snapshot marked `overridden`, is not published again, and no longer fails or pauses the account:
a failed account the service disabled is enabled again at the platform once staff reinstated it, a pause is
lifted. If the reinstated account is still failed by another (not overridden) breach, it is failed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.domain_events import AccountBreached, AccountPassed, AccountWarning, stable_id
from propdesk.engine import (
    ACTIVE,
    FAIL,
    FAILED,
    PASSED,
    PAUSE,
    AccountState,
    Breach,
    BreachRef,
    EquityUpdate,
    Evaluator,
    EventError,
    LimitWarning,
    PositionClosed,
    PositionOpened,
    Scale,
    TradingEvent,
    breach_identities,
    instant_id,
    parse_event,
)
from propdesk.errors import DomainError, VersionConflictError
from propdesk.money import CENT
from propdesk.ports import AccountControl, Clock, EventPublisher
from propdesk.records import Account, BreachEvidence, PendingEffect, RiskSnapshot, StoredEvent
from propdesk.services import risk_outbox as outbox
from propdesk.services.evaluators import Evaluators
from propdesk.services.risk_stores import (
    AccountStore,
    BreachStore,
    DeadlineStore,
    ProgramVersionStore,
    RiskStateStore,
    TradingEventLog,
)

MAX_ATTEMPTS = 8
MAX_REJECTED_KEPT = 50
# An amount the engine cannot evaluate: decimal.InvalidOperation, Overflow (ArithmeticError), or a ValueError
# while formatting money. EventError (a ValueError too) is caught before these.
_UNEVALUABLE = (ArithmeticError, ValueError)
_AMOUNT_FIELDS = {
    "equity": "equity", "position_closed": "profit", "position_opened": "volume", "scale": "initial",
}  # fmt: skip
PASSED_REASON = "all pass conditions met"  # the account status reason of a pass


class UnknownAccountError(DomainError):
    code = "unknown_account"


@dataclass(frozen=True, slots=True)
class RiskStores:
    """The stores a recalculation reads and writes (Protocols: `propdesk.services.risk_stores`)."""

    accounts: AccountStore
    catalogue: ProgramVersionStore
    events: TradingEventLog
    risk: RiskStateStore
    breaches: BreachStore
    deadlines: DeadlineStore | None = None  # None: no deadline sweep (tests of other paths)


@dataclass(frozen=True, slots=True)
class RecalcReport:
    account_id: str
    duplicate: bool = False
    replayed: bool = False
    applied: int = 0
    new_breaches: tuple[Breach, ...] = ()
    passed: bool = False
    warnings: int = 0
    status: str = "active"
    next_deadline: datetime | None = None
    reenabled: bool = False


@dataclass(slots=True)
class _Step:
    """Working memory of one recalculation attempt."""

    account: Account
    evaluator: Evaluator
    previous: RiskSnapshot | None
    state: AccountState
    last_event_sk: str | None
    applied_events: int
    replayed: bool = False
    warnings: list[LimitWarning] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    """Where a step stood: restoring it undoes everything applied since (the engine mutates in place)."""

    state: dict[str, Any]
    last_event_sk: str | None
    applied_events: int
    warnings: int
    rejected: int

    @classmethod
    def of(cls, step: _Step) -> _Checkpoint:
        return cls(
            step.state.to_dict(),
            step.last_event_sk,
            step.applied_events,
            len(step.warnings),
            len(step.rejected),
        )

    def restore(self, step: _Step, position: bool = True) -> None:
        step.state = AccountState.from_dict(self.state)
        del step.warnings[self.warnings :]
        del step.rejected[self.rejected :]
        if position:
            step.last_event_sk, step.applied_events = self.last_event_sk, self.applied_events


class RiskService:
    def __init__(
        self,
        stores: RiskStores,
        publisher: EventPublisher,
        account_control: AccountControl,
        clock: Clock,
        warning_share: Decimal = Decimal("0.8"),
    ) -> None:
        self._stores = stores
        self._publisher = publisher
        self._account_control = account_control
        self._clock = clock
        self._warning_share = warning_share
        self._evaluators = Evaluators(stores.catalogue, warn_at=warning_share)
        self._outbox = outbox.Outbox(
            stores.accounts, stores.breaches, stores.deadlines, account_control, publisher
        )

    # ------------------------------------------------------------------ entry points

    def on_event_recorded(self, trigger: StoredEvent) -> RecalcReport:
        """A new event is stored for `trigger.account_id`: bring the risk state up to date."""
        return self._with_retries(lambda: self._recalculate(trigger))

    def on_events_recorded(self, triggers: Sequence[StoredEvent]) -> RecalcReport:
        """New events of one account, as a stream batch carries them (in stream order, each read from its
        record's image): bring the risk state up to date in one step, reading the account and its snapshot
        once and writing the snapshot once, whatever the number of events.

        The same result as `on_event_recorded` for each in turn: the events after the snapshot's watermark
        are applied from the records themselves (no query of the log); a record at or before the watermark
        is a duplicate if the log's count there is unchanged (one count query), or a late event, and then the
        account's whole history is replayed from the log, as is a record earlier than the engine's clock.
        An event stored after the watermark whose record is not in the batch is applied when its record comes
        (after a later watermark it is late, and replays the history): the state converges all the same."""
        if not triggers:
            raise ValueError("no events to recalculate")
        if len({trigger.account_id for trigger in triggers}) != 1:
            raise ValueError("a batch step takes the events of one account")
        return self._with_retries(lambda: self._recalculate_batch(triggers))

    def advance(self, account: Account, until: datetime) -> RecalcReport:
        """Move the account's clock to `until` (a day boundary): the reset-time evaluation, no new event."""
        return self._with_retries(lambda: self._advance(account, until))

    def on_override_recorded(self, account_id: str) -> RecalcReport:
        """Staff overrode one of the account's breaches: replay its history with every override applied.

        A duplicate (the stored state already waives exactly the overridden breaches) changes nothing."""
        return self._with_retries(lambda: self._reapply_overrides(account_id))

    # ------------------------------------------------------------------ steps

    @staticmethod
    def _with_retries(attempt: Callable[[], RecalcReport]) -> RecalcReport:
        """Optimistic locking: a lost race reloads everything and tries again (the last try may raise)."""
        for _ in range(MAX_ATTEMPTS - 1):
            try:
                return attempt()
            except VersionConflictError:
                continue
        return attempt()

    def _recalculate(self, trigger: StoredEvent) -> RecalcReport:
        account = self._account(trigger.account_id)
        evaluator = self._evaluator(account)
        previous = self._load(account.account_id)
        watermark = previous.last_event_sk if previous else None
        if previous is not None and watermark is not None and trigger.sk <= watermark:
            if self._stores.events.count_until(account.account_id, watermark) == previous.applied_events:
                return RecalcReport(account.account_id, duplicate=True, status=previous.status or ACTIVE)
            step = self._replay(account, evaluator, previous)
        else:
            step = self._incremental(account, evaluator, previous)
        return self._commit(step)

    def _recalculate_batch(self, triggers: Sequence[StoredEvent]) -> RecalcReport:
        account = self._account(triggers[0].account_id)
        evaluator = self._evaluator(account)
        previous = self._load(account.account_id)
        watermark = previous.last_event_sk if previous else None
        unique = {trigger.sk: trigger for trigger in triggers}
        fresh = [unique[sk] for sk in sorted(unique) if watermark is None or sk > watermark]
        if previous is not None and watermark is not None and len(fresh) < len(unique):
            if self._stores.events.count_until(account.account_id, watermark) != previous.applied_events:
                return self._commit(self._replay(account, evaluator, previous))  # a late event
            if not fresh:
                return RecalcReport(account.account_id, duplicate=True, status=previous.status or ACTIVE)
        step = self._resume(account, evaluator, previous)
        if any(event.time < step.state.clock for event in fresh):
            return self._commit(self._replay(account, evaluator, previous))
        self._apply(step, lambda: fresh)
        return self._commit(step)

    def _reapply_overrides(self, account_id: str) -> RecalcReport:
        account = self._account(account_id)
        evaluator = self._evaluator(account)
        previous = self._load(account.account_id)
        waived = self._waived(account.account_id)
        if previous is not None and _waived_in(previous) == waived:
            return RecalcReport(account.account_id, duplicate=True, status=previous.status or ACTIVE)
        return self._commit(self._replay(account, evaluator, previous, waived))

    def _advance(self, account: Account, until: datetime) -> RecalcReport:
        evaluator = self._evaluator(account)
        previous = self._load(account.account_id)
        step = self._resume(account, evaluator, previous)
        if step.state.clock >= until:
            return RecalcReport(
                account.account_id,
                duplicate=True,
                status=step.state.status,
                next_deadline=next_deadline(step.state),
            )
        self._collect(step, evaluator.advance_to(step.state, until).warnings)
        return self._commit(step)

    def _incremental(self, account: Account, evaluator: Evaluator, previous: RiskSnapshot | None) -> _Step:
        step = self._resume(account, evaluator, previous)
        pending = list(self._stores.events.replay(account.account_id, after_sk=step.last_event_sk))
        if any(event.time < step.state.clock for event in pending):
            return self._replay(account, evaluator, previous)
        self._apply(step, lambda: pending)
        return step

    def _replay(
        self,
        account: Account,
        evaluator: Evaluator,
        previous: RiskSnapshot | None,
        waived: frozenset[BreachRef] | None = None,
    ) -> _Step:
        if waived is None:
            waived = self._waived(account.account_id)
        step = _Step(
            account=account,
            evaluator=evaluator,
            previous=previous,
            state=evaluator.start(account.opened_at, waived),
            last_event_sk=None,
            applied_events=0,
            replayed=True,
        )
        self._apply(step, lambda: self._stores.events.replay(account.account_id))
        if previous is not None and previous.evaluated_until and previous.evaluated_until > step.state.clock:
            self._collect(step, evaluator.advance_to(step.state, previous.evaluated_until).warnings)
        return step

    def _resume(self, account: Account, evaluator: Evaluator, previous: RiskSnapshot | None) -> _Step:
        if previous is None:
            state = evaluator.start(account.opened_at)
            return _Step(account, evaluator, None, state, last_event_sk=None, applied_events=0)
        return _Step(
            account,
            evaluator,
            previous,
            AccountState.from_dict(previous.state),
            last_event_sk=previous.last_event_sk,
            applied_events=previous.applied_events,
        )

    def _apply(self, step: _Step, events: Callable[[], Iterable[StoredEvent]]) -> None:
        """Apply the step's events (`events()` reads them); each one the engine refuses or cannot evaluate is
        rejected alone, and the others apply.

        An event whose own amount cannot be evaluated exactly (not writable to the cent) is rejected before
        it touches the state. An arithmetic error that only the state shows (a sum out of range, raised while
        applying or while formatting what the commit will write, checked once per step) sends the step back
        to where it started, to apply the same events again one at a time, each checked.
        """
        start = _Checkpoint.of(step)
        try:
            self._apply_each(step, events(), careful=False)
            self._evaluation(step)  # what the commit will write: an out-of-range state fails here
        except _UNEVALUABLE:
            start.restore(step)
            self._evaluation(step)  # the state the step started from is sound: the error is an event's
            self._apply_each(step, events(), careful=True)

    def _apply_each(self, step: _Step, events: Iterable[StoredEvent], careful: bool) -> None:
        for stored in events:
            step.last_event_sk = stored.sk
            step.applied_events += 1
            try:
                event = parse_event(stored.payload)
                _check_amounts(event)
            except EventError as error:
                step.rejected.append(
                    {"event_id": stored.event_id, "field": error.field, "reason": error.message}
                )
                continue
            except _UNEVALUABLE as error:
                step.rejected.append(_unevaluable(stored, error))
                continue
            before = _Checkpoint.of(step) if careful else None
            try:
                outcome = step.evaluator.apply(step.state, event)
                if before is not None:
                    self._evaluation(step)
            except EventError as error:  # refused before the state changed
                step.rejected.append(
                    {"event_id": stored.event_id, "field": error.field, "reason": error.message}
                )
                continue
            except _UNEVALUABLE as error:
                if before is None:
                    raise
                before.restore(step, position=False)  # the event counts as applied: it is rejected
                step.rejected.append(_unevaluable(stored, error))
                continue
            self._collect(step, outcome.warnings)

    def _collect(self, step: _Step, warnings: Iterable[LimitWarning]) -> None:
        step.warnings.extend(warnings)

    # ------------------------------------------------------------------ acting on what is new

    def _commit(self, step: _Step) -> RecalcReport:
        """Write the snapshot with the effects it commits to (conditional on the version read: a lost race
        raises `VersionConflictError` having done nothing), then perform them and clear them."""
        account, state, previous = step.account, step.state, step.previous
        now = self._clock.now()
        identified = self._new_breaches(step)
        effects = [outbox.record_evidence(self._evidence(account, b, i), now) for b, i in identified]
        failing = next(((b, i) for b, i in identified if b.effect == FAIL and not b.overridden), None)
        failed: PendingEffect | None = None
        if failing is not None:
            failed = outbox.change_status(account.account_id, "failed", failing[0].rule, now)
            effects.append(failed)
        elif state.status == FAILED and account.status == ACTIVE:
            effects.append(self._refail(step, now))  # reinstated, but another breach still fails it
        was_passed = previous is not None and previous.status == PASSED
        passed = state.status == PASSED and not was_passed
        passed_status = None
        if passed:
            passed_status = outbox.change_status(account.account_id, "passed", PASSED_REASON, now)
            effects.append(passed_status)
        if failing is not None:
            breach, identity = failing
            effects.append(outbox.disable(account, breach.rule, f"{_instant(breach)}#{identity}"))
        reenable = self._reenable(step)
        if reenable is not None:
            effects.append(reenable)
        effects += self._lock_or_unlock(step)
        warnings_sent = dict(previous.warnings_sent) if previous else {}
        warnings = self._new_warnings(step, warnings_sent)
        effects += [
            outbox.publish(self._breached(account, b, i, now), after=failed if b.effect == FAIL else None)
            for b, i in identified
            if not b.overridden
        ]
        effects += [outbox.publish(self._warning(account, w, day, now)) for w, day in warnings]
        if passed_status is not None:
            effects.append(outbox.publish(self._passed(account, step, now), after=passed_status))
        effects += self._track_deadline(step)

        snapshot = RiskSnapshot(
            account_id=account.account_id,
            version=previous.version if previous else 0,
            state=state.to_dict(),
            evaluation=self._evaluation(step),
            last_event_sk=step.last_event_sk,
            applied_events=step.applied_events,
            evaluated_until=state.clock,
            warnings_sent=warnings_sent,
            pending=tuple(effects),
        )
        written = replace(snapshot, version=self._stores.risk.save(snapshot, updated_at=now))
        with suppress(VersionConflictError):  # a later step wrote meanwhile: it performed them first
            self._settle(written)
        return RecalcReport(
            account_id=account.account_id,
            replayed=step.replayed,
            applied=step.applied_events
            - (0 if step.replayed or previous is None else previous.applied_events),
            new_breaches=tuple(breach for breach, _ in identified),
            passed=passed,
            warnings=len(warnings),
            status=state.status,
            next_deadline=next_deadline(state),
            reenabled=reenable is not None,
        )

    def _load(self, account_id: str) -> RiskSnapshot | None:
        """The account's snapshot, its pending effects performed first (a step that crashed after its write
        left them): every step starts from a snapshot whose effects have happened."""
        previous = self._stores.risk.get(account_id)
        return None if previous is None else self._settle(previous)

    def _settle(self, snapshot: RiskSnapshot) -> RiskSnapshot:
        """Perform the snapshot's pending effects, then clear them (`risk_outbox.Outbox.settle`)."""
        return self._outbox.settle(snapshot, self._stores.risk)

    def settle_pending(self, account_id: str) -> bool:
        """Perform what the account's snapshot still owes, as its next step would first (the sweep's way in:
        `propdesk.services.risk_outbox_sweep`); False when it owes nothing. A failing effect raises (it and
        those after it stay pending); `VersionConflictError` when a step wrote meanwhile (which performed
        them)."""
        snapshot = self._stores.risk.get(account_id)
        if snapshot is None or not snapshot.pending:
            return False
        self._settle(snapshot)
        return True

    def _refail(self, step: _Step, now: datetime) -> PendingEffect:
        """Staff reinstated the account (overriding a breach), yet a breach nobody overrode still fails it."""
        reason = next((b.rule for b in step.state.breaches if b.effect == FAIL and not b.overridden), FAILED)
        return outbox.change_status(step.account.account_id, "failed", reason, now)

    def _reenable(self, step: _Step) -> PendingEffect | None:
        """Enable the account at the platform again if this service disabled it (its snapshot said failed)
        and the failing breach is now overridden, once staff reinstated it (the account is active)."""
        previous, account = step.previous, step.account
        was_failed = previous is not None and previous.status == FAILED
        if not was_failed or step.state.status == FAILED or account.status != ACTIVE:
            return None
        waived = [b for b in step.state.breaches if b.overridden and b.effect == FAIL]
        cause = ",".join(f"{_instant(b)}#{b.rule}" for b in waived)
        return outbox.enable(account, "breach overridden", cause)

    def _waived(self, account_id: str) -> frozenset[BreachRef]:
        """The account's breaches staff overrode, as the engine names them."""
        return frozenset(self._stores.breaches.overridden(account_id))

    def _lock_or_unlock(self, step: _Step) -> list[PendingEffect]:
        """Follow the engine's `paused_until` at the platform: a `pause` breach locks trading until the next
        day boundary; crossing it (the daily reset, or the next event after it) unlocks. A failed account is
        disabled instead, so it is neither locked nor unlocked."""
        state, account = step.state, step.account
        if state.status == FAILED:
            return []
        effects = []
        before = None if step.previous is None else step.previous.paused_until
        now = state.paused_until if state.status == ACTIVE else None
        if before is not None and before != now:
            effects.append(outbox.resume(account, before))
        if now is not None and now != before:
            reason = next((b.rule for b in reversed(state.breaches) if b.effect == PAUSE), PAUSE)
            effects.append(outbox.pause(account, reason, now))
        return effects

    def _track_deadline(self, step: _Step) -> list[PendingEffect]:
        """Keep the sweep's copy of the next scheduled deadline (time limit, inactivity, flat-by) current:
        an effect only when it changed."""
        if self._stores.deadlines is None:
            return []
        before = None if step.previous is None else step.previous.next_deadline
        now = next_deadline(step.state)
        return [] if now == before else [outbox.track_deadline(step.account.account_id, now)]

    @staticmethod
    def _new_breaches(step: _Step) -> list[tuple[Breach, str]]:
        """The breaches the snapshot did not know yet, each with its identity (see `breach_identities`)."""
        known: set[tuple[str, str]] = set()
        if step.previous is not None:
            before = [Breach.from_dict(b) for b in step.previous.breaches]
            known = set(zip(map(_instant, before), breach_identities(before), strict=True))
        current = step.state.breaches
        return [
            (breach, identity)
            for breach, identity in zip(current, breach_identities(current), strict=True)
            if (_instant(breach), identity) not in known
        ]

    def _new_warnings(self, step: _Step, warnings_sent: dict[str, str]) -> list[tuple[LimitWarning, str]]:
        """Warnings for limits not yet warned about on that trading day; records them in `warnings_sent`."""
        fresh: list[tuple[LimitWarning, str]] = []
        for warning in step.warnings:
            if warning.used_share < self._warning_share:
                continue
            key = f"{warning.rule}#{warning.rule_index}"
            day = step.evaluator.program.trading_day.date_of(warning.time).isoformat()
            if warnings_sent.get(key, "") >= day:
                continue
            warnings_sent[key] = day
            fresh.append((warning, day))
        return fresh

    def _evaluation(self, step: _Step) -> dict[str, Any]:
        evaluation = step.evaluator.result(step.state).to_dict()
        evaluation["usage"] = [
            {
                "rule": u.rule,
                "rule_index": u.rule_index,
                "floor": str(u.floor),
                "used_share": str(u.used_share),
            }
            for u in step.evaluator.usage(step.state)
        ]
        kept = list(step.previous.rejected_events) if step.previous and not step.replayed else []
        evaluation["rejected_events"] = (kept + step.rejected)[-MAX_REJECTED_KEPT:]
        return evaluation

    # ------------------------------------------------------------------ lookups and shapes

    def _account(self, account_id: str) -> Account:
        account = self._stores.accounts.get(account_id, consistent=True)
        if account is None:
            raise UnknownAccountError(f"no account {account_id!r}", "account_id")
        return account

    def _evaluator(self, account: Account) -> Evaluator:
        """The pinned program version's evaluator; `ProgramVersionMissingError` if it is not stored."""
        return self._evaluators(account)

    @staticmethod
    def _evidence(account: Account, breach: Breach, identity: str) -> BreachEvidence:
        return BreachEvidence(
            account_id=account.account_id,
            rule=breach.rule,
            time=breach.time,
            effect=breach.effect,
            limit=breach.limit,
            value=breach.value,
            explanation=breach.explanation,
            event_id=breach.event_id,
            event_type=breach.event_type,
            figures={**breach.figures, "unit": breach.unit, "rule_index": str(breach.rule_index)},
            program_id=account.program_id,
            program_version=account.program_version,
            identity=identity,
        )

    @staticmethod
    def _breached(account: Account, breach: Breach, identity: str, now: datetime) -> AccountBreached:
        return AccountBreached(
            event_id=stable_id("breached", account.account_id, _instant(breach), identity),
            occurred_at=now,
            account_id=account.account_id,
            trader_id=account.trader_id,
            program_id=account.program_id,
            program_version=account.program_version,
            rule=breach.rule,
            effect=breach.effect,
            limit=breach.limit,
            value=breach.value,
            explanation=breach.explanation,
            breached_at=breach.time,
        )

    @staticmethod
    def _warning(account: Account, warning: LimitWarning, day: str, now: datetime) -> AccountWarning:
        return AccountWarning(
            event_id=stable_id("warning", account.account_id, warning.rule_index, day),
            occurred_at=now,
            account_id=account.account_id,
            trader_id=account.trader_id,
            rule=warning.rule,
            used_share=warning.used_share,
            limit=warning.floor,
            value=warning.equity,
            trading_day=day,
        )

    @staticmethod
    def _passed(account: Account, step: _Step, now: datetime) -> AccountPassed:
        return AccountPassed(
            event_id=stable_id("passed", account.account_id),
            occurred_at=now,
            account_id=account.account_id,
            trader_id=account.trader_id,
            program_id=account.program_id,
            program_version=account.program_version,
            metrics=step.evaluator.metrics(step.state).to_dict(),
        )


def _waived_in(snapshot: RiskSnapshot) -> frozenset[BreachRef]:
    """The overridden breaches the snapshot's state was evaluated with."""
    return frozenset(BreachRef(*waived) for waived in snapshot.waived)


def next_deadline(state: AccountState) -> datetime | None:
    """The earliest scheduled-rule deadline still ahead of an active account (day boundaries excluded)."""
    if state.status != ACTIVE:
        return None
    return min((due for due in state.dues if due is not None), default=None)


def _check_amounts(event: TradingEvent) -> None:
    """Raise the arithmetic error an amount of the event causes when it cannot be written to the cent
    exactly (beyond the decimal context's precision): the engine could not evaluate it."""
    if isinstance(event, EquityUpdate):
        event.equity.quantize(CENT)
    elif isinstance(event, PositionClosed):
        event.profit.quantize(CENT)
    elif isinstance(event, PositionOpened):
        event.volume.quantize(CENT)
    elif isinstance(event, Scale):
        event.initial.quantize(CENT)


def _unevaluable(stored: StoredEvent, error: Exception) -> dict[str, Any]:
    """The rejection of an event whose amount the engine cannot evaluate (out of its exact range)."""
    return {
        "event_id": stored.event_id,
        "field": _AMOUNT_FIELDS.get(stored.type),
        "reason": f"the amount cannot be evaluated exactly ({type(error).__name__})",
    }


def _instant(breach: Breach) -> str:
    return instant_id(breach.time)
