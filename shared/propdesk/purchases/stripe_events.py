"""Stripe events (already verified by the adapter) → `PaymentEvent`s.

The order id travels in the Checkout Session's `metadata.order_id` (and `client_reference_id`) and in the
PaymentIntent's metadata (set through `payment_intent_data.metadata`). Charges and disputes may not carry
it: they name the PaymentIntent, which the caller resolves to an order (`payment_reference`).

The card that paid comes with the event when the event carries the charge (`charge.succeeded`, or a
PaymentIntent with its `latest_charge` expanded): `payment_method_details.card.{fingerprint,country}`.
Checkout's `customer_details.address.country` is the billing country the customer gave Stripe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from propdesk.purchases.currencies import CurrencyError, from_minor_units
from propdesk.purchases.payments import PaidCard, PayloadError, PaymentEvent, PaymentKind

PROVIDER = "stripe"

_SESSION_KINDS: dict[str, PaymentKind] = {
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.async_payment_failed": "payment_failed",
    "checkout.session.expired": "expired",
}
HANDLED_TYPES = frozenset(
    {
        "checkout.session.completed",
        *_SESSION_KINDS,
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.succeeded",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
    }
)


def normalize(event: Mapping[str, Any]) -> PaymentEvent | None:
    """The payment event this Stripe event means, or None when propdesk has nothing to do with its type."""
    event_type = _text(event, "type")
    if event_type not in HANDLED_TYPES:
        return None
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        raise PayloadError("the event has no data.object")
    base: dict[str, Any] = {
        "provider": PROVIDER,
        "event_id": _text(event, "id"),
        "event_type": event_type,
        "occurred_at": _timestamp(event.get("created")),
    }
    if event_type.startswith("checkout.session."):
        return _session(obj, event_type, base)
    if event_type == "payment_intent.succeeded":
        return PaymentEvent(
            kind="paid",
            order_id=_order_id(obj),
            payment_reference=_text(obj, "id"),
            card=card_of(obj.get("latest_charge")),
            **_amount(obj, "amount_received"),
            **base,
        )
    if event_type == "charge.succeeded":
        return _charge_succeeded(obj, base)
    if event_type == "payment_intent.payment_failed":
        # Checkout lets the customer try another card: a later success moves the order failed → paid.
        return PaymentEvent(
            kind="payment_failed",
            order_id=_order_id(obj),
            payment_reference=_text(obj, "id"),
            reason=_decline(obj),
            **base,
        )
    if event_type == "charge.refunded":
        fully = bool(obj.get("refunded")) or _int(obj, "amount_refunded") >= _int(obj, "amount")
        return PaymentEvent(
            kind="refunded" if fully else "partially_refunded",
            order_id=_order_id(obj),
            payment_reference=_optional_text(obj, "payment_intent"),
            reason="refunded" if fully else "partially refunded",
            **_amount(obj, "amount_refunded"),
            **base,
        )
    return _dispute(obj, event_type, base)


def _session(obj: Mapping[str, Any], event_type: str, base: dict[str, Any]) -> PaymentEvent:
    if event_type == "checkout.session.completed":
        kind: PaymentKind = "paid" if obj.get("payment_status") == "paid" else "awaiting_payment"
    else:
        kind = _SESSION_KINDS[event_type]
    return PaymentEvent(
        kind=kind,
        order_id=_order_id(obj) or _optional_text(obj, "client_reference_id"),
        payment_reference=_optional_text(obj, "payment_intent"),
        session_reference=_text(obj, "id"),
        billing_country=_billing_country(obj),
        **(_amount(obj, "amount_total") if kind == "paid" else {}),
        **base,
    )


def _charge_succeeded(charge: Mapping[str, Any], base: dict[str, Any]) -> PaymentEvent:
    """A succeeded charge is money in once captured (Checkout captures at once); an authorization held for a
    later capture (`captured: false`) is only noted."""
    captured = charge.get("captured") is not False
    return PaymentEvent(
        kind="paid" if captured else "awaiting_payment",
        order_id=_order_id(charge),
        payment_reference=_optional_text(charge, "payment_intent"),
        card=card_of(charge),
        billing_country=_country(_path(charge, "billing_details", "address", "country")),
        reason="" if captured else "card authorized, not captured yet",
        **(_amount(charge, "amount_captured") if captured else {}),
        **base,
    )


def card_of(charge: Any) -> PaidCard | None:
    """The card of a charge object (`payment_method_details.card`), None when the charge is not expanded
    (only its id) or was not paid by card."""
    if not isinstance(charge, Mapping):
        return None
    card = _path(charge, "payment_method_details", "card")
    if not isinstance(card, Mapping):
        return None
    fingerprint = card.get("fingerprint")
    return PaidCard(
        fingerprint=fingerprint if isinstance(fingerprint, str) and fingerprint else None,
        country=_country(card.get("country")),
    )


def _billing_country(session: Mapping[str, Any]) -> str | None:
    return _country(_path(session, "customer_details", "address", "country"))


def _path(obj: Mapping[str, Any], *names: str) -> Any:
    value: Any = obj
    for name in names:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


def _country(value: Any) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper case; anything else is treated as unknown."""
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def _dispute(obj: Mapping[str, Any], event_type: str, base: dict[str, Any]) -> PaymentEvent:
    opened = event_type == "charge.dispute.created"
    status = str(obj.get("status", ""))
    reason = str(obj.get("reason") or "unspecified")
    return PaymentEvent(
        kind="dispute_opened" if opened else "dispute_closed",
        order_id=_order_id(obj),
        payment_reference=_optional_text(obj, "payment_intent"),
        dispute_id=_text(obj, "id"),
        dispute_outcome=None if opened else ("lost" if status == "lost" else "won"),
        reason=f"dispute ({reason})" if opened else f"dispute closed: {status}",
        **_amount(obj, "amount"),
        **base,
    )


def _decline(intent: Mapping[str, Any]) -> str:
    error = intent.get("last_payment_error")
    message = error.get("message") if isinstance(error, Mapping) else None
    return f"payment failed: {message}"[:500] if isinstance(message, str) and message else "payment failed"


def _order_id(obj: Mapping[str, Any]) -> str | None:
    metadata = obj.get("metadata")
    if isinstance(metadata, Mapping):
        value = metadata.get("order_id")
        if isinstance(value, str) and value:
            return value
    return None


def _amount(obj: Mapping[str, Any], name: str) -> dict[str, Any]:
    currency = _text(obj, "currency").upper()
    try:
        return {"amount": from_minor_units(_int(obj, name), currency), "currency": currency}
    except CurrencyError as error:
        raise PayloadError(str(error)) from None


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{name} is missing")
    return value


def _optional_text(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if isinstance(value, Mapping):  # an expanded object
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(f"{name} must be an integer amount in minor units")
    return value


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError("created must be a Unix timestamp")
    return datetime.fromtimestamp(value, UTC)
