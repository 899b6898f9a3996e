"""Staff changes to an account, each written in one transaction with its audit entry (both or neither)."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data.audit import AuditLog
from propdesk.data.models import AccountItem, BreachItem, BreachOverrideItem, MainTableModel, ResetGroupItem
from propdesk.records import Account, AuditEntry, BreachOverride

TRANSACTION_CANCELED = "TransactionCanceledException"


class StaffActionConflictError(Exception):
    """A condition of the transaction failed: someone changed the account (or overrode the breach) first."""


class StaffActions:
    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit or AuditLog()

    def breach_exists(self, account_id: str, breach_sk: str) -> bool:
        try:
            BreachItem.get(keys.account_pk(account_id), breach_sk)
        except BreachItem.DoesNotExist:
            return False
        return True

    def override_of(self, account_id: str, breach_sk: str) -> BreachOverride | None:
        try:
            item = BreachOverrideItem.get(keys.account_pk(account_id), keys.override_sk(breach_sk))
        except BreachOverrideItem.DoesNotExist:
            return None
        return _override(item)

    def overrides_for(self, account_id: str) -> dict[str, BreachOverride]:
        """Every override on the account's breaches, by breach sk (a handful at most)."""
        items = BreachOverrideItem.query(
            keys.account_pk(account_id), BreachOverrideItem.sk.startswith(keys.OVERRIDE_PREFIX)
        )
        return {item.breach_sk: _override(item) for item in items}

    def override_breach(
        self, override: BreachOverride, reinstate: Account | None, entry: AuditEntry
    ) -> None:
        """Record the override (once per breach); with `reinstate`, reopen that failed account; audit it."""
        with _Transaction() as transaction:
            transaction.save(
                BreachOverrideItem(
                    keys.account_pk(override.account_id),
                    keys.override_sk(override.breach_sk),
                    entity="breach_override",
                    override_id=override.override_id,
                    account_id=override.account_id,
                    breach_sk=override.breach_sk,
                    actor=override.actor,
                    reason=override.reason,
                    at=override.at,
                ),
                condition=BreachOverrideItem.pk.does_not_exist(),
            )
            if reinstate is not None:
                transaction.update(
                    AccountItem(keys.account_pk(reinstate.account_id), keys.META_SK),
                    actions=[
                        AccountItem.status.set("active"),
                        AccountItem.status_reason.set(f"reinstated: {override.reason}"),
                        AccountItem.updated_at.set(override.at),
                        AccountItem.gsi2pk.set(keys.reset_group(reinstate.timezone, reinstate.day_starts_at)),
                        AccountItem.gsi2sk.set(keys.account_pk(reinstate.account_id)),
                    ],
                    condition=AccountItem.status == "failed",
                )
            self._audit.append_in(transaction, entry)

    def change_program_version(
        self, account: Account, version: int, timezone: str, day_starts_at: str, entry: AuditEntry
    ) -> None:
        """Pin the account to `version` if it is still on the version read; audit it."""
        ResetGroupItem(
            keys.SYSTEM_PK,
            keys.reset_group_sk(timezone, day_starts_at),
            entity="reset_group",
            timezone=timezone,
            day_starts_at=day_starts_at,
        ).save()
        actions: list[Action] = [
            AccountItem.program_version.set(version),
            AccountItem.timezone.set(timezone),
            AccountItem.day_starts_at.set(day_starts_at),
            AccountItem.updated_at.set(entry.at),
        ]
        if account.status == "active":
            actions.append(AccountItem.gsi2pk.set(keys.reset_group(timezone, day_starts_at)))
        with _Transaction() as transaction:
            transaction.update(
                AccountItem(keys.account_pk(account.account_id), keys.META_SK),
                actions=actions,
                condition=(AccountItem.program_version == account.program_version)
                & (AccountItem.status == account.status),
            )
            self._audit.append_in(transaction, entry)


class _Transaction(TransactWrite):
    """A write transaction on the bound main table; a failed condition becomes StaffActionConflictError."""

    def __init__(self) -> None:
        meta = MainTableModel.Meta  # bind_tables sets where the table lives
        region, host = getattr(meta, "region", None), getattr(meta, "host", None)
        super().__init__(connection=Connection(region=region, host=host))

    def __exit__(self, exc_type: object, exc_val: object, exc_tb: object) -> None:
        try:
            super().__exit__(exc_type, exc_val, exc_tb)  # type: ignore[no-untyped-call]
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                raise StaffActionConflictError(str(error)) from error
            raise


def _override(item: BreachOverrideItem) -> BreachOverride:
    return BreachOverride(
        override_id=item.override_id,
        account_id=item.account_id,
        breach_sk=item.breach_sk,
        actor=item.actor,
        reason=item.reason,
        at=item.at,
    )
