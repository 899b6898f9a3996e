"""Audit entries and staff members → their response models."""

from __future__ import annotations

from propdesk.http.schemas import staff, staff_admin
from propdesk.ports import StaffUser
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


def staff_member_view(user: StaffUser) -> staff_admin.StaffMember:
    return staff_admin.StaffMember.model_validate(
        {
            "user_id": user.user_id,
            "email": user.email,
            "roles": sorted(user.roles),
            "enabled": user.enabled,
            "status": user.status,
        }
    )
