"""Account control at the trading platform.

Until a platform integration lands, production asks the platform bridge over the event bus
(`platform.disable_requested`); the bridge disables the account and the request stays on record.
"""

from __future__ import annotations

from propdesk.domain_events import AccountDisableRequested, stable_id
from propdesk.ports import Clock, EventPublisher


class EventBusAccountControl:
    def __init__(self, publisher: EventPublisher, clock: Clock) -> None:
        self._publisher = publisher
        self._clock = clock

    def disable(self, account_id: str, trader_id: str, reason: str) -> None:
        self._publisher.publish(
            [
                AccountDisableRequested(
                    event_id=stable_id("disable", account_id, reason),
                    occurred_at=self._clock.now(),
                    account_id=account_id,
                    trader_id=trader_id,
                    reason=reason,
                )
            ]
        )
