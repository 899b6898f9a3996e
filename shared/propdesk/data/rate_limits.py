"""The rate limiter's counters: one item per (action, identity, window), counted with a conditional update."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import RateWindowItem


class DynamoWindowCounter:
    """`propdesk.services.rate_limits.WindowCounter` on the main table (items expire by TTL)."""

    def increment(self, key: str, window_start: datetime, limit: int, expires_at: datetime) -> bool:
        action, _, identity = key.partition("#")
        item = RateWindowItem(keys.rate_pk(action, identity), keys.window_sk(window_start))
        try:
            item.update(
                actions=[
                    RateWindowItem.hits.add(1),
                    RateWindowItem.entity.set("rate_window"),
                    RateWindowItem.expires_at.set(expires_at),
                ],
                condition=RateWindowItem.hits.does_not_exist() | (RateWindowItem.hits < limit),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True
