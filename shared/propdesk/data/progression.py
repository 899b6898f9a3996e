"""Progressions (`propdesk.life.ports.ProgressionStore`): a passed account's way to the next one, and the
links that let an account find the accounts before it.

    pk ACCOUNT#{passed account}  sk PROGRESSION#{passed-at}   one per pass; created once (conditional put),
                                                              then replaced only if unchanged since read
    pk ACCOUNT#{next account}    sk CHAIN                     the account it continues (written once)

The account's progressions sort by passed-at, so the latest is one query (newest first, limit 1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import MainTableModel
from propdesk.life.progression import PlatformLogin, Progression, ProgressionStatus, ReviewState

PROGRESSION_PREFIX = "PROGRESSION#"
CHAIN_SK = "CHAIN"
_STATUSES: dict[str, ProgressionStatus] = {
    "planned": "planned",
    "opened": "opened",
    "done": "done",
    "rejected": "rejected",
}
_REVIEWS: dict[str, ReviewState] = {
    "none": "none",
    "required": "required",
    "waiting": "waiting",
    "approved": "approved",
    "rejected": "rejected",
}


class ProgressionItem(MainTableModel):
    progression_key = UnicodeAttribute()
    account_id = UnicodeAttribute()
    trader_id = UnicodeAttribute()
    passed_at = UTCDateTimeAttribute()
    owner = UnicodeAttribute()
    next_account_id = UnicodeAttribute()
    next_program_id = UnicodeAttribute()
    next_program_version = NumberAttribute()
    stage = UnicodeAttribute()
    phase = NumberAttribute()
    review = UnicodeAttribute()
    status = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    task_token = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    review_reason = UnicodeAttribute(null=True)
    login = JSONAttribute(null=True)


class ChainLinkItem(MainTableModel):
    previous_account_id = UnicodeAttribute()


def progression_sk(passed_at: datetime) -> str:
    return f"{PROGRESSION_PREFIX}{keys.key_time(passed_at)}"


class ProgressionRepository:
    def create(self, progression: Progression) -> Progression:
        try:
            _item(progression).save(condition=ProgressionItem.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            stored = self.get(progression.account_id, progression.passed_at)
            assert stored is not None  # the condition failed because it exists
            return stored
        return progression

    def get(self, account_id: str, passed_at: datetime) -> Progression | None:
        try:
            item = ProgressionItem.get(
                keys.account_pk(account_id), progression_sk(passed_at), consistent_read=True
            )
        except ProgressionItem.DoesNotExist:
            return None
        return _progression(item)

    def latest_for(self, account_id: str) -> Progression | None:
        items = ProgressionItem.query(
            keys.account_pk(account_id),
            ProgressionItem.sk.startswith(PROGRESSION_PREFIX),
            scan_index_forward=False,
            limit=1,
            consistent_read=True,
        )
        return next((_progression(item) for item in items), None)

    def save(self, progression: Progression, expected: Progression) -> bool:
        condition = (
            (ProgressionItem.status == expected.status)
            & (ProgressionItem.review == expected.review)
            & (ProgressionItem.updated_at == expected.updated_at)
        )
        try:
            _item(progression).save(condition=condition)
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def link(self, account_id: str, previous_account_id: str) -> None:
        item = ChainLinkItem(
            keys.account_pk(account_id),
            CHAIN_SK,
            entity="chain_link",
            previous_account_id=previous_account_id,
        )
        try:
            item.save(condition=ChainLinkItem.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise

    def previous_of(self, account_id: str) -> str | None:
        try:
            item = ChainLinkItem.get(keys.account_pk(account_id), CHAIN_SK)
        except ChainLinkItem.DoesNotExist:
            return None
        return item.previous_account_id


def _item(progression: Progression) -> ProgressionItem:
    login: dict[str, Any] | None = None
    if progression.login is not None:
        found = progression.login
        login = {
            "platform": found.platform,
            "platform_account_id": found.platform_account_id,
            "login": found.login,
            "server": found.server,
        }
    return ProgressionItem(
        keys.account_pk(progression.account_id),
        progression_sk(progression.passed_at),
        entity="progression",
        progression_key=progression.key,
        account_id=progression.account_id,
        trader_id=progression.trader_id,
        passed_at=progression.passed_at,
        owner=progression.owner,
        next_account_id=progression.next_account_id,
        next_program_id=progression.next_program_id,
        next_program_version=progression.next_program_version,
        stage=progression.stage,
        phase=progression.phase,
        review=progression.review,
        status=progression.status,
        updated_at=progression.updated_at,
        task_token=progression.task_token,
        reviewed_by=progression.reviewed_by,
        review_reason=progression.review_reason,
        login=login,
    )


def _progression(item: ProgressionItem) -> Progression:
    login = item.login
    return Progression(
        key=item.progression_key,
        account_id=item.account_id,
        trader_id=item.trader_id,
        passed_at=item.passed_at,
        owner=item.owner,
        next_account_id=item.next_account_id,
        next_program_id=item.next_program_id,
        next_program_version=int(item.next_program_version),
        stage="funded" if item.stage == "funded" else "challenge",
        phase=int(item.phase),
        review=_REVIEWS[item.review],
        status=_STATUSES[item.status],
        updated_at=item.updated_at,
        task_token=item.task_token,
        reviewed_by=item.reviewed_by,
        review_reason=item.review_reason,
        login=PlatformLogin(
            str(login["platform"]),
            str(login["platform_account_id"]),
            str(login["login"]),
            str(login["server"]),
        )
        if login
        else None,
    )
