"""The firm's alerts reach staff: each `firm.alert` event is kept once (by its event id) and read newest
first by risk, finance and admin (`read_alerts`). Ops get the same alerts by e-mail through the alarm topic
(the bus rule in infra/constructs/alerts.py); this is the inbox staff work through. An abuse flag that opened
(`abuse.flag_raised`) lands here too: it holds payouts until risk staff decide it."""

from __future__ import annotations

from typing import Any, Protocol

from propdesk.domain_events import AbuseFlagRaised, FirmAlert
from propdesk.records import Page, StaffAlert


class AlertStore(Protocol):
    def record(self, alert: StaffAlert) -> bool:
        """Store it; False when this event id is stored already."""
        ...

    def newest(self, limit: int = 50, cursor: str | None = None) -> Page[StaffAlert]: ...


class FirmAlerts:
    def __init__(self, store: AlertStore) -> None:
        self._store = store

    def receive(self, detail: dict[str, Any], detail_type: str = FirmAlert.detail_type) -> bool:
        """Keep one `firm.alert` or `abuse.flag_raised` (validated against the catalogue); False for a
        redelivery."""
        if detail_type == AbuseFlagRaised.detail_type:
            return self._store.record(flag_alert(AbuseFlagRaised.model_validate(detail)))
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


FLAG_SEVERITY = {"low": "info", "medium": "warning", "high": "critical"}


def flag_alert(event: AbuseFlagRaised) -> StaffAlert:
    """An abuse flag as an alert: what it names and where to decide it (the evidence stays in the queue)."""
    accounts = ", ".join(event.account_ids) or "no account yet"
    return StaffAlert(
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        severity=FLAG_SEVERITY[event.severity],
        subject=f"Abuse flag {event.flag_id} awaits review",
        message=(
            f"The {event.detector} detector ({event.found_by} pass) raised a {event.severity} flag naming "
            f"accounts {accounts}; their payouts are held until it is decided at "
            f"/v1/staff/flags/{event.flag_id}"
        ),
        trader_id=event.trader_ids[0] if len(event.trader_ids) == 1 else None,
    )
