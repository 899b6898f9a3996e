"""The firm's alerts reach staff: each `firm.alert` event is kept once (by its event id) and read newest
first by risk, finance and admin (`read_alerts`). Ops get the same alerts by e-mail through the alarm topic
(the bus rule in infra/constructs/alerts.py); this is the inbox staff work through."""

from __future__ import annotations

from typing import Any, Protocol

from propdesk.domain_events import FirmAlert
from propdesk.records import Page, StaffAlert


class AlertStore(Protocol):
    def record(self, alert: StaffAlert) -> bool:
        """Store it; False when this event id is stored already."""
        ...

    def newest(self, limit: int = 50, cursor: str | None = None) -> Page[StaffAlert]: ...


class FirmAlerts:
    def __init__(self, store: AlertStore) -> None:
        self._store = store

    def receive(self, detail: dict[str, Any]) -> bool:
        """Keep one `firm.alert` (validated against the catalogue); False for a redelivery."""
        event = FirmAlert.model_validate(detail)
        return self._store.record(
            StaffAlert(
                event_id=event.event_id,
                occurred_at=event.occurred_at,
                severity=event.severity,
                subject=event.subject,
                message=event.message,
                order_id=event.order_id,
                trader_id=event.trader_id,
            )
        )

    def newest(self, limit: int, cursor: str | None) -> Page[StaffAlert]:
        return self._store.newest(limit, cursor)
