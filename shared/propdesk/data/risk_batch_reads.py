"""The reads of a risk stream batch, made together: the account (META) and its snapshot (RISK) of every
account in the batch in two consistent BatchGetItem requests (up to 100 keys each), instead of two GetItem
requests per account. Each preloaded item is served once, to the account's first step; a retry after a lost
race (a version conflict) reads the table again, so nothing stale is ever written over.

A batch that names one account is not preloaded: its two GetItem requests cost no more.
"""

from __future__ import annotations

from collections.abc import Sequence

from propdesk.data import keys
from propdesk.data.accounts import AccountRepository, account_of
from propdesk.data.models import AccountItem, RiskStateItem
from propdesk.data.risk import RiskStateRepository, snapshot_of
from propdesk.records import Account, RiskSnapshot


class BatchReads:
    def __init__(self) -> None:
        self._accounts: dict[str, Account | None] = {}
        self._snapshots: dict[str, RiskSnapshot | None] = {}
        self.accounts = PreloadedAccounts(self)
        self.risk = PreloadedRiskStates(self)

    def preload(self, account_ids: Sequence[str]) -> None:
        """Forget what the last batch left unread, then read these accounts and their snapshots."""
        self._accounts.clear()
        self._snapshots.clear()
        wanted = sorted(set(account_ids))
        if len(wanted) < 2:
            return
        pks = [keys.account_pk(account_id) for account_id in wanted]
        accounts = {
            item.account_id: account_of(item)
            for item in AccountItem.batch_get([(pk, keys.META_SK) for pk in pks], consistent_read=True)
        }
        snapshots = {
            snapshot.account_id: snapshot
            for snapshot in (
                snapshot_of(item)
                for item in RiskStateItem.batch_get([(pk, keys.RISK_SK) for pk in pks], consistent_read=True)
            )
        }
        for account_id in wanted:
            self._accounts[account_id] = accounts.get(account_id)
            self._snapshots[account_id] = snapshots.get(account_id)

    def take_account(self, account_id: str) -> tuple[bool, Account | None]:
        if account_id in self._accounts:
            return True, self._accounts.pop(account_id)
        return False, None

    def take_snapshot(self, account_id: str) -> tuple[bool, RiskSnapshot | None]:
        if account_id in self._snapshots:
            return True, self._snapshots.pop(account_id)
        return False, None


class PreloadedAccounts(AccountRepository):
    """The accounts, served first from the batch's preload."""

    def __init__(self, reads: BatchReads) -> None:
        self._reads = reads

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        preloaded, account = self._reads.take_account(account_id)  # read consistently with the batch
        return account if preloaded else super().get(account_id, consistent)


class PreloadedRiskStates(RiskStateRepository):
    """The snapshots, served first from the batch's preload."""

    def __init__(self, reads: BatchReads) -> None:
        self._reads = reads

    def get(self, account_id: str) -> RiskSnapshot | None:
        preloaded, snapshot = self._reads.take_snapshot(account_id)
        return snapshot if preloaded else super().get(account_id)
