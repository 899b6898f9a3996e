"""Which accounts' trading feeds are behind (`propdesk.platforms.feed.StaleMarks`): one item `ACCOUNT#{id}` /
`FEED_STALE` while the feed is behind (sparse), in the GSI2 partition `FEED_STALE#{platform}` so a platform's
stale accounts are one index query when it comes back (no Scan). The first mark wins: a later one never
moves `since` forward (a conditional put), so the gap is always read from where it began."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import FeedStaleItem

FEED_STALE_SK = "FEED_STALE"
FEED_STALE_PREFIX = "FEED_STALE#"


class FeedMarkRepository:
    def stale_since(self, account_id: str) -> datetime | None:
        try:
            item = FeedStaleItem.get(keys.account_pk(account_id), FEED_STALE_SK, consistent_read=True)
        except FeedStaleItem.DoesNotExist:
            return None
        return item.since

    def mark_stale(self, account_id: str, platform: str, since: datetime) -> None:
        item = FeedStaleItem(
            keys.account_pk(account_id),
            FEED_STALE_SK,
            entity="feed_stale",
            account_id=account_id,
            platform=platform,
            since=since,
            gsi2pk=f"{FEED_STALE_PREFIX}{platform}",
            gsi2sk=keys.account_pk(account_id),
        )
        try:
            item.save(condition=FeedStaleItem.since.does_not_exist() | (FeedStaleItem.since > since))
        except PutError as error:
            if not condition_failed(error):
                raise  # a mark with an earlier (or the same) `since` is kept as it is

    def mark_fresh(self, account_id: str) -> None:
        FeedStaleItem(keys.account_pk(account_id), FEED_STALE_SK).delete()

    def stale_accounts(self, platform: str) -> Iterator[str]:
        for item in FeedStaleItem.stale.query(f"{FEED_STALE_PREFIX}{platform}"):
            yield item.account_id
