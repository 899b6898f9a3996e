"""Staff-only events never reach the trader's notifications: `purchase.flagged` carries fraud findings with
their thresholds (which check fired, how many purchases, which country), which the buyer must not learn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from propdesk.domain_events import Envelope, PurchaseFlagged, PurchaseRefunded
from propdesk.records import Connection, Notification
from propdesk.services.notifications import NotificationService

from tests.doubles.ports import InMemoryPusher

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@dataclass
class Outbox:
    stored: list[Notification] = field(default_factory=list)

    def add(self, notification: Notification) -> bool:
        self.stored.append(notification)
        return True


class OneConnection:
    def for_trader(self, trader_id: str) -> list[Connection]:
        return [Connection("conn-1", trader_id, T0, T0)]

    def delete(self, connection_id: str) -> None:
        pass


def envelope(event: PurchaseFlagged | PurchaseRefunded) -> Envelope:
    detail = event.model_dump(mode="json")
    return Envelope.model_validate(
        {"id": "eb-1", "source": "propdesk", "detail-type": event.detail_type, "time": T0, "detail": detail}
    )


def test_a_purchase_flagged_with_its_reasons_is_not_put_in_the_buyers_outbox_nor_pushed() -> None:
    outbox, pusher = Outbox(), InMemoryPusher()
    service = NotificationService(outbox, OneConnection(), pusher)
    flagged = PurchaseFlagged(
        event_id="e-1",
        occurred_at=T0,
        order_id="ord-1",
        trader_id="trader-1",
        reasons=["card_country: the card was issued in KP, a blocked country"],
    )

    delivery = service.deliver(envelope(flagged))

    assert not delivery.stored and outbox.stored == [] and pusher.sent == []


def test_the_refund_itself_still_reaches_the_buyer() -> None:
    outbox, pusher = Outbox(), InMemoryPusher()
    service = NotificationService(outbox, OneConnection(), pusher)
    refunded = PurchaseRefunded(
        event_id="e-2",
        occurred_at=T0,
        order_id="ord-1",
        trader_id="trader-1",
        reason="payment refunded: the purchase could not be accepted",
    )

    assert service.deliver(envelope(refunded)).stored
    assert [message["detail_type"] for _, message in pusher.sent] == ["purchase.refunded"]
