"""Staff roles (admin): who holds which staff role, and changing a user's roles with a reason, audited.

Roles are groups of the user pool (`propdesk.ports.StaffDirectory`; a user it does not know is 404). The
audit entry is appended before the pool is changed: the pool is not transactional with the table, and a
change must never go unaudited (if the change then fails, a second entry says so and the request may be
repeated). Separation of duties: an admin never changes their own roles (neither gives themselves a role nor
takes one away): a second admin must, so one person alone can never, say, make themselves finance and approve
payouts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from propdesk.errors import ConflictError, NotFoundError
from propdesk.ports import StaffDirectory, StaffUser
from propdesk.records import AuditEntry

USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,128}$")  # a Cognito `sub` (a UUID); anything else is no user


class OwnRolesError(ConflictError):
    """An admin changing their own roles (409): a second admin must."""

    code = "own_roles"


OwnAdminRoleError = OwnRolesError  # its former name


class AuditAppender(Protocol):
    def append(self, entry: AuditEntry) -> bool: ...


@dataclass(frozen=True, slots=True)
class RolesCommand:
    user_id: str
    roles: frozenset[str]
    actor: str
    actor_roles: tuple[str, ...]
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RolesChanged:
    user: StaffUser  # as it was before
    roles: frozenset[str]  # as they are now

    @property
    def changed(self) -> bool:
        return self.roles != self.user.roles


def merged(users: Iterable[StaffUser]) -> list[StaffUser]:
    """One entry per user with every role they were listed under, ordered by e-mail address then id."""
    by_id: dict[str, StaffUser] = {}
    for user in users:
        known = by_id.get(user.user_id)
        by_id[user.user_id] = (
            user
            if known is None
            else StaffUser(known.user_id, known.email, known.roles | user.roles, known.enabled, known.status)
        )
    return sorted(by_id.values(), key=lambda user: (user.email or "", user.user_id))


def check_change(actor: str, user: StaffUser, wanted: frozenset[str]) -> None:
    if user.user_id == actor and wanted != user.roles:
        raise OwnRolesError("an admin cannot change their own roles: a second admin must", "roles")


class StaffRoles:
    def __init__(
        self,
        directory: StaffDirectory,
        audit: AuditAppender,
        staff_roles: Iterable[str],
        new_id: Callable[[], str],
    ) -> None:
        self._directory = directory
        self._audit = audit
        self._staff_roles = tuple(sorted(staff_roles))
        self._new_id = new_id

    def members(self, role: str | None = None) -> list[StaffUser]:
        roles = (role,) if role is not None else self._staff_roles
        return merged(user for name in roles for user in self._directory.members(name))

    def set_roles(self, command: RolesCommand) -> RolesChanged:
        user = self._directory.find(command.user_id) if USER_ID.match(command.user_id) else None
        if user is None:
            raise NotFoundError(f"no user {command.user_id!r}", "user_id")
        check_change(command.actor, user, command.roles)
        outcome = RolesChanged(user, command.roles)
        if not outcome.changed:
            return outcome  # PUT is idempotent: nothing changes, nothing to audit
        wanted: dict[str, object] = {"roles": sorted(command.roles), "email": user.email}
        self._audit.append(self._entry(command, user, "staff.roles_changed", wanted))
        try:
            for role in sorted(command.roles - user.roles):
                self._directory.add_role(user.user_id, role)
            for role in sorted(user.roles - command.roles):
                self._directory.remove_role(user.user_id, role)
        except Exception as error:
            failed = {**wanted, "error": type(error).__name__}
            self._audit.append(self._entry(command, user, "staff.roles_change_failed", failed))
            if isinstance(error, LookupError):  # the directory lost the user meanwhile
                raise NotFoundError(f"no user {command.user_id!r}", "user_id") from None
            raise
        return outcome

    def _entry(
        self, command: RolesCommand, user: StaffUser, action: str, after: Mapping[str, object]
    ) -> AuditEntry:
        return AuditEntry(
            entry_id=self._new_id(),
            at=command.at,
            actor=command.actor,
            actor_roles=command.actor_roles,
            action=action,
            subject=f"STAFF#{user.user_id}",
            reason=command.reason,
            before={"roles": sorted(user.roles), "email": user.email},
            after=dict(after),
        )
