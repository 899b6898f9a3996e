"""Personal data the purchase path keeps, how long, and a trader's erasure.

Orders are accounting records and stay for years; only the buyer's e-mail and IP address on them are personal
data we stop needing. `PersonalDataRetention` removes them from orders placed more than the firm's
`retention_days` ago (a daily job: one index query per UTC day, never a scan). `TraderErasure` answers an
admin's erasure request: the e-mail and IP on every order of the trader, and the profile's e-mail and display
name (pseudonymized). Kept, for accounting and abuse evidence: order ids, amounts, currencies, lines,
statuses, times, payment references, the IP's country, fraud flags, history, KYC case outcomes (no personal
fields), audit entries, abuse flags and hashed velocity counters (which expire by TTL).

Both are idempotent: an order or profile already stripped is left as it is and not counted again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from propdesk.access import refuse_own_account
from propdesk.errors import NotFoundError
from propdesk.records import AuditEntry

ERASED_DISPLAY_NAME = "Erased trader"
ERASURE_ACTION = "trader.erasure"
KEPT = (
    "order ids, amounts, lines, statuses, times, payment references, the IP's country (accounting, disputes)",
    "order history, fraud flags, abuse flags and audit entries (abuse evidence)",
    "the KYC case's status and outcomes (no personal fields; documents stay with the KYC provider)",
    "trading accounts, trades, payouts and their ledger (accounting)",
)

OPERATOR_STEPS = (
    "disable, then delete, the trader's Cognito user (AdminDisableUser, AdminDeleteUser; no port yet)",
    "ask the KYC provider to delete the trader's verification data under its own retention terms",
    "ask the payment providers (Stripe, Coinbase Commerce) to redact the customer where their terms allow",
)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """`retention_days`: how long an order keeps the buyer's e-mail and IP after it was placed;
    `catch_up_days`: earlier days the daily job looks at again (a missed run is made up for)."""

    retention_days: int = 365
    catch_up_days: int = 7

    def __post_init__(self) -> None:
        if self.retention_days < 1 or self.catch_up_days < 0:
            raise ValueError("retention needs at least one day and a non-negative catch-up")


@dataclass(frozen=True, slots=True)
class OrderContact:
    """An order and whether it still holds the buyer's e-mail or IP."""

    order_id: str
    holds_personal_data: bool


@dataclass(frozen=True, slots=True)
class Erasure:
    trader_id: str
    at: datetime
    actor: str
    orders: tuple[str, ...]  # the orders whose e-mail and IP were removed by this request
    profile: bool  # the profile's e-mail and display name were pseudonymized by this request
    replayed: bool = False


class PersonalDataStore(Protocol):
    def orders_placed_on(self, day: date) -> list[OrderContact]: ...

    def orders_of_trader(self, trader_id: str) -> list[OrderContact]: ...

    def strip_order(self, order_id: str) -> bool:
        """Remove the order's e-mail and IP (a new revision, so a stale writer cannot put them back);
        False when there was nothing to remove."""
        ...

    def pseudonymize_profile(self, trader_id: str, display_name: str) -> bool | None:
        """Clear the profile's e-mail and set this display name; False when already done, None without one."""
        ...

    def erasure(self, trader_id: str, idempotency_key: str) -> Erasure | None: ...

    def record_erasure(self, erasure: Erasure, entry: AuditEntry, idempotency_key: str | None) -> None:
        """The audit entry and (with a key) the answer kept for replays, together."""
        ...


@dataclass(frozen=True, slots=True)
class RetentionRun:
    days: tuple[date, ...]
    stripped: int


class PersonalDataRetention:
    def __init__(self, store: PersonalDataStore, policy: RetentionPolicy) -> None:
        self._store = store
        self._policy = policy

    def days_due(self, now: datetime) -> tuple[date, ...]:
        """The UTC days whose every order is past the period: the last one ended `retention_days` ago."""
        last = (now - timedelta(days=self._policy.retention_days + 1)).date()
        return tuple(last - timedelta(days=back) for back in range(self._policy.catch_up_days, -1, -1))

    def run(self, now: datetime) -> RetentionRun:
        days = self.days_due(now)
        stripped = 0
        for day in days:
            for order in self._store.orders_placed_on(day):
                if order.holds_personal_data and self._store.strip_order(order.order_id):
                    stripped += 1
        return RetentionRun(days, stripped)


@dataclass(frozen=True, slots=True)
class EraseTrader:
    trader_id: str
    reason: str
    actor: str
    actor_roles: tuple[str, ...]
    at: datetime
    idempotency_key: str | None = None


class TraderErasure:
    def __init__(self, store: PersonalDataStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    def erase(self, command: EraseTrader) -> Erasure:
        """Strip the trader's orders and pseudonymize the profile; audited. A repeat with the same
        idempotency key answers the first result; a repeat without one erases what is left (usually nothing).
        NotFoundError when the trader has neither a profile nor an order; 403 `own_account` for an admin's
        own data (another admin erases it)."""
        refuse_own_account(command.actor, command.trader_id, "erase the personal data of", "trader_id")
        if command.idempotency_key is not None:
            earlier = self._store.erasure(command.trader_id, command.idempotency_key)
            if earlier is not None:
                return replace(earlier, replayed=True)
        orders = self._store.orders_of_trader(command.trader_id)
        profile = self._store.pseudonymize_profile(command.trader_id, ERASED_DISPLAY_NAME)
        if profile is None and not orders:
            raise NotFoundError(f"no trader {command.trader_id}", "trader_id")
        stripped = tuple(
            order.order_id
            for order in orders
            if order.holds_personal_data and self._store.strip_order(order.order_id)
        )
        erasure = Erasure(command.trader_id, command.at, command.actor, stripped, bool(profile))
        entry = AuditEntry(
            entry_id=self._new_id(),
            at=command.at,
            actor=command.actor,
            action=ERASURE_ACTION,
            subject=f"TRADER#{command.trader_id}",
            actor_roles=command.actor_roles,
            reason=command.reason,
            after={"orders": list(stripped), "profile": erasure.profile},
        )
        self._store.record_erasure(erasure, entry, command.idempotency_key)
        return erasure
