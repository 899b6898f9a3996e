"""The audit log: append-only entries about a subject (an account, a program), queryable by subject and by
actor, in a table of its own (`TableBinding.audit_table_name`). There is no update or delete here and no route
that edits entries; storage and IAM hold it so (infra/constructs/data.py): no TTL, a table policy that denies
every update and delete to everyone, writers granted PutItem alone (each put conditional on the entry not
existing), and an alarm on any entry changed or removed (functions/audit_watch).

An entry appended in a transaction (`append_in`) commits with the change it records: DynamoDB transactions
span tables."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data._conditions import saved_if_new
from propdesk.data.models import AuditEntryItem
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.records import AuditEntry, Page


class AuditLog:
    def append(self, entry: AuditEntry) -> bool:
        """Store the entry once; False when an entry with its id and time is already there."""
        return saved_if_new(_item(entry), AuditEntryItem.pk.does_not_exist())

    def append_in(self, transaction: TransactWrite, entry: AuditEntry) -> None:
        """Add the entry to a transaction, so that the change and its audit entry happen together."""
        transaction.save(_item(entry), condition=AuditEntryItem.pk.does_not_exist())

    def for_subject(self, subject: str, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
        partition = keys.audit_pk(subject)
        results = AuditEntryItem.query(
            partition,
            AuditEntryItem.sk.startswith(keys.ENTRY_PREFIX),
            limit=check_limit(limit),
            scan_index_forward=False,
            last_evaluated_key=decode_cursor(cursor, "pk", partition),
        )
        return to_page(results, _entry)

    def by_actor(self, actor: str, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
        partition = keys.audit_actor_partition(actor)
        results = AuditEntryItem.by_actor.query(
            partition,
            AuditEntryItem.gsi1sk.startswith(keys.ENTRY_PREFIX),
            limit=check_limit(limit),
            scan_index_forward=False,
            last_evaluated_key=decode_cursor(cursor, "gsi1pk", partition),
        )
        return to_page(results, _entry)


def _item(entry: AuditEntry) -> AuditEntryItem:
    sk = keys.entry_sk(entry.at, entry.entry_id)
    return AuditEntryItem(
        keys.audit_pk(entry.subject),
        sk,
        entity="audit_entry",
        entry_id=entry.entry_id,
        at=entry.at,
        actor=entry.actor,
        actor_roles=sorted(entry.actor_roles),
        action=entry.action,
        subject=entry.subject,
        reason=entry.reason,
        before=entry.before,
        after=entry.after,
        gsi1pk=keys.audit_actor_partition(entry.actor),
        gsi1sk=sk,
    )


def _entry(item: AuditEntryItem) -> AuditEntry:
    return AuditEntry(
        entry_id=item.entry_id,
        at=item.at,
        actor=item.actor,
        actor_roles=tuple(item.actor_roles or ()),
        action=item.action,
        subject=item.subject,
        reason=item.reason,
        before=item.before,
        after=item.after,
    )
