"""The firm's alerts reach staff's inbox once per event, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from propdesk.domain_events import FirmAlert
from propdesk.records import Page, StaffAlert
from propdesk.services.firm_alerts import FirmAlerts
from pydantic import ValidationError

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@dataclass
class InMemoryAlerts:
    alerts: dict[str, StaffAlert] = field(default_factory=dict)

    def record(self, alert: StaffAlert) -> bool:
        if alert.event_id in self.alerts:
            return False
        self.alerts[alert.event_id] = alert
        return True

    def newest(self, limit: int = 50, cursor: str | None = None) -> Page[StaffAlert]:
        ordered = sorted(self.alerts.values(), key=lambda a: (a.occurred_at, a.event_id), reverse=True)
        start = int(cursor or 0)
        rest = ordered[start + limit :]
        return Page(ordered[start : start + limit], str(start + limit) if rest else None)


def alert(event_id: str, minutes: int, severity: str = "critical") -> dict[str, object]:
    return FirmAlert(
        event_id=event_id, occurred_at=T0 + timedelta(minutes=minutes), severity=severity,  # type: ignore[arg-type]
        subject=f"Order ord_{event_id} is paid but has no trading account", message="attempt 3 failed",
        order_id=f"ord_{event_id}", trader_id="trader-1",
    ).model_dump(mode="json")  # fmt: skip


def test_an_alert_redelivered_is_kept_once() -> None:
    inbox = FirmAlerts(InMemoryAlerts())
    assert [inbox.receive(alert("a1", 0)) for _ in range(3)] == [True, False, False]
    assert [a.event_id for a in inbox.newest(50, None).items] == ["a1"]


def test_staff_read_the_newest_first_page_by_page() -> None:
    inbox = FirmAlerts(InMemoryAlerts())
    for number in range(5):
        inbox.receive(alert(f"a{number}", number))

    first = inbox.newest(2, None)
    second = inbox.newest(2, first.next_cursor)

    assert [a.event_id for a in first.items + second.items] == ["a4", "a3", "a2", "a1"]


def test_an_alert_outside_the_catalogue_is_refused() -> None:
    inbox = FirmAlerts(InMemoryAlerts())
    with pytest.raises(ValidationError):
        inbox.receive({**alert("a1", 0), "severity": "apocalyptic"})


def test_an_abuse_flag_raised_reaches_the_inbox_as_an_alert_once_naming_where_to_decide_it() -> None:
    from propdesk.domain_events import AbuseFlagRaised

    inbox = FirmAlerts(InMemoryAlerts())
    raised = AbuseFlagRaised(
        event_id="f1", occurred_at=T0, flag_id="hedging:a1+b1", detector="hedging", severity="high",
        account_ids=["a1", "b1"], trader_ids=["t1", "t2"], found_by="stream", detected_at=T0,
    ).model_dump(mode="json")  # fmt: skip

    assert [inbox.receive(raised, "abuse.flag_raised") for _ in range(2)] == [True, False]
    (kept,) = inbox.newest(50, None).items
    assert kept.severity == "critical" and "/v1/staff/flags/hedging:a1+b1" in kept.message
    assert "a1, b1" in kept.message and kept.trader_id is None
