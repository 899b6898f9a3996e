"""Staff roles (Cognito groups) and what each may do: least privilege, one table.

A trader (any signed-in user without a staff group) reads only their own accounts (`readable_account`, the one
place that decides it); staff permissions are granted here and nowhere else:

| permission              | support | risk | finance | admin |
|-------------------------|---------|------|---------|-------|
| read_accounts           | yes     | yes  | yes     | yes   |
| override_breaches       |         | yes  |         |       |
| change_program_version  |         |      |         | yes   |
| read_audit              |         | yes  | yes     | yes   |
| read_alerts             |         | yes  | yes     | yes   |
| read_payouts            |         |      | yes     | yes   |
| decide_payouts          |         |      | yes     |       |
| refund_orders           |         |      | yes     |       |
| decide_kyc              |         | yes  |         | yes   |
| manage_programs         |         |      |         | yes   |
| manage_staff            |         |      |         | yes   |
| review_abuse            |         | yes  |         | yes   |

Separation of duties. Staff never act on an account they trade: every staff action that targets an account
or a trader (overriding a breach, changing an account's program version, reviewing a progression, deciding
a payout, refunding an order, deciding or reopening a KYC case, deciding an abuse flag that names the
account or the trader, erasing a trader's personal data) calls `refuse_own_account` with the trader it
targets, and a staff member whose `subject` is that trader is refused with `OwnAccountError` (403
`own_account`) before anything is written. The rule lives here and nowhere else; refusals are not audited
(no refusal is: the audit log records what changed). So finance never decides a payout they requested.

The finance and admin actions (`MFA_REQUIRED`: deciding payouts, refunding orders, managing staff and
programs, changing an account's program version, erasing personal data) need a caller who signs in with MFA
(`propdesk.ports.StaffMfa`, checked by the route layer for every such route); an admin never changes their
own roles, a second admin must (`propdesk.services.staff_roles`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from propdesk.errors import ForbiddenError, NotFoundError

if TYPE_CHECKING:
    from propdesk.records import Account

SUPPORT = "support"
RISK = "risk"
FINANCE = "finance"
ADMIN = "admin"
STAFF_ROLES = frozenset({SUPPORT, RISK, FINANCE, ADMIN})


class Permission(StrEnum):
    READ_ACCOUNTS = "read_accounts"  # any trader's accounts, metrics, trades and breaches
    OVERRIDE_BREACHES = "override_breaches"
    CHANGE_PROGRAM_VERSION = "change_program_version"
    READ_AUDIT = "read_audit"
    READ_ALERTS = "read_alerts"  # the firm's alerts: disputes, provisioning stuck, reconciliation mismatches
    READ_PAYOUTS = "read_payouts"  # finance's queue of payout requests
    DECIDE_PAYOUTS = "decide_payouts"  # approve or reject a payout request
    REFUND_ORDERS = "refund_orders"  # refund a card payment (all or part of it)
    DECIDE_KYC = "decide_kyc"  # decide a KYC case waiting for review, overturn a decision, reopen a case
    MANAGE_PROGRAMS = "manage_programs"  # publish new versions of a program's rule pack
    MANAGE_STAFF = "manage_staff"  # list staff and change their roles
    REVIEW_PROGRESSIONS = "review_progressions"  # approve or reject a passed account's next phase or funding
    REVIEW_ABUSE = "review_abuse"  # the abuse flags with their evidence, and decisions on them
    ERASE_PERSONAL_DATA = "erase_personal_data"  # a trader's erasure request (docs/security.md)


GRANTS: dict[Permission, frozenset[str]] = {
    Permission.READ_ACCOUNTS: frozenset({SUPPORT, RISK, FINANCE, ADMIN}),
    Permission.OVERRIDE_BREACHES: frozenset({RISK}),
    Permission.CHANGE_PROGRAM_VERSION: frozenset({ADMIN}),
    Permission.READ_AUDIT: frozenset({RISK, FINANCE, ADMIN}),
    Permission.READ_ALERTS: frozenset({RISK, FINANCE, ADMIN}),
    Permission.READ_PAYOUTS: frozenset({FINANCE, ADMIN}),
    Permission.DECIDE_PAYOUTS: frozenset({FINANCE}),
    Permission.REFUND_ORDERS: frozenset({FINANCE}),
    Permission.DECIDE_KYC: frozenset({RISK, ADMIN}),
    Permission.MANAGE_PROGRAMS: frozenset({ADMIN}),
    Permission.MANAGE_STAFF: frozenset({ADMIN}),
    Permission.REVIEW_PROGRESSIONS: frozenset({RISK, ADMIN}),
    Permission.REVIEW_ABUSE: frozenset({RISK, ADMIN}),
    Permission.ERASE_PERSONAL_DATA: frozenset({ADMIN}),
}


# Finance's and admin's actions: money leaving the firm, who holds which role, what the rules are, whose data
# is kept. Reads are not among them.
MFA_REQUIRED: frozenset[Permission] = frozenset(
    {
        Permission.DECIDE_PAYOUTS,
        Permission.REFUND_ORDERS,
        Permission.MANAGE_STAFF,
        Permission.MANAGE_PROGRAMS,
        Permission.CHANGE_PROGRAM_VERSION,
        Permission.ERASE_PERSONAL_DATA,
    }
)


def granted(roles: frozenset[str], permission: Permission) -> bool:
    return bool(roles & GRANTS[permission])


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in user as the domain sees them: `subject` names them (the audit log's actor), `groups` are
    their groups (staff roles among them)."""

    subject: str
    groups: frozenset[str]

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return self.subject

    @property
    def staff_roles(self) -> tuple[str, ...]:
        return tuple(sorted(self.groups & STAFF_ROLES))

    def can(self, permission: Permission) -> bool:
        return granted(self.groups, permission)

    def may_read_trader(self, trader_id: str) -> bool:
        """A trader reads their own accounts; staff with `read_accounts` read anyone's."""
        return self.subject == trader_id or self.can(Permission.READ_ACCOUNTS)


class OwnAccountError(ForbiddenError):
    """A staff member acting on an account they trade, or on their own case or data (403)."""

    code = "own_account"


def refuse_own_account(actor: str, traders: str | Iterable[str], action: str, field: str) -> None:
    """Separation of duties, the one place it is decided: staff whose subject (`actor`, the audit log's
    name for them) is the trader of the target (`traders`: the account's trader, or every trader a flag
    names) may not `action` it (OwnAccountError, 403 `own_account`, naming `field`)."""
    targeted = {traders} if isinstance(traders, str) else set(traders)
    if actor in targeted:
        raise OwnAccountError(f"staff may not {action} an account they trade", field)


class AccountLookup(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...


class ManyAccounts(Protocol):
    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """The accounts that exist among `account_ids` (eventually consistent, as `get`'s default)."""
        ...


class RememberedAccounts:
    """An `AccountLookup` that reads each account once until `forget()`: one stream record's consumers (its
    live update and its leaderboard standings) share one read of the account. `preload` reads a stream
    batch's accounts together (when `many` can and there are several); each preloaded account is served to
    the first record that asks for it, and read again after that record is forgotten, as without a preload."""

    def __init__(self, accounts: AccountLookup, many: ManyAccounts | None = None) -> None:
        self._accounts = accounts
        self._many = many
        self._known: dict[tuple[str, bool], Account | None] = {}
        self._preloaded: dict[str, Account | None] = {}

    def preload(self, account_ids: Sequence[str]) -> None:
        wanted = sorted(set(account_ids))
        self._preloaded = {}
        if self._many is not None and len(wanted) > 1:
            found = self._many.get_many(wanted)
            self._preloaded = {account_id: found.get(account_id) for account_id in wanted}

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        key = (account_id, consistent)
        if key not in self._known:
            if not consistent and account_id in self._preloaded:
                self._known[key] = self._preloaded.pop(account_id)
            else:
                self._known[key] = self._accounts.get(account_id, consistent)
        return self._known[key]

    def forget(self) -> None:
        self._known.clear()


def readable_account(
    accounts: AccountLookup, reader: Identity, account_id: str, consistent: bool = False
) -> Account:
    """The account, if `reader` may read it. A missing account and another trader's raise the same
    NotFoundError (404): the answer never tells them apart."""
    account = accounts.get(account_id, consistent=consistent)
    if account is None or not reader.may_read_trader(account.trader_id):
        raise NotFoundError(f"no account {account_id!r}", "account_id")
    return account
