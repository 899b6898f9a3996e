"""Coinbase Commerce webhook deliveries (already verified) → `PaymentEvent`s.

A delivery wraps the event: `{"id": <delivery>, "event": {"id", "type", "created_at", "data": <charge>}}`;
the event's id is the dedupe key. The charge carries our `metadata.order_id`, its `pricing.local` price,
a `timeline` (last entry = current status; UNRESOLVED entries say why: UNDERPAID, OVERPAID, DELAYED...)
and the `payments` detected on chain.

What counts as paid (Coinbase's webhook events, docs.cdp.coinbase.com/commerce, "Webhook Events"):
- `charge:confirmed`: the payment is final (enough confirmations on chain): the order is paid.
- `charge:resolved`: the merchant resolved an UNRESOLVED charge in Coinbase Commerce (underpaid, overpaid,
  paid late, several payments): the merchant accepted the money, so the order is paid, a shortfall flagged.
- `charge:pending`: a transaction was seen on chain, not yet confirmed: recorded, nothing more (no account is
  opened on money that may still fail to arrive).
- `charge:delayed` (a payment after the charge expired) and a `charge:failed` that received money leave the
  charge unresolved at Coinbase: flagged for staff, who resolve it there (which sends `charge:resolved`).
A paid event must carry what arrived (`payments[].value.local`, amount and currency): without it the
delivery is refused (`PayloadError`), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.purchases.payments import PayloadError, PaymentEvent, PaymentKind

PROVIDER = "coinbase"
PAID_TYPES = frozenset({"charge:confirmed", "charge:resolved"})
HANDLED_TYPES = PAID_TYPES | {"charge:pending", "charge:failed", "charge:delayed"}


def normalize(delivery: Mapping[str, Any]) -> PaymentEvent | None:
    event = delivery.get("event")
    if not isinstance(event, Mapping):
        raise PayloadError("the delivery has no event")
    event_type = _text(event, "type")
    if event_type not in HANDLED_TYPES:
        return None
    charge = event.get("data")
    if not isinstance(charge, Mapping):
        raise PayloadError("the event has no charge in data")
    received = _received(charge)
    if event_type in PAID_TYPES and received is None:
        raise PayloadError(f"{event_type} carries no payment (payments[].value.local amount and currency)")
    kind, reason = _kind(event_type, charge, received)
    metadata = charge.get("metadata")
    order_id = metadata.get("order_id") if isinstance(metadata, Mapping) else None
    return PaymentEvent(
        provider=PROVIDER,
        event_id=_text(event, "id"),
        event_type=event_type,
        kind=kind,
        occurred_at=_time(_text(event, "created_at")),
        order_id=order_id if isinstance(order_id, str) and order_id else None,
        payment_reference=_text(charge, "code"),
        session_reference=_text(charge, "id"),
        amount=received[0] if received else None,
        currency=received[1] if received else None,
        reason=reason,
        shortfall_accepted=event_type == "charge:resolved",
    )


def _kind(
    event_type: str, charge: Mapping[str, Any], received: tuple[Decimal, str] | None
) -> tuple[PaymentKind, str]:
    if event_type == "charge:confirmed":
        return "paid", "crypto payment confirmed"
    if event_type == "charge:resolved":
        return "paid", "crypto charge resolved by the merchant"
    if event_type == "charge:pending":
        return "awaiting_payment", "crypto payment seen on chain, waiting for its confirmation"
    context = _last_context(charge)
    if event_type == "charge:delayed":
        if context == "UNDERPAID":
            return "partially_paid", "crypto underpaid"
        return "held", (
            f"crypto payment received after the charge expired ({context.lower() or 'delayed'}): "
            "resolve the charge in Coinbase Commerce to accept it"
        )
    if received is not None and received[0] >= _price(charge):
        return "held", (
            "crypto payment received in full but the charge failed: resolve the charge in Coinbase "
            "Commerce to accept it"
        )
    if context == "UNDERPAID" or received is not None:
        return "partially_paid", "crypto underpaid, then the charge failed"
    status = _last_status(charge)
    if status == "EXPIRED":
        return "expired", "the crypto charge expired unpaid"
    return "payment_failed", f"the crypto charge failed ({status.lower() or 'unknown'})"


def _received(charge: Mapping[str, Any]) -> tuple[Decimal, str] | None:
    """What the detected payments add up to in the local (fiat) currency, or None if none was detected."""
    payments = charge.get("payments")
    if not isinstance(payments, list) or not payments:
        return None
    total = Decimal(0)
    currencies: set[str] = set()
    for payment in payments:
        local = ((payment or {}).get("value") or {}).get("local") or {}
        try:
            total += Decimal(str(local["amount"]))
        except (KeyError, InvalidOperation):
            raise PayloadError("a payment has no value.local.amount") from None
        currencies.add(str(local.get("currency") or "").upper())
    if len(currencies) != 1 or not next(iter(currencies)):
        raise PayloadError("the payments do not name one local currency (value.local.currency)")
    return total, currencies.pop()


def _price(charge: Mapping[str, Any]) -> Decimal:
    local = (charge.get("pricing") or {}).get("local") or {}
    try:
        return Decimal(str(local["amount"]))
    except (KeyError, InvalidOperation):
        raise PayloadError("the charge has no pricing.local.amount") from None


def _timeline(charge: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    timeline = charge.get("timeline")
    return [entry for entry in timeline if isinstance(entry, Mapping)] if isinstance(timeline, list) else []


def _last_status(charge: Mapping[str, Any]) -> str:
    timeline = _timeline(charge)
    return str(timeline[-1].get("status", "")).upper() if timeline else ""


def _last_context(charge: Mapping[str, Any]) -> str:
    contexts = [str(entry.get("context", "")).upper() for entry in _timeline(charge) if entry.get("context")]
    return contexts[-1] if contexts else ""


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{name} is missing")
    return value


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{text!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise PayloadError("created_at has no timezone")
    return moment
