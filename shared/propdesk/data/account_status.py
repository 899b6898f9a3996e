"""Account status changes for the purchase path (the `AccountBook` of propdesk.purchases): suspending an
account during a payment dispute, disabling it after a refund, reinstating it when a dispute is won.

Reinstating puts the account back into its day-boundary group (GSI2), which every non-active status leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.accounts import AccountRepository
from propdesk.data.models import AccountItem
from propdesk.records import Account, AccountStatus


class PurchaseAccountBook:
    def __init__(self, accounts: AccountRepository | None = None) -> None:
        self._accounts = accounts or AccountRepository()

    def open(self, account: Account) -> bool:
        return self._accounts.open(account)

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self._accounts.get(account_id, consistent=consistent)

    def set_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: Sequence[AccountStatus],
    ) -> bool:
        if not expected:
            return False
        actions: list[Action] = [
            AccountItem.status.set(status),
            AccountItem.status_reason.set(reason),
            AccountItem.updated_at.set(at),
        ]
        if status == "active":
            account = self._accounts.get(account_id, consistent=True)
            if account is None:
                return False
            actions += [
                AccountItem.gsi2pk.set(keys.reset_group(account.timezone, account.day_starts_at)),
                AccountItem.gsi2sk.set(keys.account_pk(account_id)),
            ]
        else:
            actions += [AccountItem.gsi2pk.remove(), AccountItem.gsi2sk.remove()]
        condition = AccountItem.status.is_in(*expected)
        try:
            AccountItem(keys.account_pk(account_id), keys.META_SK).update(
                actions=actions, condition=condition
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True
