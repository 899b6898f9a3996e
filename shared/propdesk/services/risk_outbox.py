"""The risk service's outbox: the side effects one recalculation commits to, written with its snapshot (in one
conditional write) and performed only once that write succeeded.

The kinds, in the order a step lists them: breach evidence (`evidence`), account status changes (`status`),
platform commands (`disable`, `enable`, `pause`, `resume`), events to publish (`publish`) and the sweep's
copy of the next deadline (`deadline`). Each effect has a stable id, and each lands idempotently (evidence and
status writes are conditional, events and platform commands carry stable event ids that consumers dedupe
by), so a list performed again after a crash does no harm.

A `publish` effect may wait for a `status` effect (`after`): `account.breached` of a failing breach and
`account.passed` go out only once the account's status change took, i.e. the conditional write succeeded or
found the account already in that status for the same reason (the same effect performed before a crash).

`Outbox.settle` is the one way a snapshot's pending effects are carried out: by the step that wrote them, by
the account's next step (`RiskService`), and by the sweep (`propdesk.services.risk_outbox_sweep`) for an
account whose next step is not coming soon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.domain_events import DomainEvent, parse
from propdesk.engine import instant_id
from propdesk.observability import logger
from propdesk.ports import AccountControl, EventPublisher
from propdesk.records import Account, AccountStatus, BreachEvidence, PendingEffect, RiskSnapshot
from propdesk.services.risk_stores import AccountStore, BreachStore, DeadlineStore, RiskStateStore

EVIDENCE = "evidence"
STATUS = "status"
DISABLE = "disable"
ENABLE = "enable"
PAUSE = "pause"
RESUME = "resume"
PUBLISH = "publish"
DEADLINE = "deadline"

_STATUSES: dict[str, AccountStatus] = {"failed": "failed", "passed": "passed"}


# ---------------------------------------------------------------------------------------------- effects


def record_evidence(evidence: BreachEvidence, recorded_at: datetime) -> PendingEffect:
    return PendingEffect(
        f"{EVIDENCE}:{instant_id(evidence.time)}#{evidence.rule}#{evidence.identity}",
        EVIDENCE,
        {
            "account_id": evidence.account_id,
            "rule": evidence.rule,
            "time": evidence.time.isoformat(),
            "effect": evidence.effect,
            "limit": str(evidence.limit),
            "value": str(evidence.value),
            "explanation": evidence.explanation,
            "event_id": evidence.event_id,
            "event_type": evidence.event_type,
            "figures": dict(evidence.figures),
            "program_id": evidence.program_id,
            "program_version": evidence.program_version,
            "identity": evidence.identity,
            "recorded_at": recorded_at.isoformat(),
        },
    )


def change_status(account_id: str, status: AccountStatus, reason: str, at: datetime) -> PendingEffect:
    """Move the active account to `status` (conditional on it being active)."""
    return PendingEffect(
        f"{STATUS}:{status}:{reason}",
        STATUS,
        {"account_id": account_id, "status": status, "reason": reason, "at": at.isoformat()},
    )


def disable(account: Account, reason: str, cause: str) -> PendingEffect:
    data = _command(account, reason=reason, cause=cause)
    return PendingEffect(f"{DISABLE}:{reason}:{cause}", DISABLE, data)


def enable(account: Account, reason: str, cause: str) -> PendingEffect:
    data = _command(account, reason=reason, cause=cause)
    return PendingEffect(f"{ENABLE}:{reason}:{cause}", ENABLE, data)


def pause(account: Account, reason: str, until: datetime) -> PendingEffect:
    return PendingEffect(
        f"{PAUSE}:{until.isoformat()}", PAUSE, _command(account, reason=reason, until=until.isoformat())
    )


def resume(account: Account, paused_until: datetime) -> PendingEffect:
    data = _command(account, paused_until=paused_until.isoformat())
    return PendingEffect(f"{RESUME}:{paused_until.isoformat()}", RESUME, data)


def publish(event: DomainEvent, after: PendingEffect | None = None) -> PendingEffect:
    """Publish `event`; with `after`, only once that status change took."""
    return PendingEffect(
        f"{PUBLISH}:{event.event_id}",
        PUBLISH,
        {
            "detail_type": event.detail_type,
            "detail": event.model_dump(mode="json"),
            "after": None if after is None else {"effect_id": after.effect_id, **after.data},
        },
    )


def track_deadline(account_id: str, due_at: datetime | None) -> PendingEffect:
    return PendingEffect(
        f"{DEADLINE}:{'none' if due_at is None else due_at.isoformat()}",
        DEADLINE,
        {"account_id": account_id, "due_at": None if due_at is None else due_at.isoformat()},
    )


def _command(account: Account, **fields: str) -> dict[str, Any]:
    return {"account_id": account.account_id, "trader_id": account.trader_id, **fields}


# ---------------------------------------------------------------------------------------------- performing


class Outbox:
    """Performs effects against the stores and ports they name."""

    def __init__(
        self,
        accounts: AccountStore,
        breaches: BreachStore,
        deadlines: DeadlineStore | None,
        control: AccountControl,
        publisher: EventPublisher,
    ) -> None:
        self._accounts = accounts
        self._breaches = breaches
        self._deadlines = deadlines
        self._control = control
        self._publisher = publisher

    def settle(self, snapshot: RiskSnapshot, risk: RiskStateStore) -> RiskSnapshot:
        """Perform the snapshot's pending effects, then clear them, conditionally on its version (which does
        not move): `VersionConflictError` when another step wrote since (it performed them first). A failing
        effect leaves it and the ones after it pending, and raises."""
        if not snapshot.pending:
            return snapshot

        def keep(remaining: Sequence[PendingEffect]) -> None:
            try:
                risk.set_pending(snapshot.account_id, snapshot.version, remaining)
            except Exception:  # the whole list stays pending: performed again, idempotently
                logger.warning("could not record the effects done", extra={"account_id": snapshot.account_id})

        self.perform(snapshot.pending, keep)
        risk.set_pending(snapshot.account_id, snapshot.version, ())
        return replace(snapshot, pending=())

    def perform(
        self, effects: Sequence[PendingEffect], keep: Callable[[Sequence[PendingEffect]], None]
    ) -> None:
        """Perform the effects in order (consecutive `publish` effects in one publish call). When one fails,
        `keep` is handed the effects not done yet (that one first) and the error is raised."""
        took: dict[str, bool] = {}
        index = 0
        while index < len(effects):
            effect = effects[index]
            try:
                if effect.kind == PUBLISH:
                    batch = _publish_run(effects, index)
                    self._publish(batch, took)
                    index += len(batch)
                    continue
                self._perform(effect, took)
            except Exception:
                keep(effects[index:])
                raise
            index += 1

    def _perform(self, effect: PendingEffect, took: dict[str, bool]) -> None:
        data, control = effect.data, self._control
        if effect.kind == EVIDENCE:
            self._breaches.record(_evidence(data), recorded_at=datetime.fromisoformat(data["recorded_at"]))
        elif effect.kind == STATUS:
            took[effect.effect_id] = self._change_status(data)
        elif effect.kind == DISABLE:
            control.disable(data["account_id"], data["trader_id"], data["reason"], data["cause"])
        elif effect.kind == ENABLE:
            control.enable(data["account_id"], data["trader_id"], data["reason"], data["cause"])
        elif effect.kind == PAUSE:
            until = datetime.fromisoformat(data["until"])
            control.pause(data["account_id"], data["trader_id"], data["reason"], until)
        elif effect.kind == RESUME:
            paused_until = datetime.fromisoformat(data["paused_until"])
            control.resume(data["account_id"], data["trader_id"], paused_until)
        elif effect.kind == DEADLINE:
            if self._deadlines is not None:
                due = data["due_at"]
                self._deadlines.set(data["account_id"], None if due is None else datetime.fromisoformat(due))
        else:
            raise ValueError(f"unknown effect kind {effect.kind!r}")

    def _change_status(self, data: dict[str, Any]) -> bool:
        """True when the account has the status for this reason now: this write moved it, or an earlier
        attempt of the same effect did."""
        status, reason = _STATUSES[data["status"]], data["reason"]
        account_id, at = data["account_id"], datetime.fromisoformat(data["at"])
        if self._accounts.change_status(account_id, status, reason, at):
            return True
        account = self._accounts.get(account_id, consistent=True)
        return account is not None and (account.status, account.status_reason) == (status, reason)

    def _publish(self, batch: Sequence[PendingEffect], took: dict[str, bool]) -> None:
        events = []
        for effect in batch:
            after = effect.data["after"]
            if after is not None and not self._took(after, took):
                logger.warning(
                    "an event waits for a status change that did not take; not published",
                    extra={"effect_id": effect.effect_id, "after": after["effect_id"]},
                )
                continue
            events.append(parse(effect.data["detail_type"], effect.data["detail"]))
        if events:
            self._publisher.publish(events)

    def _took(self, status: dict[str, Any], took: dict[str, bool]) -> bool:
        """Whether the status change an event waits for took: as performed in this run, or (performed before
        a crash) as the account shows it now."""
        if status["effect_id"] in took:
            return took[status["effect_id"]]
        account = self._accounts.get(status["account_id"], consistent=True)
        return account is not None and (account.status, account.status_reason) == (
            status["status"],
            status["reason"],
        )


def _publish_run(effects: Sequence[PendingEffect], start: int) -> Sequence[PendingEffect]:
    end = start
    while end < len(effects) and effects[end].kind == PUBLISH:
        end += 1
    return effects[start:end]


def _evidence(data: dict[str, Any]) -> BreachEvidence:
    return BreachEvidence(
        account_id=data["account_id"],
        rule=data["rule"],
        time=datetime.fromisoformat(data["time"]),
        effect=data["effect"],
        limit=Decimal(data["limit"]),
        value=Decimal(data["value"]),
        explanation=data["explanation"],
        event_id=data["event_id"],
        event_type=data["event_type"],
        figures=dict(data["figures"]),
        program_id=data["program_id"],
        program_version=int(data["program_version"]),
        identity=data["identity"],
    )
