"""The next scheduled deadline of each active account, for the minute sweep (docs/data-model.md, "Deadlines").

One small item per account, `ACCOUNT#{id}` / `DUE`, in the sparse GSI2 partitions `DUE#{shard}` sorted by
`{due_utc}#{account_id}`: the sweep queries each shard for `gsi2sk <= now` (no Scan). The item is written
only when the deadline changes (the risk snapshot itself stays out of the index: its images are large and
written at every event), and deleted when the account has none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from propdesk.data import keys
from propdesk.data.models import MainTableModel
from propdesk.data.schema import GSI2
from propdesk.records import DueAccount

DUE_SK = "DUE"
DUE_PREFIX = "DUE#"
SHARDS = 4


class DueIndex(GlobalSecondaryIndex["DeadlineItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class DeadlineItem(MainTableModel):
    account_id = UnicodeAttribute()
    due_at = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_due = DueIndex()


def due_partition(account_id: str) -> str:
    shard = int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16) % SHARDS
    return f"{DUE_PREFIX}{shard:02d}"


class DeadlineRepository:
    def set(self, account_id: str, due_at: datetime | None) -> None:
        """Record the account's next deadline (None: it has none; the item goes away)."""
        item = DeadlineItem(keys.account_pk(account_id), DUE_SK)
        if due_at is None:
            item.delete()
            return
        item.entity = "deadline"
        item.account_id = account_id
        item.due_at = due_at
        item.gsi2pk = due_partition(account_id)
        item.gsi2sk = f"{keys.key_time(due_at)}#{account_id}"
        item.save()

    def due_by(self, moment: datetime) -> Iterator[DueAccount]:
        """Every account whose next deadline is at or before `moment`, earliest first within a shard."""
        upper = f"{keys.key_time(moment)}#~"
        for shard in range(SHARDS):
            for item in DeadlineItem.by_due.query(f"{DUE_PREFIX}{shard:02d}", DeadlineItem.gsi2sk <= upper):
                yield DueAccount(item.account_id, item.due_at)
