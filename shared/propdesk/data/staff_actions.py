"""Staff changes to an account, each written in one transaction with its audit entry (both or neither).
Implements `propdesk.services.staff_actions.StaffActionStore`; breaches are named by their opaque ids
(`keys.breach_id`), never by their keys, outside this module."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data.audit import AuditLog
from propdesk.data.models import AccountItem, BreachItem, BreachOverrideItem, MainTableModel, ResetGroupItem
from propdesk.records import Account, AuditEntry, BreachOverride, BreachStanding

TRANSACTION_CANCELED = "TransactionCanceledException"


class _ConflictError(Exception):
    """A condition of the transaction failed: someone changed the account (or overrode the breach) first."""


class StaffActions:
    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit or AuditLog()

    def breach_standing(self, account_id: str, breach_id: str) -> BreachStanding:
        """Whether the account has the breach this id names, and whether staff overrode it."""
        breach_sk = keys.breach_sk_of_id(breach_id)
        if breach_sk is None:
            return "unknown_id"
        partition = keys.account_pk(account_id)
        try:
            BreachItem.get(partition, breach_sk)
        except BreachItem.DoesNotExist:
            return "absent"
        try:
            BreachOverrideItem.get(partition, keys.override_sk(breach_sk))
        except BreachOverrideItem.DoesNotExist:
            return "standing"
        return "overridden"

    def overrides_for(self, account_id: str) -> dict[str, BreachOverride]:
        """Every override on the account's breaches, by breach id (a handful at most)."""
        items = BreachOverrideItem.query(
            keys.account_pk(account_id), BreachOverrideItem.sk.startswith(keys.OVERRIDE_PREFIX)
        )
        return {keys.breach_id(item.breach_sk): _override(item) for item in items}

    def override_breach(self, override: BreachOverride, reinstate: Account | None, entry: AuditEntry) -> bool:
        """Record the override (once per breach); with `reinstate`, reopen that failed account; audit it.
        False when a condition failed (the breach was overridden, or the account changed, meanwhile)."""
        breach_sk = keys.breach_sk_of_id(override.breach_id)
        if breach_sk is None:
            raise ValueError(f"{override.breach_id!r} is not a breach id")
        try:
            self._override_breach(override, breach_sk, reinstate, entry)
        except _ConflictError:
            return False
        return True

    def _override_breach(
        self, override: BreachOverride, breach_sk: str, reinstate: Account | None, entry: AuditEntry
    ) -> None:
        with _Transaction() as transaction:
            transaction.save(
                BreachOverrideItem(
                    keys.account_pk(override.account_id),
                    keys.override_sk(breach_sk),
                    entity="breach_override",
                    override_id=override.override_id,
                    account_id=override.account_id,
                    breach_sk=breach_sk,
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
    ) -> bool:
        """Pin the account to `version` if it is still on the version (and status) read; audit it. False when
        the account changed meanwhile."""
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
        try:
            with _Transaction() as transaction:
                transaction.update(
                    AccountItem(keys.account_pk(account.account_id), keys.META_SK),
                    actions=actions,
                    condition=(AccountItem.program_version == account.program_version)
                    & (AccountItem.status == account.status),
                )
                self._audit.append_in(transaction, entry)
        except _ConflictError:
            return False
        return True


class _Transaction(TransactWrite):
    """A write transaction on the bound main table; a failed condition becomes `_ConflictError`."""

    def __init__(self) -> None:
        meta = MainTableModel.Meta  # bind_tables sets where the table lives
        region, host = getattr(meta, "region", None), getattr(meta, "host", None)
        super().__init__(connection=Connection(region=region, host=host))

    def __exit__(self, exc_type: object, exc_val: object, exc_tb: object) -> None:
        try:
            super().__exit__(exc_type, exc_val, exc_tb)  # type: ignore[no-untyped-call]
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                raise _ConflictError(str(error)) from error
            raise


def _override(item: BreachOverrideItem) -> BreachOverride:
    return BreachOverride(
        override_id=item.override_id,
        account_id=item.account_id,
        breach_id=keys.breach_id(item.breach_sk),
        actor=item.actor,
        reason=item.reason,
        at=item.at,
    )
