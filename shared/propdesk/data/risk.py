"""An account's risk state (optimistic version), its breach evidence (immutable) and which breaches staff
overrode (the risk engine's waived breaches)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError, UpdateError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed, saved_if_new
from propdesk.data.models import BreachItem, BreachOverrideItem, RiskStateItem
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.errors import VersionConflictError
from propdesk.records import BreachEvidence, Page, PendingEffect, PendingOutbox, RiskSnapshot

if TYPE_CHECKING:
    from propdesk.engine import BreachRef

OUTBOX_PREFIX = "OUTBOX#"
# The outbox index's partitions: each step with effects writes its snapshot into one and out again, and a
# partition of an index takes about 1,000 writes a second; 8 of them (the sweep's 8 Queries a run) leave room
# for some 4,000 such steps a second.
OUTBOX_SHARDS = 8


def outbox_partition(account_id: str) -> str:
    shard = int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16) % OUTBOX_SHARDS
    return f"{OUTBOX_PREFIX}{shard:02d}"


class RiskStateRepository:
    def get(self, account_id: str) -> RiskSnapshot | None:
        try:
            item = RiskStateItem.get(keys.account_pk(account_id), keys.RISK_SK, consistent_read=True)
        except RiskStateItem.DoesNotExist:
            return None
        return snapshot_of(item)

    def save(self, snapshot: RiskSnapshot, updated_at: datetime) -> int:
        """Write the state if nobody wrote it since `snapshot.version` was read (0: never written).

        Returns the new version; raises VersionConflictError when another writer got there first.
        """
        item = RiskStateItem(
            keys.account_pk(snapshot.account_id),
            keys.RISK_SK,
            entity="risk_state",
            account_id=snapshot.account_id,
            state=snapshot.state,
            evaluation=snapshot.evaluation,
            last_event_sk=snapshot.last_event_sk,
            applied_events=snapshot.applied_events,
            evaluated_until=snapshot.evaluated_until,
            warnings_sent=dict(snapshot.warnings_sent),
            pending=_pending_json(snapshot.pending),
            updated_at=updated_at,
        )
        if snapshot.pending:  # in the outbox index until they are all done (the same write: never apart)
            item.outbox_pk = outbox_partition(snapshot.account_id)
            item.outbox_sk = snapshot.account_id
        if snapshot.version:
            item.version = snapshot.version
        try:
            item.save()
        except PutError as error:
            if condition_failed(error):
                raise VersionConflictError(
                    f"risk state of {snapshot.account_id} changed meanwhile"
                ) from error
            raise
        return int(item.version or 0)

    def set_pending(self, account_id: str, version: int, pending: Sequence[PendingEffect]) -> None:
        """Replace the effects still to perform, if the snapshot is still at `version`; the version does not
        move (bookkeeping of the outbox, not a new state). VersionConflictError when another writer wrote.

        The snapshot stays in the outbox index while effects remain (put back if a concurrent settle of the
        same snapshot took it out) and leaves it with the last."""
        item = RiskStateItem
        if pending:
            actions = [
                item.pending.set(_pending_json(pending)),
                item.outbox_pk.set(outbox_partition(account_id)),
                item.outbox_sk.set(account_id),
            ]
        else:
            actions = [item.pending.remove(), item.outbox_pk.remove(), item.outbox_sk.remove()]
        try:
            RiskStateItem._get_connection().update_item(
                keys.account_pk(account_id),
                range_key=keys.RISK_SK,
                actions=actions,
                condition=RiskStateItem.version == version,
            )
        except UpdateError as error:
            if condition_failed(error):
                raise VersionConflictError(f"risk state of {account_id} changed meanwhile") from error
            raise

    def pending_outboxes(self) -> Iterator[PendingOutbox]:
        """Every account whose snapshot still lists effects to perform, with when they were committed to:
        a Query of each outbox partition of the sparse index (eventually consistent: read the snapshot
        itself before acting)."""
        for shard in range(OUTBOX_SHARDS):
            for item in RiskStateItem.with_pending.query(f"{OUTBOX_PREFIX}{shard:02d}"):
                yield PendingOutbox(str(item.outbox_sk), item.updated_at)


def snapshot_of(item: RiskStateItem) -> RiskSnapshot:
    """The record a RISK item holds (also read from stream images)."""
    return RiskSnapshot(
        account_id=item.account_id,
        version=int(item.version or 0),
        state=item.state,
        evaluation=item.evaluation,
        last_event_sk=item.last_event_sk,
        applied_events=int(item.applied_events),
        evaluated_until=item.evaluated_until,
        warnings_sent={str(rule): str(day) for rule, day in (item.warnings_sent or {}).items()},
        pending=tuple(
            PendingEffect(str(effect["effect_id"]), str(effect["kind"]), dict(effect["data"]))
            for effect in item.pending or ()
        ),
    )


def _pending_json(pending: Sequence[PendingEffect]) -> list[dict[str, Any]] | None:
    return [
        {"effect_id": effect.effect_id, "kind": effect.kind, "data": effect.data} for effect in pending
    ] or None


class BreachRepository:
    def record(self, evidence: BreachEvidence, recorded_at: datetime) -> bool:
        """Store the evidence once; False when this breach (time, rule, identity) is already recorded."""
        item = BreachItem(
            keys.account_pk(evidence.account_id),
            keys.breach_sk(evidence.time, evidence.rule, evidence.identity),
            entity="breach",
            account_id=evidence.account_id,
            rule=evidence.rule,
            breach_time=evidence.time,
            effect=evidence.effect,
            limit=evidence.limit,
            value=evidence.value,
            explanation=evidence.explanation,
            event_id=evidence.event_id,
            event_type=evidence.event_type,
            figures=evidence.figures,
            program_id=evidence.program_id,
            program_version=evidence.program_version,
            recorded_at=recorded_at,
        )
        return saved_if_new(item, BreachItem.pk.does_not_exist())

    def overridden(self, account_id: str) -> frozenset[BreachRef]:
        """The account's breaches staff overrode (a handful at most), as the engine names them; read
        consistently: the override's own stream record asks for them."""
        items = BreachOverrideItem.query(
            keys.account_pk(account_id),
            BreachOverrideItem.sk.startswith(keys.OVERRIDE_PREFIX),
            consistent_read=True,
        )
        return frozenset(breach_ref(item.breach_sk) for item in items)

    def list_for_account(
        self,
        account_id: str,
        limit: int = 50,
        cursor: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        newest_first: bool = False,
    ) -> Page[BreachEvidence]:
        """Breaches in [start, end) in time order (oldest first unless `newest_first`)."""
        partition = keys.account_pk(account_id)
        lower = keys.BREACH_PREFIX + (keys.key_time(start) if start else "")
        upper = keys.BREACH_PREFIX + (keys.key_time(end) if end else "~")
        results = BreachItem.query(
            partition,
            BreachItem.sk.between(lower, upper),
            limit=check_limit(limit),
            scan_index_forward=not newest_first,
            last_evaluated_key=decode_cursor(cursor, "pk", partition),
        )
        return to_page(results, _evidence)


def breach_ref(breach_sk: str) -> BreachRef:
    """The engine's name for the breach stored under `BREACH#{time}#{rule}#{identity}`."""
    from propdesk.engine import BreachRef  # here: most readers of breaches never load the engine

    time, rule, *identity = keys.strip_prefix(breach_sk, keys.BREACH_PREFIX).split("#", 2)
    return BreachRef(keys.parse_key_time(time), rule, identity[0] if identity else "")


def _evidence(item: BreachItem) -> BreachEvidence:
    figures: dict[str, Any] = item.figures
    return BreachEvidence(
        account_id=item.account_id,
        rule=item.rule,
        time=item.breach_time,
        effect=item.effect,
        limit=item.limit,
        value=item.value,
        explanation=item.explanation,
        event_id=item.event_id,
        event_type=item.event_type,
        figures=figures,
        program_id=item.program_id,
        program_version=int(item.program_version),
        identity=keys.breach_identity_of(item.sk),
        breach_id=keys.breach_id(item.sk),
    )
