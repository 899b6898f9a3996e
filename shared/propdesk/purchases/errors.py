"""Purchase errors, each with a stable code; the REST edge maps them to HTTP (4xx, or 503 for retry-later)."""

from __future__ import annotations

from propdesk.errors import DomainError, ForbiddenError, InvalidInputError


class PricingError(InvalidInputError):
    """The basket cannot be priced: unknown currency or add-on, a discount code that does not apply..."""

    code = "pricing_error"


PURCHASE_REFUSED = "this purchase cannot be accepted; contact support if you think this is a mistake"


class PurchaseBlockedError(ForbiddenError):
    """A fraud pre-check the firm set to `block` fired. The buyer is told only that the purchase was refused
    (`PURCHASE_REFUSED`), never which check fired or its threshold (which would teach a fraudster the limits);
    the reasons are in `internal`, for staff (logged by the edge)."""

    code = "purchase_blocked"


class IdempotencyKeyReusedError(InvalidInputError):
    """The same Idempotency-Key came back with a different request."""

    code = "idempotency_key_reused"


class RetryLaterError(DomainError):
    """A provider or the event bus is unavailable; nothing was lost and the same request may be repeated."""

    code = "retry_later"
