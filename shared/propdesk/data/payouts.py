"""Payout requests (docs/data-model.md, "Payouts"): the request at `PAYOUT#{id}`/`META`, in GSI1 under its
account (history, newest first) and in GSI2 under its status (finance's queue, oldest first; no Scan).
Implements `propdesk.payouts.store.PayoutStore`.

Writes that must happen once:
- a request puts the payout (`attribute_not_exists`; the id derives from the `Idempotency-Key`, so a repeat
  collides) and the account's `PAYOUT_OPEN` lock (`attribute_not_exists`: one open payout per account, even
  under concurrent requests) in one transaction;
- a decision updates the payout on the condition `status = requested`, releases the lock on rejection and
  appends the audit entry, all in one transaction;
- every later change (`update`: the workflow's steps, a two-person approval) replaces the payout on the
  condition that its stored revision is the one the change was made from, releases the lock when the payout
  stops being open and appends the audit entry, in one transaction;
- a waiting workflow step's task token is kept beside the payout (`PAYOUT#{id}` / `TOKEN#{step}`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.audit import AuditLog
from propdesk.data.models import (
    MainTableModel,
    PayoutItem,
    PayoutLockItem,
    PayoutTokenItem,
    RailPaymentLinkItem,
)
from propdesk.data.paging import check_limit, decode_cursor, drain, to_page
from propdesk.payouts.model import PAYOUT_STATUSES, Extra, Payout, PayoutStatus, StatusChange
from propdesk.payouts.store import OpenPayoutError, PayoutDecidedError, PayoutMovedError
from propdesk.records import AuditEntry, Page

TRANSACTION_CANCELED = "TransactionCanceledException"
_STATUS: dict[str, PayoutStatus] = {status: status for status in PAYOUT_STATUSES}


class PayoutRepository:
    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit or AuditLog()

    def get(self, payout_id: str) -> Payout | None:
        try:
            item = PayoutItem.get(keys.payout_pk(payout_id), keys.META_SK, consistent_read=True)
        except PayoutItem.DoesNotExist:
            return None
        return _payout(item)

    def history(self, account_id: str, limit: int = 50, cursor: str | None = None) -> Page[Payout]:
        """The account's payout requests, newest first."""
        partition = keys.account_payouts_partition(account_id)
        results = PayoutItem.by_account.query(
            partition,
            PayoutItem.gsi1sk.startswith(keys.PAYOUT_PREFIX),
            limit=check_limit(limit),
            scan_index_forward=False,
            last_evaluated_key=decode_cursor(cursor, "gsi1pk", partition),
        )
        return to_page(results, _payout)

    def all_for_account(self, account_id: str) -> list[Payout]:
        """Every payout of the account (a few per month at most), newest first."""
        pages = []
        cursor: str | None = None
        while True:
            page = self.history(account_id, limit=100, cursor=cursor)
            pages.append(page)
            cursor = page.next_cursor
            if cursor is None:
                return drain(pages)

    def in_status(self, status: PayoutStatus, limit: int = 50, cursor: str | None = None) -> Page[Payout]:
        """Payouts in one status, oldest request first (a work queue)."""
        partition = keys.payout_queue(status)
        results = PayoutItem.by_status.query(
            partition,
            PayoutItem.gsi2sk.startswith(keys.PAYOUT_PREFIX),
            limit=check_limit(limit),
            scan_index_forward=True,
            last_evaluated_key=decode_cursor(cursor, "gsi2pk", partition),
        )
        return to_page(results, _payout)

    def open_payout_id(self, account_id: str) -> str | None:
        try:
            lock = PayoutLockItem.get(keys.account_pk(account_id), keys.PAYOUT_OPEN_SK, consistent_read=True)
        except PayoutLockItem.DoesNotExist:
            return None
        return lock.payout_id

    def create(self, payout: Payout) -> Payout:
        """Store a new request and take the account's open-payout lock, both or neither.

        Returns `payout`, or the payout stored under its id already (a repeated request); raises
        `OpenPayoutError` when another payout is open."""
        try:
            with _transaction() as transaction:
                transaction.save(_item(payout), condition=PayoutItem.pk.does_not_exist())
                transaction.save(
                    PayoutLockItem(
                        keys.account_pk(payout.account_id),
                        keys.PAYOUT_OPEN_SK,
                        entity="payout_lock",
                        payout_id=payout.payout_id,
                    ),
                    condition=PayoutLockItem.pk.does_not_exist(),
                )
        except TransactWriteError as error:
            if error.cause_response_code != TRANSACTION_CANCELED:
                raise
            existing = self.get(payout.payout_id)
            if existing is not None:
                return existing
            raise OpenPayoutError(self.open_payout_id(payout.account_id)) from error
        return payout

    def decide(self, decided: Payout, entry: AuditEntry) -> None:
        """Write finance's decision if the payout is still requested; a rejection releases the account's lock.

        Raises `PayoutDecidedError` when someone decided first."""
        at, actor, reason = decided.decided_at, decided.decided_by, decided.decision_reason
        if at is None or actor is None or reason is None:
            raise ValueError("a decided payout names when, by whom and why")
        item = PayoutItem(keys.payout_pk(decided.payout_id), keys.META_SK)
        try:
            with _transaction() as transaction:
                transaction.update(
                    item,
                    actions=[
                        PayoutItem.status.set(decided.status),
                        PayoutItem.decided_at.set(at),
                        PayoutItem.decided_by.set(actor),
                        PayoutItem.decision_reason.set(reason),
                        PayoutItem.gsi2pk.set(keys.payout_queue(decided.status)),
                    ],
                    condition=PayoutItem.status == "requested",
                )
                if not decided.is_open:
                    transaction.delete(
                        PayoutLockItem(keys.account_pk(decided.account_id), keys.PAYOUT_OPEN_SK),
                        condition=PayoutLockItem.payout_id == decided.payout_id,
                    )
                self._audit.append_in(transaction, entry)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                raise PayoutDecidedError(str(error)) from error
            raise

    def mark_published(self, payout_id: str, status: PayoutStatus) -> None:
        """Record that the domain event of `status` went out (unless the payout moved on meanwhile)."""
        try:
            PayoutItem(keys.payout_pk(payout_id), keys.META_SK).update(
                actions=[PayoutItem.published_status.set(status)], condition=PayoutItem.status == status
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    def update(self, changed: Payout, entry: AuditEntry | None = None) -> None:
        """Replace the payout if its stored revision is `changed.revision - 1` (else `PayoutMovedError`);
        release the account's lock when `changed` is no longer open; append the audit entry."""
        previous = changed.revision - 1
        same_revision = PayoutItem.revision == previous
        if previous == 0:
            same_revision = same_revision | PayoutItem.revision.does_not_exist()
        try:
            with _transaction() as transaction:
                transaction.save(_item(changed), condition=PayoutItem.pk.exists() & same_revision)
                if not changed.is_open:
                    transaction.delete(
                        PayoutLockItem(keys.account_pk(changed.account_id), keys.PAYOUT_OPEN_SK),
                        condition=(PayoutLockItem.payout_id == changed.payout_id)
                        | PayoutLockItem.pk.does_not_exist(),
                    )
                if entry is not None:
                    self._audit.append_in(transaction, entry)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                raise PayoutMovedError(str(error)) from error
            raise

    def hold_token(self, payout_id: str, step: str, token: str) -> bool:
        if self.get(payout_id) is None:
            return False
        PayoutTokenItem(
            keys.payout_pk(payout_id), keys.payout_token_sk(step), entity="payout_token", task_token=token
        ).save()
        return True

    def token(self, payout_id: str, step: str) -> str | None:
        try:
            item = PayoutTokenItem.get(
                keys.payout_pk(payout_id), keys.payout_token_sk(step), consistent_read=True
            )
        except PayoutTokenItem.DoesNotExist:
            return None
        return item.task_token

    def link_rail_payment(self, rail: str, reference: str, payout_id: str) -> None:
        RailPaymentLinkItem(
            keys.rail_payment_pk(rail, reference), keys.META_SK, entity="rail_payment", payout_id=payout_id
        ).save()

    def payout_for_rail_payment(self, rail: str, reference: str) -> str | None:
        try:
            item = RailPaymentLinkItem.get(
                keys.rail_payment_pk(rail, reference), keys.META_SK, consistent_read=True
            )
        except RailPaymentLinkItem.DoesNotExist:
            return None
        return item.payout_id


def _transaction() -> TransactWrite:
    meta = MainTableModel.Meta  # bind_tables sets where the table lives
    region, host = getattr(meta, "region", None), getattr(meta, "host", None)
    return TransactWrite(connection=Connection(region=region, host=host))


def _item(payout: Payout) -> PayoutItem:
    index_sk = keys.payout_index_sk(payout.requested_at, payout.payout_id)
    return PayoutItem(
        keys.payout_pk(payout.payout_id),
        keys.META_SK,
        entity="payout",
        payout_id=payout.payout_id,
        account_id=payout.account_id,
        trader_id=payout.trader_id,
        status=payout.status,
        currency=payout.currency,
        amount=payout.amount,
        trader_share=payout.trader_share,
        firm_share=payout.firm_share,
        requested_at=payout.requested_at,
        request_fingerprint=payout.request_fingerprint,
        decided_at=payout.decided_at,
        decided_by=payout.decided_by,
        decision_reason=payout.decision_reason,
        published_status=payout.published_status,
        revision=payout.revision,
        approvals=list(payout.approvals),
        timeline=[{"status": step.status, "at": step.at.isoformat()} for step in payout.timeline],
        rail=payout.rail,
        rail_reference=payout.rail_reference,
        destination=payout.destination,
        paid_amount=payout.paid_amount,
        fees=payout.fees,
        extras=[
            {"kind": e.kind, "amount": f"{e.amount}", "explanation": e.explanation} for e in payout.extras
        ]
        or None,
        failure_reason=payout.failure_reason,
        updated_at=payout.updated_at,
        withdrawal_started_at=payout.withdrawal_started_at,
        gsi1pk=keys.account_payouts_partition(payout.account_id),
        gsi1sk=index_sk,
        gsi2pk=keys.payout_queue(payout.status),
        gsi2sk=index_sk,
    )


def _payout(item: PayoutItem) -> Payout:
    return Payout(
        payout_id=item.payout_id,
        account_id=item.account_id,
        trader_id=item.trader_id,
        status=_STATUS[item.status],
        currency=item.currency,
        amount=item.amount,
        trader_share=item.trader_share,
        firm_share=item.firm_share,
        requested_at=item.requested_at,
        request_fingerprint=item.request_fingerprint,
        decided_at=item.decided_at,
        decided_by=item.decided_by,
        decision_reason=item.decision_reason,
        published_status=_STATUS.get(item.published_status) if item.published_status else None,
        revision=int(item.revision or 0),
        approvals=tuple(item.approvals or ()),
        timeline=tuple(
            StatusChange(_STATUS[step["status"]], datetime.fromisoformat(step["at"]))
            for step in (item.timeline or ())
        ),
        rail=item.rail,
        rail_reference=item.rail_reference,
        destination=item.destination,
        paid_amount=item.paid_amount,
        fees=item.fees,
        extras=tuple(
            Extra(str(e["kind"]), Decimal(str(e["amount"])), str(e.get("explanation", "")))
            for e in (item.extras or ())
        ),
        failure_reason=item.failure_reason,
        updated_at=item.updated_at,
        withdrawal_started_at=item.withdrawal_started_at,
    )
