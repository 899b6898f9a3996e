"""A payment provider's webhook event, normalized: what happened to which order, whatever the provider.

Each provider's module (`stripe_events`, `coinbase_events`) turns its verified payload into a `PaymentEvent`
(or None for event types that do not concern orders). The order state machine only sees these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

PaymentKind = Literal[
    "paid",  # the money is ours (checkout completed and paid, async payment succeeded, crypto received)
    "awaiting_payment",  # the customer finished checkout but the money is still on its way
    "payment_failed",
    "expired",
    "partially_paid",
    # money arrived, but the provider holds the charge for the merchant's decision (Coinbase: a payment after
    # the charge expired, or on a charge that then failed): flagged for staff, the order does not move
    "held",
    "refunded",  # fully
    "partially_refunded",
    "dispute_opened",
    "dispute_closed",
]
DisputeOutcome = Literal["won", "lost"]


@dataclass(frozen=True, slots=True)
class PaidCard:
    """The card that paid, as the payment provider reports it (never as the buyer's client says): its
    fingerprint (the same card number gives the same one) and its issuing country (ISO 3166-1 alpha-2,
    upper case); either is None when the provider gives none (some wallets, non-card methods)."""

    fingerprint: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    provider: str
    event_id: str
    event_type: str
    kind: PaymentKind
    occurred_at: datetime
    order_id: str | None
    payment_reference: str | None = None  # Stripe PaymentIntent, Coinbase charge code
    session_reference: str | None = None  # Stripe Checkout Session, Coinbase charge id
    amount: Decimal | None = None
    currency: str | None = None
    dispute_id: str | None = None
    dispute_outcome: DisputeOutcome | None = None
    reason: str = ""
    # The merchant accepted this payment at the provider despite a shortfall (Coinbase `charge:resolved` on
    # an underpaid charge): the order counts as paid, and the shortfall is flagged for staff.
    shortfall_accepted: bool = False
    # What the provider's payload says of the payment, when it carries it (Stripe `charge.succeeded`: the
    # card; Checkout: the billing address's country the customer gave Stripe); else the card is asked for.
    card: PaidCard | None = None
    billing_country: str | None = None

    def __post_init__(self) -> None:
        """A payment that would make an order paid says how much arrived, in which currency: without both,
        nothing could check it against the order (the webhook refuses such a delivery, nothing is written)."""
        if self.kind == "paid" and (self.amount is None or not self.currency):
            raise PayloadError(f"{self.cause}: a paid event must carry the amount and currency received")

    @property
    def cause(self) -> str:
        """How a transition names the delivery that caused it."""
        return f"{self.provider} {self.event_type} {self.event_id}"


class PayloadError(ValueError):
    """A verified payload that lacks what its event type must carry."""
