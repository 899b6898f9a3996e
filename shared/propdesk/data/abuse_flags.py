"""Abuse flags in the main table (`propdesk.abuse.store.FlagStore`), keys as docs/abuse.md ("Wiring"):

- `FLAG#{id}` / `META`: the flag as `Flag.to_dict()` (its evidence included), its status; GSI1
  `FLAGS#{status}` and GSI2 `FLAGS#{detector}#{status}`, both sorted by `{detected_at}#{id}` (the queue);
- `FLAG#{id}` / `DETECTION#{detected_at}`: each detection as found (the evidence of that moment);
- `ACCOUNT#{id}` / `FLAG#{id}` and `TRADER#{id}` / `FLAG#{id}`: one link per name (an account's or a
  trader's flags: a query of its partition, then the flags read by key and filtered).

Saving writes the detection and the links first and the flag last (all idempotent puts: a retried save
converges). A decision replaces the flag only while it is open, together with its audit entry (one
transaction).
"""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from propdesk.abuse.codec import flag_from_dict
from propdesk.abuse.flags import Flag
from propdesk.abuse.store import FlagQuery
from propdesk.data import keys
from propdesk.data.audit import AuditLog
from propdesk.data.models import AbuseFlagItem, MainTableModel
from propdesk.data.paging import check_limit, decode_cursor, encode_cursor, to_page
from propdesk.records import AuditEntry, Page

TRANSACTION_CANCELED = "TransactionCanceledException"


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

    def save(self, flag: Flag, detection: Flag, entry: AuditEntry | None = None) -> None:
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
        if entry is None:
            _meta(flag).save()
            return
        with _Transaction() as transaction:
            transaction.save(_meta(flag))
            self._audit.append_in(transaction, entry)

    def decide(self, decided: Flag, entry: AuditEntry) -> bool:
        try:
            with _Transaction() as transaction:
                transaction.save(_meta(decided), condition=AbuseFlagItem.status == "open")
                self._audit.append_in(transaction, entry)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                return False
            raise
        return True

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


def _meta(flag: Flag) -> AbuseFlagItem:
    order = f"{keys.key_time(flag.detected_at)}#{flag.flag_id}"
    return AbuseFlagItem(
        _flag_pk(flag.flag_id),
        keys.META_SK,
        entity="abuse_flag",
        flag_id=flag.flag_id,
        status=flag.status,
        flag=flag.to_dict(),
        gsi1pk=f"{keys.FLAGS_PREFIX}{flag.status}",
        gsi1sk=order,
        gsi2pk=f"{keys.FLAGS_PREFIX}{flag.detector}#{flag.status}",
        gsi2sk=order,
    )


def _flag(item: AbuseFlagItem) -> Flag:
    data: dict[str, Any] = item.flag or {}
    return flag_from_dict(data)


class _Transaction(TransactWrite):
    """A write transaction on the bound main table."""

    def __init__(self) -> None:
        meta = MainTableModel.Meta
        region, host = getattr(meta, "region", None), getattr(meta, "host", None)
        super().__init__(connection=Connection(region=region, host=host))
