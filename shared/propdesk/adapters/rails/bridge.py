"""Stablecoin payouts (USDC/USDT to a trader's wallet) through Bridge's Transfers API (bridge.xyz, v0).

Modelled on Bridge's public API reference (apidocs.bridge.xyz: "Create a transfer", "Get a transfer", "Get
all transfers", "Transfer states", "Webhooks: structure" and "signature"):
- `POST /v0/transfers` with `Api-Key` and an `Idempotency-Key` (our payout id), body `client_reference_id`
  (our payout id again), `amount` (decimal string), `on_behalf_of` (the firm's Bridge customer), `source`
  `{payment_rail: bridge_wallet, currency, bridge_wallet_id}` (the firm's funded wallet) and `destination`
  `{payment_rail: ethereum|polygon|arbitrum|solana|tron, currency: usdc|usdt, to_address}`.
- `GET /v0/transfers/{id}`; `GET /v0/transfers?limit=..&starting_after=<id>` pages newest first (`data`).
- States: awaiting_funds, in_review, funds_received → pending; payment_submitted → processing;
  payment_processed → paid; undeliverable, error, canceled → failed; returned, refunded → returned.
  `receipt` carries `initial_amount`, `gas_fee`, `exchange_fee`, `final_amount`.
- Webhooks: `X-Webhook-Signature: t=<unix ms>,v0=<base64 signature>`; the signed digest is
  SHA-256("<t>.<raw body>"), verified as an RSA PKCS#1 v1.5 SHA-256 signature with the endpoint's public key;
  Bridge advises refusing events older than about 10 minutes and signs every retry with a new timestamp.
  Body: `event_id`, `event_category` (`transfer`), `event_type`, `event_object` (the transfer),
  `event_created_at`.
Not found in what we read (the fake's choice, kept in one place here): the failure reason of an undeliverable
or returned transfer is read from `return_details.reason` when present, else the state is the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.adapters.rails.common import (
    RailHttp,
    RsaVerifier,
    header,
    parse_time,
    strict_base64,
    utc_now,
)
from propdesk.rails.destinations import StablecoinWallet
from propdesk.rails.port import (
    PaymentOrder,
    RailPayment,
    RailRejectedError,
    RailStatus,
    RailStatusUpdate,
    RailUnavailableError,
    RailWebhookRejectedError,
)
from propdesk.resilience.timing import Sleeper

RAIL = "bridge"
DEFAULT_API_BASE = "https://api.bridge.xyz"
SIGNATURE_HEADER = "X-Webhook-Signature"
TOLERANCE = timedelta(minutes=10)
PAGE_SIZE = 100
LOOKUP_MARGIN = timedelta(hours=1)  # clocks differ: search a little before the order was made
STATES: dict[str, RailStatus] = {
    "awaiting_funds": "pending",
    "in_review": "pending",
    "funds_received": "pending",
    "payment_submitted": "processing",
    "payment_processed": "paid",
    "undeliverable": "failed",
    "error": "failed",
    "canceled": "failed",
    "returned": "returned",
    "refunded": "returned",
}


@dataclass(frozen=True, slots=True)
class BridgeCredentials:
    api_key: str
    webhook_public_key: str  # PEM, given by Bridge when the webhook endpoint was created


class BridgeStablecoinRail:
    name = RAIL

    def __init__(
        self,
        credentials: Callable[[], BridgeCredentials],
        customer_id: str,
        wallet_id: str,
        sleep: Sleeper,
        api_base: str = DEFAULT_API_BASE,
        clock: Callable[[], datetime] = utc_now,
        tolerance: timedelta = TOLERANCE,
    ) -> None:
        self._credentials = credentials
        self._customer_id = customer_id
        self._wallet_id = wallet_id
        self._clock = clock
        self._tolerance = tolerance
        self._http = RailHttp(
            "Bridge",
            api_base,
            lambda: {"Api-Key": credentials().api_key, "Accept": "application/json"},
            sleep,
        )
        self._verifier = RsaVerifier(lambda: credentials().webhook_public_key)

    def pay(self, order: PaymentOrder) -> RailPayment:
        wallet = order.destination
        if not isinstance(wallet, StablecoinWallet):
            raise RailRejectedError("Bridge pays stablecoin wallets only")
        if order.currency.upper() != wallet.token:
            raise RailRejectedError(f"the order is in {order.currency}, the wallet takes {wallet.token}")
        body = {
            "client_reference_id": order.payout_id,
            "amount": format(order.amount, "f"),
            "on_behalf_of": self._customer_id,
            "source": {
                "payment_rail": "bridge_wallet",
                "currency": wallet.token.lower(),
                "bridge_wallet_id": self._wallet_id,
            },
            "destination": {
                "payment_rail": wallet.network,
                "currency": wallet.token.lower(),
                "to_address": wallet.address,
            },
        }
        try:
            created = self._http.write("/v0/transfers", body, {"Idempotency-Key": order.payout_id})
        except RailUnavailableError:
            # The transfer may exist: look it up by our reference instead of sending it again.
            found = self.find(order.payout_id, order.created_at)
            if found is None:
                raise
            return found
        return _payment(created)

    def find(self, payout_id: str, since: datetime) -> RailPayment | None:
        earliest = since - LOOKUP_MARGIN
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": PAGE_SIZE, **({"starting_after": cursor} if cursor else {})}
            page = self._http.read("/v0/transfers", params) or {}
            transfers = page.get("data") or []
            for transfer in transfers:
                if transfer.get("client_reference_id") == payout_id:
                    return _payment(transfer)
            created = [parse_time(t.get("created_at")) for t in transfers]
            oldest = min((c for c in created if c is not None), default=None)
            if len(transfers) < PAGE_SIZE or (oldest is not None and oldest < earliest):
                return None
            cursor = str(transfers[-1]["id"])

    def status(self, reference: str) -> RailPayment:
        transfer = self._http.read(f"/v0/transfers/{reference}", missing_ok=True)
        if transfer is None:
            raise RailRejectedError(f"Bridge has no transfer {reference}")
        return _payment(transfer)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> RailStatusUpdate | None:
        timestamp_ms, signature = _signature_parts(header(headers, SIGNATURE_HEADER))
        signed_at = datetime.fromtimestamp(timestamp_ms / 1000, tz=self._clock().tzinfo)
        if abs(self._clock() - signed_at) > self._tolerance:
            raise RailWebhookRejectedError("the Bridge signature's timestamp is outside the tolerance")
        digest = hashlib.sha256(f"{timestamp_ms}.".encode() + raw_body).digest()
        if not self._verifier.verifies(signature, digest):
            raise RailWebhookRejectedError("the Bridge signature does not verify")
        try:
            event = json.loads(raw_body)
        except ValueError:
            raise RailWebhookRejectedError("the body is not JSON") from None
        if not isinstance(event, dict) or event.get("event_category") != "transfer":
            return None
        transfer = event.get("event_object") or {}
        payment = _payment(transfer)
        occurred = parse_time(event.get("event_created_at")) or parse_time(transfer.get("updated_at"))
        return RailStatusUpdate(
            rail=RAIL,
            event_id=str(event.get("event_id") or ""),
            reference=payment.reference,
            status=payment.status,
            occurred_at=occurred or self._clock(),
            payout_id=payment.payout_id or None,
            failure_reason=payment.failure_reason,
        )


def _signature_parts(value: str | None) -> tuple[int, bytes]:
    if not value:
        raise RailWebhookRejectedError(f"the {SIGNATURE_HEADER} header is missing")
    parts = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
    timestamp, signature = parts.get("t", ""), parts.get("v0", "")
    if not timestamp.isdigit() or not signature:
        raise RailWebhookRejectedError(f"the {SIGNATURE_HEADER} header is not t=<ms>,v0=<signature>")
    return int(timestamp), strict_base64(signature, "signature")


def _payment(transfer: Mapping[str, Any]) -> RailPayment:
    state = str(transfer.get("state", ""))
    status = STATES.get(state, "processing")
    receipt = transfer.get("receipt") or {}
    fee = _decimal(receipt.get("gas_fee")) + _decimal(receipt.get("exchange_fee"))
    reason = None
    if status in ("failed", "returned"):
        reason = str((transfer.get("return_details") or {}).get("reason") or f"Bridge marked it {state}")
    destination = transfer.get("destination") or {}
    return RailPayment(
        rail=RAIL,
        reference=str(transfer.get("id", "")),
        payout_id=str(transfer.get("client_reference_id") or ""),
        status=status,
        amount=_decimal(transfer.get("amount")),
        currency=str(destination.get("currency", "")).upper(),
        fee=fee,
        failure_reason=reason,
        updated_at=parse_time(transfer.get("updated_at")),
    )


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
