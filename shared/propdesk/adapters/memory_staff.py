"""An in-memory `propdesk.ports.StaffDirectory` for tests and local runs without a user pool."""

from __future__ import annotations

from dataclasses import replace

from propdesk.ports import IdentityProviderUnavailableError, StaffUser


class InMemoryStaffDirectory:
    def __init__(self, *users: StaffUser) -> None:
        self.users: dict[str, StaffUser] = {user.user_id: user for user in users}
        self.calls: list[tuple[str, str, str]] = []  # (operation, user_id, role) of every change
        self.unavailable = False

    def add(self, user_id: str, *roles: str, email: str | None = None) -> StaffUser:
        user = StaffUser(user_id, email or f"{user_id}@firm.example", frozenset(roles), True, "CONFIRMED")
        self.users[user_id] = user
        return user

    def members(self, role: str) -> list[StaffUser]:
        self._check()
        return [replace(user, roles=frozenset({role})) for user in self.users.values() if role in user.roles]

    def find(self, user_id: str) -> StaffUser | None:
        self._check()
        return self.users.get(user_id)

    def add_role(self, user_id: str, role: str) -> None:
        self._change("add", user_id, role)

    def remove_role(self, user_id: str, role: str) -> None:
        self._change("remove", user_id, role)

    def _change(self, operation: str, user_id: str, role: str) -> None:
        self._check()
        user = self.users.get(user_id)
        if user is None:
            raise LookupError(f"no user {user_id!r}")
        roles = user.roles | {role} if operation == "add" else user.roles - {role}
        self.users[user_id] = replace(user, roles=roles)
        self.calls.append((operation, user_id, role))

    def _check(self) -> None:
        if self.unavailable:
            raise IdentityProviderUnavailableError("the user pool is unavailable (test)")
