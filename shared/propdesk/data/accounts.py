"""Trader profiles, trading accounts and the day-boundary groups the daily reset visits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from propdesk.data import keys
from propdesk.data._conditions import condition_failed, saved_if_new
from propdesk.data.models import AccountItem, ResetGroupItem, TraderProfileItem
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.records import Account, AccountStatus, Page, PlatformReference, TraderProfile


class TraderRepository:
    def put(self, profile: TraderProfile) -> None:
        TraderProfileItem(
            keys.trader_pk(profile.trader_id),
            keys.PROFILE_SK,
            entity="trader_profile",
            trader_id=profile.trader_id,
            email=profile.email,
            display_name=profile.display_name,
            created_at=profile.created_at,
        ).save()

    def get(self, trader_id: str) -> TraderProfile | None:
        try:
            item = TraderProfileItem.get(keys.trader_pk(trader_id), keys.PROFILE_SK)
        except TraderProfileItem.DoesNotExist:
            return None
        return TraderProfile(
            trader_id=item.trader_id,
            email=item.email,
            display_name=item.display_name,
            created_at=item.created_at,
        )


class AccountRepository:
    def open(self, account: Account) -> bool:
        """Store a new account (False if the id is taken) and register its day boundary for the reset."""
        ResetGroupItem(
            keys.SYSTEM_PK,
            keys.reset_group_sk(account.timezone, account.day_starts_at),
            entity="reset_group",
            timezone=account.timezone,
            day_starts_at=account.day_starts_at,
        ).save()
        return saved_if_new(_item(account), AccountItem.pk.does_not_exist())

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        try:
            item = AccountItem.get(keys.account_pk(account_id), keys.META_SK, consistent_read=consistent)
        except AccountItem.DoesNotExist:
            return None
        return account_of(item)

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """The accounts that exist among `account_ids`, in BatchGetItem requests of up to 100 keys."""
        wanted = [(keys.account_pk(account_id), keys.META_SK) for account_id in dict.fromkeys(account_ids)]
        return {item.account_id: account_of(item) for item in AccountItem.batch_get(wanted)}

    def list_for_trader(self, trader_id: str, limit: int = 50, cursor: str | None = None) -> Page[Account]:
        partition = keys.trader_pk(trader_id)
        results = AccountItem.by_trader.query(
            partition,
            AccountItem.gsi1sk.startswith(keys.ACCOUNT_PREFIX),
            limit=check_limit(limit),
            last_evaluated_key=decode_cursor(cursor, "gsi1pk", partition),
        )
        return to_page(results, account_of)

    def active_in_reset_group(self, timezone: str, day_starts_at: str) -> Iterator[Account]:
        """Every active account sharing this day boundary (GSI2 is sparse: only active accounts are in it)."""
        for item in AccountItem.by_reset_group.query(keys.reset_group(timezone, day_starts_at)):
            yield account_of(item)

    def reset_groups(self) -> list[tuple[str, str]]:
        """The (timezone, day_starts_at) pairs of every account ever opened."""
        return [
            (item.timezone, item.day_starts_at)
            for item in ResetGroupItem.query(
                keys.SYSTEM_PK, ResetGroupItem.sk.startswith(keys.RESET_GROUP_PREFIX)
            )
        ]

    def change_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: AccountStatus = "active",
    ) -> bool:
        """Move the account from `expected` to `status`; False if it was not in `expected` any more."""
        item = AccountItem(keys.account_pk(account_id), keys.META_SK)
        actions: list[Action] = [
            AccountItem.status.set(status),
            AccountItem.status_reason.set(reason),
            AccountItem.updated_at.set(at),
        ]
        if status != "active":
            actions += [AccountItem.gsi2pk.remove(), AccountItem.gsi2sk.remove()]
        try:
            item.update(actions=actions, condition=AccountItem.status == expected)
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True


def _item(account: Account) -> AccountItem:
    active = account.status == "active"
    platform = account.platform
    return AccountItem(
        keys.account_pk(account.account_id),
        keys.META_SK,
        entity="account",
        account_id=account.account_id,
        trader_id=account.trader_id,
        program_id=account.program_id,
        program_version=account.program_version,
        status=account.status,
        status_reason=account.status_reason,
        currency=account.currency,
        initial_balance=account.initial_balance,
        timezone=account.timezone,
        day_starts_at=account.day_starts_at,
        opened_at=account.opened_at,
        updated_at=account.updated_at,
        platform=platform.platform if platform else None,
        platform_account_id=platform.platform_account_id if platform else None,
        platform_login=platform.login if platform else None,
        platform_group=platform.group if platform else None,
        platform_server=platform.server if platform else None,
        gsi1pk=keys.trader_pk(account.trader_id),
        gsi1sk=keys.account_pk(account.account_id),
        gsi2pk=keys.reset_group(account.timezone, account.day_starts_at) if active else None,
        gsi2sk=keys.account_pk(account.account_id) if active else None,
    )


_STATUSES: dict[str, AccountStatus] = {
    "active": "active",
    "passed": "passed",
    "failed": "failed",
    "suspended": "suspended",
    "disabled": "disabled",
}


def account_of(item: AccountItem) -> Account:
    return Account(
        account_id=item.account_id,
        trader_id=item.trader_id,
        program_id=item.program_id,
        program_version=int(item.program_version),
        status=_STATUSES[item.status],
        currency=item.currency,
        initial_balance=item.initial_balance,
        timezone=item.timezone,
        day_starts_at=item.day_starts_at,
        opened_at=item.opened_at,
        status_reason=item.status_reason,
        updated_at=item.updated_at,
        platform=_platform(item),
    )


def _platform(item: AccountItem) -> PlatformReference | None:
    if not item.platform or item.platform_account_id is None:
        return None
    return PlatformReference(
        platform=item.platform,
        platform_account_id=item.platform_account_id,
        login=item.platform_login or "",
        group=item.platform_group or "",
        server=item.platform_server or "",
    )
