"""Payment webhooks: verify the signature over the raw body, normalize, apply to the order once per provider
event id, publish what followed.

Exactly-once effects: the order's new state, its history entry and the receipt (keyed by the provider's event
id, holding the domain events to publish) are written in one conditional transaction. A second delivery
finds the receipt: if its events were not confirmed published (the bus failed after the write), they are
published again (their ids are stable, so consumers deduplicate); otherwise nothing happens.

The card checks (`card_check`: velocity, the firm's country rules on the card's issuing country, country
mismatch): a payment that makes a pending order paid is checked with the card that paid; `flag` keeps the
payment and flags the order (provisioning goes ahead), `block` refunds the payment (idempotently, before the
order is stored) and the order ends refunded. The reasons reach staff (`firm.alert`, stored in the receipt
with the order's events, so a failed publication is repeated like theirs), never the buyer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from propdesk.domain_events import DomainEvent, parse
from propdesk.errors import MalformedRequestError, NotFoundError
from propdesk.ports import EventPublisher
from propdesk.purchases import coinbase_events, stripe_events
from propdesk.purchases.card_check import CardCheck, CardVerdict
from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.orders import OrderStatus, apply_payment
from propdesk.purchases.payments import PayloadError, PaymentEvent
from propdesk.purchases.ports import (
    PaymentProvider,
    ProviderRejectedError,
    ProviderUnavailableError,
    WebhookRejectedError,
)
from propdesk.purchases.store import DuplicateDeliveryError, OrderStore, StaleOrderError, WebhookReceipt

Normalizer = Callable[[Mapping[str, Any]], PaymentEvent | None]
NORMALIZERS: dict[str, Normalizer] = {
    stripe_events.PROVIDER: stripe_events.normalize,
    coinbase_events.PROVIDER: coinbase_events.normalize,
}
_WRITE_ATTEMPTS = 8
Result = Literal["applied", "duplicate", "ignored", "unmatched"]


class BadSignatureError(MalformedRequestError):
    """400: the delivery is not signed by the provider (bad, missing or stale signature)."""

    code = "bad_signature"


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    result: Result
    event_id: str | None = None
    order_id: str | None = None
    order_status: OrderStatus | None = None


class WebhookService:
    def __init__(
        self,
        orders: OrderStore,
        publisher: EventPublisher,
        providers: Mapping[str, PaymentProvider],
        card_check: CardCheck | None = None,
    ) -> None:
        self._orders = orders
        self._publisher = publisher
        self._providers = providers
        self._card_check = card_check

    def handle(
        self, provider_name: str, raw_body: bytes, headers: Mapping[str, str], received_at: datetime
    ) -> WebhookOutcome:
        provider = self._providers.get(provider_name)
        normalizer = NORMALIZERS.get(provider_name)
        if provider is None or normalizer is None:
            raise NotFoundError(f"no payment provider {provider_name!r}", "provider")
        try:
            payload = provider.verify_webhook(raw_body, headers)
        except WebhookRejectedError as error:
            raise BadSignatureError(str(error), "signature") from None
        try:
            event = normalizer(payload)
        except PayloadError as error:
            raise MalformedRequestError(f"the verified event cannot be read: {error}", "body") from None
        if event is None:
            return WebhookOutcome("ignored")
        return self.apply(event, received_at)

    def apply(self, event: PaymentEvent, received_at: datetime) -> WebhookOutcome:
        """Apply a normalized, verified event once (the entry point for tests and replays)."""
        known = self._orders.receipt(event.provider, event.event_id)
        if known is not None:
            self._publish(known)
            return WebhookOutcome("duplicate", event.event_id, known.order_id)
        order_id = self._order_id(event)
        if order_id is None or self._orders.get(order_id) is None:
            return self._unmatched(event, order_id, received_at)
        verdict = self._card_verdict(order_id, event, received_at)
        for _ in range(_WRITE_ATTEMPTS):
            order = self._orders.get(order_id)
            assert order is not None
            outcome = apply_payment(order, event, received_at, verdict.findings if verdict else ())
            alerts = CardCheck.alerts(verdict, outcome, received_at) if verdict else ()
            receipt = WebhookReceipt(
                provider=event.provider,
                event_id=event.event_id,
                event_type=event.event_type,
                order_id=order_id,
                received_at=received_at,
                events=tuple(_stored(domain_event) for domain_event in (*outcome.events, *alerts)),
            )
            try:
                self._orders.put(outcome.order, order.revision, outcome.transition, receipt)
            except StaleOrderError:
                continue
            except DuplicateDeliveryError:
                return WebhookOutcome("duplicate", event.event_id, order_id)
            self._link(event, order_id)
            if verdict is not None and self._card_check is not None:
                self._card_check.record(verdict, outcome, received_at)
            self._publish(receipt)
            return WebhookOutcome("applied", event.event_id, order_id, outcome.order.status)
        raise RetryLaterError(
            f"order {order_id} kept changing; the provider will deliver {event.event_id} again"
        )

    def _card_verdict(self, order_id: str, event: PaymentEvent, now: datetime) -> CardVerdict | None:
        """Check the card that paid; a blocked payment is refunded before the order is stored."""
        order = self._orders.get(order_id)
        if self._card_check is None or order is None:
            return None
        verdict = self._card_check.verdict(order, event, now)
        if verdict is not None:
            self._card_check.refund_if_blocked(verdict, order, event)
        return verdict

    def _order_id(self, event: PaymentEvent) -> str | None:
        if event.order_id:
            return event.order_id
        for reference in (event.payment_reference, event.session_reference):
            if reference:
                known = self._orders.order_for_payment(event.provider, reference)
                if known:
                    return known
        if not event.payment_reference:
            return None
        try:
            return self._providers[event.provider].order_id_for_payment(event.payment_reference)
        except ProviderUnavailableError as error:
            raise RetryLaterError(
                "cannot match the payment to an order yet", internal=(str(error),)
            ) from error
        except ProviderRejectedError:
            return None  # the provider does not know the payment: reported as unmatched

    def _unmatched(self, event: PaymentEvent, order_id: str | None, received_at: datetime) -> WebhookOutcome:
        receipt = WebhookReceipt(event.provider, event.event_id, event.event_type, order_id, received_at)
        try:
            self._orders.add_receipt(receipt)
        except DuplicateDeliveryError:
            return WebhookOutcome("duplicate", event.event_id, order_id)
        return WebhookOutcome("unmatched", event.event_id, order_id)

    def _link(self, event: PaymentEvent, order_id: str) -> None:
        for reference in (event.payment_reference, event.session_reference):
            if reference:
                self._orders.link_payment(event.provider, reference, order_id)

    def _publish(self, receipt: WebhookReceipt) -> None:
        if receipt.published or not receipt.events:
            return
        events = [parse(stored["detail_type"], stored["detail"]) for stored in receipt.events]
        try:
            self._publisher.publish(events)
        except Exception as error:
            raise RetryLaterError(f"the event bus is unavailable ({error}); the effect is stored") from error
        self._orders.mark_published(receipt.provider, receipt.event_id)


def _stored(event: DomainEvent) -> dict[str, Any]:
    return {"detail_type": event.detail_type, "detail": event.model_dump(mode="json")}
