"""Abuse flags in the main table (`propdesk.abuse.store.FlagStore`), keys as docs/abuse.md ("Wiring"):

- `FLAG#{id}` / `META`: the flag as `Flag.to_dict()` (its evidence included), its status; GSI1
  `FLAGS#{status}` and GSI2 `FLAGS#{detector}#{status}`, both sorted by `{detected_at}#{id}` (the queue);
- `FLAG#{id}` / `DETECTION#{detected_at}`: each detection as found (the evidence of that moment);
- `ACCOUNT#{id}` / `FLAG#{id}` and `TRADER#{id}` / `FLAG#{id}`: one link per name (an account's or a
  trader's flags: a query of its partition, then the flags read by key and filtered).

Saving writes the detection and the links first and the flag last (idempotent writes: a retried save
converges; the flag's attributes are set by an update, so an outbox already on the item stays). A decision
replaces the flag only while it is open, together with its audit entry and its outbox (one transaction).

The outbox: `pending` (the decided flag's names, who, why, when: `PendingOutcome` without its effects),
`pending_effects` (the effects still to carry out), `pending_id` (which decision's outbox it is), and while
they are there `outbox_pk` = `OUTBOX#FLAGS`, `outbox_sk` = the flag id and `updated_at`: the flag is then in
the table's sparse `outbox` index, which the abuse outbox sweep queries (one partition of its own, beside
the risk snapshots' `OUTBOX#00`..`07`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from propdesk.abuse.codec import flag_from_dict
from propdesk.abuse.decisions import Effect, PendingOutcome
from propdesk.abuse.flags import Flag
from propdesk.abuse.store import FlagQuery
from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.audit import AuditLog
from propdesk.data.models import AbuseFlagItem, MainTableModel
from propdesk.data.paging import check_limit, decode_cursor, encode_cursor, to_page
from propdesk.errors import VersionConflictError
from propdesk.records import AuditEntry, Page, PendingOutbox

TRANSACTION_CANCELED = "TransactionCanceledException"
OUTBOX_PARTITION = "OUTBOX#FLAGS"


class AbuseFlagRepository:
    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit or AuditLog()

    def get(self, flag_id: str) -> Flag | None:
        try:
            item = AbuseFlagItem.get(_flag_pk(flag_id), keys.META_SK, consistent_read=True)
        except AbuseFlagItem.DoesNotExist:
            return None
        return _flag(item)

    def detections(self, flag_id: str, limit: int = 20) -> list[Flag]:
        items = AbuseFlagItem.query(
            _flag_pk(flag_id),
            AbuseFlagItem.sk.startswith(keys.DETECTION_PREFIX),
            scan_index_forward=False,
            limit=check_limit(limit),
        )
        return [_flag(item) for item in items]

    def save(
        self,
        flag: Flag,
        detection: Flag,
        entry: AuditEntry | None = None,
        pending: PendingOutcome | None = None,
    ) -> None:
        found = AbuseFlagItem(
            _flag_pk(flag.flag_id),
            keys.DETECTION_PREFIX + keys.key_time(detection.detected_at),
            entity="abuse_detection",
            flag_id=flag.flag_id,
            flag=detection.to_dict(),
        )
        links = [
            AbuseFlagItem(pk, keys.FLAG_PREFIX + flag.flag_id, entity="abuse_flag_link", flag_id=flag.flag_id)
            for pk in [
                *(keys.account_pk(account) for account in flag.accounts),
                *(keys.trader_pk(trader) for trader in flag.traders),
            ]
        ]
        with AbuseFlagItem.batch_write() as batch:
            for item in (found, *links):
                batch.save(item)
        actions = _meta_actions(flag, pending)
        if entry is None:
            _key(flag.flag_id).update(actions=actions)
            return
        with _Transaction() as transaction:
            transaction.update(_key(flag.flag_id), actions=actions)
            self._audit.append_in(transaction, entry)

    def decide(self, decided: Flag, entry: AuditEntry, pending: PendingOutcome | None = None) -> bool:
        try:
            with _Transaction() as transaction:
                transaction.update(
                    _key(decided.flag_id),
                    actions=_meta_actions(decided, pending),
                    condition=AbuseFlagItem.status == "open",
                )
                self._audit.append_in(transaction, entry)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                return False
            raise
        return True

    def outbox(self, flag_id: str) -> tuple[Flag, PendingOutcome] | None:
        try:
            item = AbuseFlagItem.get(_flag_pk(flag_id), keys.META_SK, consistent_read=True)
        except AbuseFlagItem.DoesNotExist:
            return None
        if item.pending is None:
            return None
        effects = item.pending_effects or []
        return _flag(item), PendingOutcome.from_dict({**item.pending, "effects": effects})

    def set_pending(self, flag_id: str, outbox_id: str, remaining: Sequence[Effect]) -> None:
        item = AbuseFlagItem
        actions: list[Action]
        if remaining:
            actions = [item.pending_effects.set(_effects_json(remaining))]
        else:
            actions = [
                item.pending.remove(), item.pending_effects.remove(), item.pending_id.remove(),
                item.outbox_pk.remove(), item.outbox_sk.remove(), item.updated_at.remove(),
            ]  # fmt: skip
        try:
            _key(flag_id).update(actions=actions, condition=item.pending_id == outbox_id)
        except UpdateError as error:
            if condition_failed(error):
                raise VersionConflictError(f"the outbox of flag {flag_id} changed meanwhile") from error
            raise

    def pending_outboxes(self) -> Iterator[PendingOutbox]:
        """Flags whose outbox is not empty: a Query of the outbox index's own partition (eventually
        consistent: the flag itself is read before acting)."""
        for item in AbuseFlagItem.with_pending.query(OUTBOX_PARTITION):
            yield PendingOutbox(str(item.outbox_sk), item.updated_at)

    def page(self, query: FlagQuery, limit: int = 50, cursor: str | None = None) -> Page[Flag]:
        limit = check_limit(limit)
        named = (
            keys.account_pk(query.account_id)
            if query.account_id
            else keys.trader_pk(query.trader_id)
            if query.trader_id
            else None
        )
        if named is not None:
            return self._named(named, query, limit, cursor)
        if query.detector is not None:
            partition = f"{keys.FLAGS_PREFIX}{query.detector}#{query.status or 'open'}"
            results: Any = AbuseFlagItem.by_detector.query(
                partition,
                limit=limit,
                scan_index_forward=False,
                last_evaluated_key=decode_cursor(cursor, "gsi2pk", partition),
            )
        else:
            partition = f"{keys.FLAGS_PREFIX}{query.status or 'open'}"
            results = AbuseFlagItem.by_status.query(
                partition,
                limit=limit,
                scan_index_forward=False,
                last_evaluated_key=decode_cursor(cursor, "gsi1pk", partition),
            )
        return to_page(results, _flag)

    def _named(self, partition: str, query: FlagQuery, limit: int, cursor: str | None) -> Page[Flag]:
        links = AbuseFlagItem.query(
            partition,
            AbuseFlagItem.sk.startswith(keys.FLAG_PREFIX),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, "pk", partition),
        )
        ids = [link.flag_id for link in links]
        found = (
            [_flag(item) for item in AbuseFlagItem.batch_get([(_flag_pk(i), keys.META_SK) for i in ids])]
            if ids
            else []
        )
        matching = [
            flag
            for flag in found
            if (query.status is None or flag.status == query.status)
            and (query.detector is None or flag.detector == query.detector)
        ]
        matching.sort(key=lambda flag: (flag.detected_at, flag.flag_id), reverse=True)
        return Page(matching, encode_cursor(links.last_evaluated_key))


def _flag_pk(flag_id: str) -> str:
    return keys.FLAG_PREFIX + flag_id


def _key(flag_id: str) -> AbuseFlagItem:
    return AbuseFlagItem(_flag_pk(flag_id), keys.META_SK)


def _meta_actions(flag: Flag, pending: PendingOutcome | None) -> list[Action]:
    """The flag's attributes set (the item's other attributes, an outbox among them, stay), and with
    `pending` its outbox."""
    item, order = AbuseFlagItem, f"{keys.key_time(flag.detected_at)}#{flag.flag_id}"
    actions: list[Action] = [
        item.entity.set("abuse_flag"),
        item.flag_id.set(flag.flag_id),
        item.status.set(flag.status),
        item.flag.set(flag.to_dict()),
        item.gsi1pk.set(f"{keys.FLAGS_PREFIX}{flag.status}"),
        item.gsi1sk.set(order),
        item.gsi2pk.set(f"{keys.FLAGS_PREFIX}{flag.detector}#{flag.status}"),
        item.gsi2sk.set(order),
    ]
    if pending is not None:
        data = pending.to_dict()
        effects = data.pop("effects")
        actions += [
            item.pending.set(data),
            item.pending_effects.set(effects),
            item.pending_id.set(pending.outbox_id),
            item.outbox_pk.set(OUTBOX_PARTITION),
            item.outbox_sk.set(flag.flag_id),
            item.updated_at.set(pending.written_at),
        ]
    return actions


def _effects_json(effects: Sequence[Effect]) -> list[list[str | None]]:
    return [[effect.kind, effect.account_id, effect.trader_id] for effect in effects]


def _flag(item: AbuseFlagItem) -> Flag:
    data: dict[str, Any] = item.flag or {}
    return flag_from_dict(data)


class _Transaction(TransactWrite):
    """A write transaction on the bound main table."""

    def __init__(self) -> None:
        meta = MainTableModel.Meta
        region, host = getattr(meta, "region", None), getattr(meta, "host", None)
        super().__init__(connection=Connection(region=region, host=host))
