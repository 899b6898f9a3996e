"""Staff roles (Cognito groups) and what each may do: least privilege, one table.

A trader (any signed-in user without a staff group) reads only their own accounts; that ownership check is
in the routes. Staff permissions are granted here and nowhere else:

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
| manage_programs         |         |      |         | yes   |
| manage_staff            |         |      |         | yes   |
"""

from __future__ import annotations

from enum import StrEnum

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
    MANAGE_PROGRAMS = "manage_programs"  # publish new versions of a program's rule pack
    MANAGE_STAFF = "manage_staff"  # list staff and change their roles


GRANTS: dict[Permission, frozenset[str]] = {
    Permission.READ_ACCOUNTS: frozenset({SUPPORT, RISK, FINANCE, ADMIN}),
    Permission.OVERRIDE_BREACHES: frozenset({RISK}),
    Permission.CHANGE_PROGRAM_VERSION: frozenset({ADMIN}),
    Permission.READ_AUDIT: frozenset({RISK, FINANCE, ADMIN}),
    Permission.READ_ALERTS: frozenset({RISK, FINANCE, ADMIN}),
    Permission.READ_PAYOUTS: frozenset({FINANCE, ADMIN}),
    Permission.DECIDE_PAYOUTS: frozenset({FINANCE}),
    Permission.REFUND_ORDERS: frozenset({FINANCE}),
    Permission.MANAGE_PROGRAMS: frozenset({ADMIN}),
    Permission.MANAGE_STAFF: frozenset({ADMIN}),
}


def granted(roles: frozenset[str], permission: Permission) -> bool:
    return bool(roles & GRANTS[permission])
