"""The firm's alerts for staff (`firm.alert` events), newest first.

One item per event id, `ALERT#{event_id}` / `ALERT`, put on the condition that it does not exist (a
redelivered event stores nothing more); listed through GSI1 in the one partition `ALERTS`, sorted by
`{occurrence time}#{event id}` (alerts are rare: one partition is plenty, and a page is one Query).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from propdesk.data import keys
from propdesk.data._conditions import saved_if_new
from propdesk.data.models import MainTableModel
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.data.schema import GSI1
from propdesk.records import Page, StaffAlert

ALERT_PREFIX = "ALERT#"
ALERT_SK = "ALERT"
ALERTS_GSI_PK = "ALERTS"


class AlertsByTimeIndex(GlobalSecondaryIndex["AlertItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class AlertItem(MainTableModel):
    event_id = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    severity = UnicodeAttribute()
    subject = UnicodeAttribute()
    message = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    trader_id = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_time = AlertsByTimeIndex()


class AlertRepository:
    def record(self, alert: StaffAlert) -> bool:
        """Store the alert; False when this event id was stored before (nothing changes)."""
        item = AlertItem(
            ALERT_PREFIX + alert.event_id,
            ALERT_SK,
            entity="firm_alert",
            event_id=alert.event_id,
            occurred_at=alert.occurred_at,
            severity=alert.severity,
            subject=alert.subject,
            message=alert.message,
            order_id=alert.order_id,
            trader_id=alert.trader_id,
            gsi1pk=ALERTS_GSI_PK,
            gsi1sk=f"{keys.key_time(alert.occurred_at)}#{alert.event_id}",
        )
        return saved_if_new(item, AlertItem.pk.does_not_exist())

    def newest(self, limit: int = 50, cursor: str | None = None) -> Page[StaffAlert]:
        results = AlertItem.by_time.query(
            ALERTS_GSI_PK,
            scan_index_forward=False,
            limit=check_limit(limit),
            last_evaluated_key=decode_cursor(cursor, "gsi1pk", ALERTS_GSI_PK),
        )
        return to_page(results, _alert)


def _alert(item: AlertItem) -> StaffAlert:
    return StaffAlert(
        event_id=item.event_id,
        occurred_at=item.occurred_at,
        severity=item.severity,
        subject=item.subject,
        message=item.message,
        order_id=item.order_id,
        trader_id=item.trader_id,
    )
