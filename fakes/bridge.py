"""A fake of Bridge's Transfers API (bridge.xyz v0) for stablecoin payouts: `POST /v0/transfers` (`Api-Key`,
`Idempotency-Key` replay, `client_reference_id`), `GET /v0/transfers/{id}`, `GET /v0/transfers` (newest first,
`limit`, `starting_after`), and webhooks: events `transfer.created` / `transfer.updated.status_transitioned`
with the transfer as `event_object`, signed `X-Webhook-Signature: t=<ms>,v0=<base64 RSA-SHA256 over
SHA-256("<t>.<body>")>` with a new timestamp at every attempt, retried 1, 2, 4... minutes (at most an hour)
apart, 10 attempts.

Test controls move a transfer through Bridge's states and emit the events: `settle` (payment_submitted →
payment_processed), `fail` (undeliverable), `return_payment` (returned, after it was processed)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fakes.rail_fake import RailFake
from fakes.rsa_signing import bridge_signature_header, provider_key, public_pem
from fakes.server import HttpError, Reply, Request
from fakes.webhook_outbox import doubling

API_KEY = "sk-bridge-propdesk-fake"
CUSTOMER_ID = "cust_propdesk_firm"
WALLET_ID = "bw_propdesk_payouts"
RAILS = {"ethereum", "polygon", "arbitrum", "solana", "tron"}
CURRENCIES = {"usdc", "usdt"}


class FakeBridge(RailFake):
    def __init__(
        self,
        api_key: str = API_KEY,
        clock: Callable[[], float] = time.time,
        gas_fee: Decimal = Decimal("0.00"),
        auto_deliver: bool = False,
    ) -> None:
        super().__init__(
            clock, self._render, doubling(60.0, 3600.0), max_attempts=10, auto_deliver=auto_deliver
        )
        self.api_key = api_key
        self.gas_fee = gas_fee
        self.key = provider_key("bridge")
        self.public_key_pem = public_pem(self.key)
        self.transfers: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []  # creation order
        self._idempotent: dict[str, tuple[str, Reply]] = {}
        self._seq = itertools.count(1)
        self.route("POST", "/v0/transfers", self._create)
        self.route("GET", "/v0/transfers", self._list)
        self.route("GET", "/v0/transfers/([^/]+)", self._get)

    # ---- the API
    def _authorize(self, request: Request) -> None:
        if request.header("api-key") != self.api_key:
            raise HttpError(401, {"code": "unauthorized", "message": "invalid Api-Key"})

    def _create(self, request: Request) -> Reply:
        self._authorize(request)
        key = request.header("idempotency-key")
        if not key:
            raise HttpError(400, {"code": "invalid_request", "message": "Idempotency-Key header is required"})
        if key in self._idempotent:
            body, reply = self._idempotent[key]
            if body != request.body.decode():
                raise HttpError(
                    422, {"code": "idempotency_mismatch", "message": "key reused with another body"}
                )
            return Reply(200, self.transfers[reply.body["id"]])
        body = json.loads(request.body, parse_float=Decimal)
        source, destination = body.get("source") or {}, body.get("destination") or {}
        amount = _amount(body.get("amount"))
        if source.get("payment_rail") != "bridge_wallet" or not source.get("bridge_wallet_id"):
            raise HttpError(400, {"code": "invalid_source", "message": "source must be a bridge_wallet"})
        if destination.get("payment_rail") not in RAILS or destination.get("currency") not in CURRENCIES:
            raise HttpError(400, {"code": "invalid_destination", "message": "unsupported rail or currency"})
        if not destination.get("to_address") or not body.get("on_behalf_of"):
            raise HttpError(
                400, {"code": "invalid_request", "message": "to_address and on_behalf_of are required"}
            )
        now = self._iso()
        transfer_id = str(uuid.uuid4())
        transfer = {
            "id": transfer_id,
            "client_reference_id": body.get("client_reference_id"),
            "state": "funds_received",  # pulled from the firm's Bridge wallet at once
            "on_behalf_of": body["on_behalf_of"],
            "amount": format(amount, "f"),
            "currency": "usd",
            "developer_fee": "0.0",
            "source": source,
            "destination": destination,
            "receipt": {
                "initial_amount": format(amount, "f"),
                "developer_fee": "0.0",
                "exchange_fee": "0.0",
                "subtotal_amount": format(amount, "f"),
                "gas_fee": format(self.gas_fee, "f"),
                "final_amount": format(amount - self.gas_fee, "f"),
            },
            "created_at": now,
            "updated_at": now,
        }
        self.transfers[transfer_id] = transfer
        self._order.append(transfer_id)
        reply = Reply(201, transfer)
        self._idempotent[key] = (request.body.decode(), reply)
        self.emit(self._event("transfer.created", transfer))
        return reply

    def _get(self, request: Request, transfer_id: str) -> Reply:
        self._authorize(request)
        if transfer_id not in self.transfers:
            raise HttpError(404, {"code": "not_found", "message": f"no transfer {transfer_id}"})
        return Reply(200, self.transfers[transfer_id])

    def _list(self, request: Request) -> Reply:
        self._authorize(request)
        limit = min(int(request.query.get("limit") or 10), 100)
        newest_first = list(reversed(self._order))
        after = request.query.get("starting_after")
        if after:
            newest_first = newest_first[newest_first.index(after) + 1 :] if after in newest_first else []
        page = [self.transfers[i] for i in newest_first[:limit]]
        return Reply(200, {"count": len(page), "data": page})

    # ---- test controls
    def settle(self, transfer_id: str, tx_hash: str = "0xfeed") -> None:
        self._move(transfer_id, "payment_submitted")
        self.transfers[transfer_id]["receipt"]["destination_tx_hash"] = tx_hash
        self._move(transfer_id, "payment_processed")

    def fail(
        self, transfer_id: str, reason: str = "the destination address cannot receive this token"
    ) -> None:
        self.transfers[transfer_id]["return_details"] = {"reason": reason}
        self._move(transfer_id, "undeliverable")

    def return_payment(self, transfer_id: str, reason: str = "returned by the receiving platform") -> None:
        self.transfers[transfer_id]["return_details"] = {"reason": reason}
        self._move(transfer_id, "returned")

    def _move(self, transfer_id: str, state: str) -> None:
        with self._lock:
            transfer = self.transfers[transfer_id]
            transfer.update(state=state, updated_at=self._iso())
            self.emit(self._event("transfer.updated.status_transitioned", transfer))

    def _event(self, event_type: str, transfer: dict[str, Any]) -> dict[str, Any]:
        return {
            "api_version": "v0",
            "event_id": f"wh_{next(self._seq):012d}",
            "event_category": "transfer",
            "event_type": event_type,
            "event_object_id": transfer["id"],
            "event_object_status": transfer["state"],
            "event_object": json.loads(json.dumps(transfer)),
            "event_object_changes": {},
            "event_created_at": self._iso(),
        }

    # ---- webhooks
    def _render(self, event: dict[str, Any], at: float) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, {"X-Webhook-Signature": self.signature(body, at), "Content-Type": "application/json"}

    def signature(self, body: bytes, at: float) -> str:
        return bridge_signature_header(self.key, body, int(at * 1000))

    def _iso(self) -> str:
        return (
            datetime.fromtimestamp(self.clock(), tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )


def _amount(raw: object) -> Decimal:
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise HttpError(
            400, {"code": "invalid_amount", "message": "amount must be a decimal string"}
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise HttpError(400, {"code": "invalid_amount", "message": "amount must be positive"})
    return amount
