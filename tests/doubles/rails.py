"""An in-memory payout rail for tests of code that pays out: it keeps the port's promises (one payment per
payout id, look-up after an ambiguous failure, statuses, signed webhooks) without a network, so a service's
tests need no fake server. Held to the same contract as the real adapters (`tests/contract/rails`).

Webhooks are signed with a shared secret, `X-Rail-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
"<t>.<raw body>")>`, compared as bytes in constant time, with a timestamp tolerance; deliveries go through the
fakes' `WebhookOutbox` (redelivery with backoff, duplicates, holding and reordering) to any `post` callable.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.rails.port import (
    PaymentOrder,
    RailPayment,
    RailRejectedError,
    RailStatus,
    RailStatusUpdate,
    RailUnavailableError,
    RailWebhookRejectedError,
)

from fakes.webhook_outbox import Post, WebhookOutbox, doubling

SECRET = b"in-memory-rail-secret"
HEADER = "X-Rail-Signature"


class InMemoryRail:
    name = "memory"

    def __init__(
        self,
        clock: Callable[[], float],
        post: Post,
        secret: bytes = SECRET,
        tolerance_seconds: float = 300.0,
    ) -> None:
        self._clock = clock
        self._secret = secret
        self._tolerance = tolerance_seconds
        self.payments: dict[str, dict[str, Any]] = {}  # by reference
        self.outbox = WebhookOutbox(self._render, clock, doubling(60.0, 3600.0), 10, post)
        self._ids = itertools.count(1)
        self._events = itertools.count(1)
        self.unavailable = 0  # the next calls fail before doing anything
        self.unavailable_reads = 0  # the next look-ups fail
        self.lost_responses = 0  # the next payments are made, then their answer is lost

    # ---- the port
    def pay(self, order: PaymentOrder) -> RailPayment:
        existing = self._by_payout(order.payout_id)
        if existing is not None:
            return _payment(existing)
        try:
            return self._create(order)
        except RailUnavailableError:
            found = self.find(order.payout_id, order.created_at)
            if found is None:
                raise
            return found

    def find(self, payout_id: str, since: datetime) -> RailPayment | None:
        for _ in range(3):  # reads are retried, as the adapters do
            try:
                self._maybe_unavailable(reading=True)
                break
            except RailUnavailableError:
                continue
        else:
            raise RailUnavailableError("the look-up failed (injected)")
        found = self._by_payout(payout_id)
        return None if found is None else _payment(found)

    def status(self, reference: str) -> RailPayment:
        self._maybe_unavailable(reading=True)
        if reference not in self.payments:
            raise RailRejectedError(f"no payment {reference}")
        return _payment(self.payments[reference])

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> RailStatusUpdate | None:
        value = next((v for k, v in headers.items() if k.lower() == HEADER.lower()), None)
        if not value:
            raise RailWebhookRejectedError(f"the {HEADER} header is missing")
        parts = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
        timestamp, given = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit():
            raise RailWebhookRejectedError("no timestamp in the signature")
        if abs(self._clock() - int(timestamp)) > self._tolerance:
            raise RailWebhookRejectedError("the signature's timestamp is outside the tolerance")
        try:
            given_bytes = bytes.fromhex(given)
        except ValueError:
            raise RailWebhookRejectedError("the signature is not hex") from None
        expected = hmac.new(self._secret, timestamp.encode() + b"." + raw_body, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, given_bytes):
            raise RailWebhookRejectedError("the signature does not verify")
        event = json.loads(raw_body)
        payment = event["payment"]
        return RailStatusUpdate(
            rail=self.name,
            event_id=event["id"],
            reference=payment["reference"],
            status=payment["status"],
            occurred_at=datetime.fromisoformat(event["occurred_at"]),
            payout_id=payment["payout_id"],
            failure_reason=payment.get("failure_reason"),
        )

    # ---- test controls
    def settle(self, reference: str) -> None:
        self._move(reference, "processing")
        self._move(reference, "paid")

    def fail(self, reference: str, reason: str = "the destination refused the payment") -> None:
        self._move(reference, "failed", reason)

    def return_payment(self, reference: str, reason: str = "returned by the recipient's bank") -> None:
        self._move(reference, "returned", reason)

    # ---- inside
    def _create(self, order: PaymentOrder) -> RailPayment:
        self._maybe_unavailable()
        reference = f"mem_{next(self._ids):06d}"
        self.payments[reference] = {
            "reference": reference,
            "payout_id": order.payout_id,
            "status": "pending",
            "amount": str(order.amount),
            "currency": order.currency,
            "failure_reason": None,
        }
        self._emit(self.payments[reference])
        if self.lost_responses:
            self.lost_responses -= 1
            raise RailUnavailableError("the answer was lost (the payment was made)")
        return _payment(self.payments[reference])

    def _maybe_unavailable(self, reading: bool = False) -> None:
        if reading and self.unavailable_reads:
            self.unavailable_reads -= 1
            raise RailUnavailableError("the look-up failed (injected)")
        if self.unavailable:
            self.unavailable -= 1
            raise RailUnavailableError("the rail is down (injected)")

    def _by_payout(self, payout_id: str) -> dict[str, Any] | None:
        return next((p for p in self.payments.values() if p["payout_id"] == payout_id), None)

    def _move(self, reference: str, status: RailStatus, reason: str | None = None) -> None:
        payment = self.payments[reference]
        payment.update(status=status, failure_reason=reason)
        self._emit(payment)

    def _emit(self, payment: dict[str, Any]) -> None:
        occurred = datetime.fromtimestamp(self._clock(), tz=UTC).isoformat()
        self.outbox.enqueue(
            {"id": f"evt_{next(self._events):06d}", "occurred_at": occurred, "payment": dict(payment)}
        )

    def _render(self, event: dict[str, Any], at: float) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event, separators=(",", ":")).encode()
        timestamp = str(int(at))
        signature = hmac.new(self._secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return body, {HEADER: f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


def _payment(raw: Mapping[str, Any]) -> RailPayment:
    return RailPayment(
        rail=InMemoryRail.name,
        reference=raw["reference"],
        payout_id=raw["payout_id"],
        status=raw["status"],
        amount=Decimal(raw["amount"]),
        currency=raw["currency"],
        failure_reason=raw["failure_reason"],
    )
