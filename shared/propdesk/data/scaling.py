"""The scaling plan's decisions (`propdesk.payouts.scaling_store.ScalingStore`): one item per account and
reviewed cycle, `ACCOUNT#{id}` / `SCALING#{last day of the cycle}`, written once (conditional put) in one
transaction with its audit entry; the latest is one query (newest first, limit 1), a cycle's one get.

The account's size as scaling moves it (`propdesk.payouts.scaling_growth.AccountSizes`): the account
item's `initial_balance`, set on the condition that it is the size before, in one transaction with its audit
entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.accounts import AccountRepository
from propdesk.data.attributes import DecimalAttribute
from propdesk.data.audit import AuditLog
from propdesk.data.models import AccountItem, MainTableModel
from propdesk.payouts.scaling import AccountTerms
from propdesk.payouts.scaling_store import StoredDecision
from propdesk.records import Account, AuditEntry

SCALING_PREFIX = "SCALING#"
TRANSACTION_CANCELED = "TransactionCanceledException"


class ScalingDecisionItem(MainTableModel):
    account_id = UnicodeAttribute()
    cycle_ends_on = UnicodeAttribute()
    scaled = BooleanAttribute()
    balance = DecimalAttribute()
    original_balance = DecimalAttribute()
    daily_loss_percent = DecimalAttribute()
    max_loss_percent = DecimalAttribute()
    split_percent = DecimalAttribute()
    explanation = UnicodeAttribute()
    decided_at = UTCDateTimeAttribute()
    grown_at = UTCDateTimeAttribute(null=True)  # the engine's `scale` time, set once


class ScalingRepository:
    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit or AuditLog()

    def latest(self, account_id: str) -> StoredDecision | None:
        for item in ScalingDecisionItem.query(
            keys.account_pk(account_id),
            ScalingDecisionItem.sk.startswith(SCALING_PREFIX),
            scan_index_forward=False,
            limit=1,
            consistent_read=True,
        ):
            return _decision(item)
        return None

    def decision(self, account_id: str, cycle_ends_on: date) -> StoredDecision | None:
        try:
            item = ScalingDecisionItem.get(
                keys.account_pk(account_id),
                f"{SCALING_PREFIX}{cycle_ends_on.isoformat()}",
                consistent_read=True,
            )
        except ScalingDecisionItem.DoesNotExist:
            return None
        return _decision(item)

    def stamp_growth(self, account_id: str, cycle_ends_on: date, at: datetime) -> datetime:
        sk = f"{SCALING_PREFIX}{cycle_ends_on.isoformat()}"
        item = ScalingDecisionItem(keys.account_pk(account_id), sk)
        try:
            item.update(
                actions=[ScalingDecisionItem.grown_at.set(at)],
                condition=ScalingDecisionItem.pk.exists() & ScalingDecisionItem.grown_at.does_not_exist(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            kept = self.decision(account_id, cycle_ends_on)
            if kept is None or kept.grown_at is None:
                raise LookupError(f"no scaling decision of {account_id} for {cycle_ends_on}") from error
            return kept.grown_at
        return at

    def record(self, decision: StoredDecision, entry: AuditEntry) -> bool:
        try:
            with _transaction() as transaction:
                transaction.save(_item(decision), condition=ScalingDecisionItem.pk.does_not_exist())
                self._audit.append_in(transaction, entry)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                return False
            raise
        return True


class AccountSizeRepository:
    def __init__(self, accounts: AccountRepository | None = None, audit: AuditLog | None = None) -> None:
        self._accounts = accounts or AccountRepository()
        self._audit = audit or AuditLog()

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self._accounts.get(account_id, consistent=consistent)

    def resize(self, account_id: str, before: Decimal, after: Decimal, entry: AuditEntry) -> bool:
        item = AccountItem(keys.account_pk(account_id), keys.META_SK)
        try:
            with _transaction() as transaction:
                transaction.update(
                    item,
                    actions=[AccountItem.initial_balance.set(after), AccountItem.updated_at.set(entry.at)],
                    condition=AccountItem.initial_balance == before,
                )
                self._audit.append_in(transaction, entry)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                return False
            raise
        return True


class ActiveAccountsReader:
    """Every active account, group by group of day boundaries (the sparse index the daily reset reads)."""

    def __init__(self, accounts: AccountRepository | None = None) -> None:
        self._accounts = accounts or AccountRepository()

    def active_accounts(self) -> Iterator[Account]:
        for timezone, day_starts_at in self._accounts.reset_groups():
            yield from self._accounts.active_in_reset_group(timezone, day_starts_at)


def _transaction() -> TransactWrite:
    meta = MainTableModel.Meta  # bind_tables sets where the table lives
    connection = Connection(region=getattr(meta, "region", None), host=getattr(meta, "host", None))
    return TransactWrite(connection=connection)


def _item(decision: StoredDecision) -> ScalingDecisionItem:
    terms = decision.after
    return ScalingDecisionItem(
        keys.account_pk(decision.account_id),
        f"{SCALING_PREFIX}{decision.cycle_ends_on.isoformat()}",
        entity="scaling_decision",
        account_id=decision.account_id,
        cycle_ends_on=decision.cycle_ends_on.isoformat(),
        scaled=decision.scaled,
        balance=terms.balance,
        original_balance=terms.original_balance,
        daily_loss_percent=terms.daily_loss_percent,
        max_loss_percent=terms.max_loss_percent,
        split_percent=terms.split_percent,
        explanation=decision.explanation,
        decided_at=decision.decided_at,
    )


def _decision(item: ScalingDecisionItem) -> StoredDecision:
    return StoredDecision(
        account_id=item.account_id,
        cycle_ends_on=date.fromisoformat(item.cycle_ends_on),
        scaled=bool(item.scaled),
        after=AccountTerms(
            balance=Decimal(item.balance),
            original_balance=Decimal(item.original_balance),
            daily_loss_percent=Decimal(item.daily_loss_percent),
            max_loss_percent=Decimal(item.max_loss_percent),
            split_percent=Decimal(item.split_percent),
        ),
        explanation=item.explanation,
        decided_at=item.decided_at,
        grown_at=item.grown_at,
    )
