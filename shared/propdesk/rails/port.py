"""The payout-rail port: what propdesk asks of any rail that moves a payout's money (a stablecoin payout
provider, a bank payout provider).

Guarantees every adapter gives (held by `tests/contract/rails`, run against each adapter's local fake and the
in-memory double):
- **One payment per payout.** `pay` is idempotent per our `payout_id`: the rail keeps it as its reference (an
  idempotency key and a client reference), a repeat returns the same payment, and after an *ambiguous* failure
  (a timeout, a 5xx: the rail may have created the payment) the adapter looks the payment up by our reference
  instead of sending it again. If the look-up cannot tell either, `RailUnavailableError` is raised and the
  caller tries `pay` again later, which finds the payment or creates it under the same key.
- **Statuses** are `pending` (accepted, not yet moving), `processing`, `paid` (sent to the destination),
  `failed` (never reached it) and `returned` (reached the rails but came back, possibly days after `paid`),
  with the rail's failure reason. A paid payment may still be returned; failed and returned are final.
- **Webhooks** are verified over the raw body (the rail's signature scheme; a shared-secret MAC is compared as
  bytes in constant time), with a timestamp tolerance against replays, before anything in them is read.
  Deliveries repeat and arrive out of order: `RailStatusUpdate.event_id` deduplicates and `advance` keeps the
  furthest status, so applying updates in any order ends in the same state.

Errors: `RailUnavailableError` (down, rate-limited, ambiguous: try again later), `RailRejectedError` (refused:
retrying will not help, a person looks), `RailWebhookRejectedError` (a delivery that is not the rail's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from propdesk.errors import UnauthorizedError
from propdesk.rails.destinations import Destination

RailStatus = Literal["pending", "processing", "paid", "failed", "returned"]
RAIL_STATUSES: tuple[RailStatus, ...] = ("pending", "processing", "paid", "failed", "returned")
FINAL_STATUSES: frozenset[RailStatus] = frozenset({"failed", "returned"})
# How far along a payment is: an update never moves it back (returned after failed is kept: it came back).
_RANK: dict[RailStatus, int] = {"pending": 0, "processing": 1, "paid": 2, "failed": 3, "returned": 4}


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """Pay `amount` of `currency` (a fiat code for a bank account, the token for a wallet) to `destination`.
    `payout_id` is ours and unique per payout: the rail keeps it, so a repeat never pays twice."""

    payout_id: str
    amount: Decimal
    currency: str
    destination: Destination
    created_at: datetime  # when we first asked (look-ups search from a little before it)
    description: str = ""  # shown to the recipient where the rail allows (bank reference)


@dataclass(frozen=True, slots=True)
class RailPayment:
    rail: str
    reference: str  # the rail's id of the payment
    payout_id: str
    status: RailStatus
    amount: Decimal  # what was asked to reach the destination
    currency: str
    fee: Decimal = Decimal(0)  # what the rail took out of the amount (0 when the firm pays its fee on top)
    failure_reason: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RailStatusUpdate:
    """A verified status webhook: apply it once per `event_id`, in `occurred_at` order (or through
    `advance`, which makes the order irrelevant)."""

    rail: str
    event_id: str
    reference: str
    status: RailStatus
    occurred_at: datetime
    payout_id: str | None = None  # when the delivery carries it
    failure_reason: str | None = None


class RailUnavailableError(Exception):
    """The rail could not be reached, rate-limited us, answered 5xx, or the outcome is unknown: try later."""


class RailRejectedError(Exception):
    """The rail refused the payment (a 4xx other than 429, insufficient balance...): a person must look."""


class RailWebhookRejectedError(UnauthorizedError):
    """A delivery that is not signed by the rail (missing, bad or stale signature) or that cannot be read."""

    code = "bad_signature"


def advance(current: RailStatus | None, update: RailStatus) -> RailStatus:
    """The status after `update`: the further of the two, so a late `processing` never undoes `paid` and a
    final status stays final."""
    if current is None:
        return update
    if current in FINAL_STATUSES and update != "returned":
        return current
    return update if _RANK[update] > _RANK[current] else current


class PayoutRail(Protocol):
    name: str

    def pay(self, order: PaymentOrder) -> RailPayment:
        """Send the payment once per `order.payout_id`: a repeat, or a retry after an ambiguous failure,
        returns the payment made the first time."""
        ...

    def find(self, payout_id: str, since: datetime) -> RailPayment | None:
        """The payment made for our `payout_id` (created at or after `since`), if any."""
        ...

    def status(self, reference: str) -> RailPayment:
        """The payment as the rail sees it now (`reference` is the rail's id)."""
        ...

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> RailStatusUpdate | None:
        """The status update a delivery carries, after verifying its signature and timestamp (raises
        `RailWebhookRejectedError`); None for a verified delivery that is not about a payment."""
        ...
