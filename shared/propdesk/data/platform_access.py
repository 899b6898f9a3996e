"""Each account's access at its trading platform (`propdesk.platforms.enforcement.PlatformAccessState`): one
item `ACCOUNT#{id}` / `PLATFORM`, written with an optimistic version (every change is conditional on the
version read), in the sparse GSI2 partitions `PLATFORM#{shard}` so the daily drift check pages through every
account with one (an index query per shard, no Scan). See docs/data-model.md."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import PlatformAccessItem
from propdesk.errors import VersionConflictError
from propdesk.platforms.enforcement import (
    COMMAND_DETAIL_TYPES,
    CommandKind,
    PendingCommand,
    PlatformAccessState,
)
from propdesk.platforms.port import TradingAccess

PLATFORM_SK = "PLATFORM"
PLATFORM_PREFIX = "PLATFORM#"
SHARDS = 4
_KINDS: dict[str, CommandKind] = {kind: kind for kind in COMMAND_DETAIL_TYPES.values()}


def managed_partition(account_id: str) -> str:
    shard = int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16) % SHARDS
    return f"{PLATFORM_PREFIX}{shard:02d}"


class PlatformAccessRepository:
    def get(self, account_id: str) -> PlatformAccessState | None:
        try:
            item = PlatformAccessItem.get(keys.account_pk(account_id), PLATFORM_SK, consistent_read=True)
        except PlatformAccessItem.DoesNotExist:
            return None
        return _state(item)

    def save(self, state: PlatformAccessState) -> PlatformAccessState:
        item = _item(state)
        try:
            item.save()  # conditional on the version read (absent for version 0)
        except PutError as error:
            if condition_failed(error):
                raise VersionConflictError(f"platform access of {state.account_id} changed") from error
            raise
        return _state(item)

    def managed(self) -> Iterator[str]:
        for shard in range(SHARDS):
            for item in PlatformAccessItem.managed.query(f"{PLATFORM_PREFIX}{shard:02d}"):
                yield item.account_id


def _item(state: PlatformAccessState) -> PlatformAccessItem:
    item = PlatformAccessItem(
        keys.account_pk(state.account_id),
        PLATFORM_SK,
        entity="platform_access",
        account_id=state.account_id,
        desired=state.desired.value if state.desired else None,
        desired_since=state.desired_since,
        desired_by=state.desired_by or None,
        desired_kind=state.desired_kind,
        paused_until=state.paused_until,
        confirmed=state.confirmed.value if state.confirmed else None,
        confirmed_at=state.confirmed_at,
        pending=[_pending_json(p) for p in state.pending],
        done=list(state.done),
        lease_holder=state.lease_holder or None,
        lease_until=state.lease_until,
        gsi2pk=managed_partition(state.account_id),
        gsi2sk=keys.account_pk(state.account_id),
    )
    if state.version:
        item.version = state.version
    return item


def _state(item: PlatformAccessItem) -> PlatformAccessState:
    return PlatformAccessState(
        account_id=item.account_id,
        desired=TradingAccess(item.desired) if item.desired else None,
        desired_since=item.desired_since,
        desired_by=item.desired_by or "",
        desired_kind=_KINDS.get(item.desired_kind or ""),
        paused_until=item.paused_until,
        confirmed=TradingAccess(item.confirmed) if item.confirmed else None,
        confirmed_at=item.confirmed_at,
        pending=tuple(_pending(raw) for raw in item.pending or ()),
        done=tuple(str(command_id) for command_id in item.done or ()),
        lease_holder=item.lease_holder or "",
        lease_until=item.lease_until,
        version=int(item.version or 0),
    )


def _pending_json(pending: PendingCommand) -> dict[str, Any]:
    return {
        "command_id": pending.command_id,
        "kind": pending.kind,
        "asked_at": keys.key_time(pending.asked_at),
        "received_at": keys.key_time(pending.received_at),
        "attempts": pending.attempts,
        "last_error": pending.last_error,
    }


def _pending(raw: dict[str, Any]) -> PendingCommand:
    return PendingCommand(
        command_id=str(raw["command_id"]),
        kind=_KINDS[str(raw["kind"])],
        asked_at=_time(raw["asked_at"]),
        received_at=_time(raw["received_at"]),
        attempts=int(raw.get("attempts", 0)),
        last_error=str(raw.get("last_error", "")),
    )


def _time(text: str) -> datetime:
    return keys.parse_key_time(text)
