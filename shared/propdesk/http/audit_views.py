"""Audit entries → their response model."""

from __future__ import annotations

from propdesk.http.schemas import staff
from propdesk.records import AuditEntry


def audit_view(entry: AuditEntry) -> staff.AuditEntryOut:
    return staff.AuditEntryOut(
        entry_id=entry.entry_id,
        at=entry.at,
        actor=entry.actor,
        actor_roles=list(entry.actor_roles),
        action=entry.action,
        subject=entry.subject,
        reason=entry.reason,
        before=entry.before,
        after=entry.after,
    )
