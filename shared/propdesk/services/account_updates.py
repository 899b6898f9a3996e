"""An account's live update, from a change of its risk state on the stream: the same metrics the REST route
answers (as of the recalculation), plus the warnings and breaches that recalculation produced, pushed on the
account's topic with the state's version as sequence number. The metrics are rendered by `render_metrics`,
the REST route's own view (`propdesk.http.views.metrics_json`), given by the function that wires this."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from propdesk.access import AccountLookup
from propdesk.realtime.topics import account_topic
from propdesk.realtime.updates import account_update
from propdesk.services.account_metrics import LiveMetrics, live_metrics

if TYPE_CHECKING:
    from propdesk.engine import Evaluator
    from propdesk.records import Account, RiskSnapshot
    from propdesk.services.live_feed import FanOut, LiveFeed


RenderMetrics = Callable[[LiveMetrics, ZoneInfo], Mapping[str, Any]]


class AccountUpdates:
    def __init__(
        self,
        accounts: AccountLookup,
        evaluator_of: Callable[[Account], Evaluator],
        feed: LiveFeed,
        render_metrics: RenderMetrics,
    ) -> None:
        self._accounts = accounts
        self._evaluator_of = evaluator_of
        self._feed = feed
        self._render_metrics = render_metrics

    def on_risk_change(
        self, new: RiskSnapshot, written_at: datetime, old: RiskSnapshot | None, now: datetime
    ) -> FanOut | None:
        """Publish the account's update; None when the account is unknown (nothing to say to anyone)."""
        account = self._accounts.get(new.account_id)
        if account is None:
            return None
        live = live_metrics(account, self._evaluator_of(account), new, written_at)
        metrics = dict(self._render_metrics(live, ZoneInfo(account.timezone)))
        topic = account_topic(account.account_id)
        message = account_update(
            topic,
            new.version,
            written_at,
            metrics,
            old.evaluation if old else None,
            new.evaluation,
            old.warnings_sent if old else None,
            new.warnings_sent,
        )
        return self._feed.publish(topic, message, now, sequence=new.version)
