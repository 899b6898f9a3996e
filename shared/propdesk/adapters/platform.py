"""Account control at the trading platform.

Until a platform integration lands, production asks the platform bridge over the event bus
(`platform.disable_requested`, `platform.enable_requested`, `platform.pause_requested`,
`platform.resume_requested`); the bridge acts on
the account and the request stays on record. Event ids are stable, so a retried request dedupes downstream.
"""

from __future__ import annotations

from datetime import datetime

from propdesk.domain_events import (
    AccountDisableRequested,
    AccountEnableRequested,
    AccountPauseRequested,
    AccountResumeRequested,
    DomainEvent,
    stable_id,
)
from propdesk.ports import Clock, EventPublisher


class EventBusAccountControl:
    def __init__(self, publisher: EventPublisher, clock: Clock) -> None:
        self._publisher = publisher
        self._clock = clock

    def disable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        self._send(
            AccountDisableRequested(
                event_id=stable_id("disable", account_id, reason, *_given(cause)),
                occurred_at=self._clock.now(),
                account_id=account_id,
                trader_id=trader_id,
                reason=reason,
            )
        )

    def enable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        self._send(
            AccountEnableRequested(
                event_id=stable_id("enable", account_id, reason, *_given(cause)),
                occurred_at=self._clock.now(),
                account_id=account_id,
                trader_id=trader_id,
                reason=reason,
            )
        )

    def pause(self, account_id: str, trader_id: str, reason: str, until: datetime) -> None:
        self._send(
            AccountPauseRequested(
                event_id=stable_id("pause", account_id, until.isoformat()),
                occurred_at=self._clock.now(),
                account_id=account_id,
                trader_id=trader_id,
                reason=reason,
                paused_until=until,
            )
        )

    def resume(self, account_id: str, trader_id: str, paused_until: datetime) -> None:
        self._send(
            AccountResumeRequested(
                event_id=stable_id("resume", account_id, paused_until.isoformat()),
                occurred_at=self._clock.now(),
                account_id=account_id,
                trader_id=trader_id,
                paused_until=paused_until,
            )
        )

    def _send(self, event: DomainEvent) -> None:
        self._publisher.publish([event])


def _given(cause: str) -> tuple[str, ...]:
    """The cause as an id part when there is one (ids without a cause stay as they were)."""
    return (cause,) if cause else ()
