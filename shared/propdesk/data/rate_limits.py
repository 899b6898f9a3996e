"""The rate limiter's counters: one item per (action, identity, window), counted with a conditional update."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import RateWindowItem


class DynamoWindowCounter:
    """`propdesk.services.rate_limits.WindowCounter` on the main table (items expire by TTL)."""

    def increment(
        self, key: str, window_start: datetime, limit: int, expires_at: datetime, token: str | None = None
    ) -> bool:
        """One conditional update; a refusal of a hit with a token reads the window back (consistent) to
        tell a token counted already (admitted, free) from a window used up."""
        action, _, identity = key.partition("#")
        item = RateWindowItem(keys.rate_pk(action, identity), keys.window_sk(window_start))
        under_limit = RateWindowItem.hits.does_not_exist() | (RateWindowItem.hits < limit)
        actions: list[Action] = [
            RateWindowItem.hits.add(1),
            RateWindowItem.entity.set("rate_window"),
            RateWindowItem.expires_at.set(expires_at),
        ]
        if token is not None:
            actions.append(RateWindowItem.tokens.add({token}))
            under_limit = under_limit & ~RateWindowItem.tokens.contains(token)
        try:
            item.update(actions=actions, condition=under_limit)
        except UpdateError as error:
            if not condition_failed(error):
                raise
            if token is None:
                return False
            try:
                stored = RateWindowItem.get(item.pk, item.sk, consistent_read=True)
            except RateWindowItem.DoesNotExist:
                return False
            return token in (stored.tokens or set())
        return True
