"""An in-memory `propdesk.services.staff_actions.StaffActionStore`, for tests only: breaches by id,
overrides written once, and a switch that makes the next write lose its condition (a concurrent change)."""

from __future__ import annotations

from dataclasses import dataclass, field

from propdesk.records import Account, AuditEntry, BreachOverride, BreachStanding


@dataclass
class InMemoryStaffActions:
    breaches: dict[str, set[str]] = field(default_factory=dict)  # account id -> breach ids
    overrides: dict[tuple[str, str], BreachOverride] = field(default_factory=dict)
    reinstated: list[str] = field(default_factory=list)
    pinned: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # account -> version, zone, day
    audit: list[AuditEntry] = field(default_factory=list)
    lose_next_write: bool = False

    def breach_standing(self, account_id: str, breach_id: str) -> BreachStanding:
        if not breach_id.startswith("b-"):
            return "unknown_id"
        if breach_id not in self.breaches.get(account_id, set()):
            return "absent"
        return "overridden" if (account_id, breach_id) in self.overrides else "standing"

    def override_breach(self, override: BreachOverride, reinstate: Account | None, entry: AuditEntry) -> bool:
        if self._lost() or (override.account_id, override.breach_id) in self.overrides:
            return False
        self.overrides[(override.account_id, override.breach_id)] = override
        if reinstate is not None:
            self.reinstated.append(reinstate.account_id)
        self.audit.append(entry)
        return True

    def change_program_version(
        self, account: Account, version: int, timezone: str, day_starts_at: str, entry: AuditEntry
    ) -> bool:
        if self._lost():
            return False
        self.pinned[account.account_id] = (version, timezone, day_starts_at)
        self.audit.append(entry)
        return True

    def _lost(self) -> bool:
        lost, self.lose_next_write = self.lose_next_write, False
        return lost
