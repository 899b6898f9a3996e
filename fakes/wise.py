"""A fake of Wise's payouts API: recipients (`POST /v1/accounts`, types iban | aba | sort_code), quotes
(`POST /v3/profiles/{p}/quotes`, one transfer per quote), transfers (`POST /v1/transfers`, idempotent per
`customerTransactionId`; `GET /v1/transfers/{id}`; `GET /v1/transfers?profile&limit&offset&createdDateStart`),
funding from the balance (`POST /v3/profiles/{p}/transfers/{id}/payments`), Bearer auth.

Webhooks: `transfers#state-change` (schema 2.0.0) for every status change, signed `X-Signature-SHA256` (base64
RSA-SHA256 of the body) with `sent_at` set at each attempt and an `X-Delivery-Id`; failed deliveries are
retried 1, 2, 4... minutes apart (at most a day), 25 attempts, as Wise documents.

Test controls: `settle` (funds_converted → outgoing_payment_sent), `fail` (cancelled → funds_refunded),
`return_payment` (bounced_back → processing → cancelled → funds_refunded, Wise's bounce path), and
`balance` (an amount too small makes funding answer an insufficient-funds error)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fakes.rail_fake import RailFake
from fakes.rsa_signing import provider_key, public_pem, wise_signature_header
from fakes.server import HttpError, Reply, Request
from fakes.webhook_outbox import doubling

API_TOKEN = "wise-propdesk-fake-token"  # noqa: S105 - the fake's own token
PROFILE_ID = 424242
RECIPIENT_TYPES = {"iban", "aba", "sort_code"}
FEE = Decimal("1.20")


class FakeWise(RailFake):
    def __init__(
        self,
        token: str = API_TOKEN,
        profile_id: int = PROFILE_ID,
        clock: Callable[[], float] = time.time,
        balance: Decimal = Decimal("1000000"),
        auto_deliver: bool = False,
    ) -> None:
        super().__init__(
            clock, self._render, doubling(60.0, 86400.0), max_attempts=25, auto_deliver=auto_deliver
        )
        self.token = token
        self.profile_id = profile_id
        self.balance = balance
        self.key = provider_key("wise")
        self.public_key_pem = public_pem(self.key)
        self.subscription_id = str(uuid.uuid4())
        self.recipients: dict[int, dict[str, Any]] = {}
        self.quotes: dict[str, dict[str, Any]] = {}
        self.transfers: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(50_000_001)
        self.route("POST", "/v1/accounts", self._create_recipient)
        self.route("POST", r"/v3/profiles/(\d+)/quotes", self._create_quote)
        self.route("POST", "/v1/transfers", self._create_transfer)
        self.route("GET", "/v1/transfers", self._list_transfers)
        self.route("GET", r"/v1/transfers/(\d+)", self._get_transfer)
        self.route("POST", r"/v3/profiles/(\d+)/transfers/(\d+)/payments", self._fund)

    # ---- the API
    def _authorize(self, request: Request) -> None:
        if request.header("authorization") != f"Bearer {self.token}":
            raise HttpError(401, {"error": "invalid_token", "error_description": "Invalid token"})

    def _profile(self, raw: object) -> None:
        if str(raw) != str(self.profile_id):
            raise HttpError(403, {"errors": [{"code": "profile.forbidden", "message": "not your profile"}]})

    def _create_recipient(self, request: Request) -> Reply:
        self._authorize(request)
        body = _json(request)
        self._profile(body.get("profile"))
        if body.get("type") not in RECIPIENT_TYPES or not body.get("accountHolderName"):
            raise HttpError(422, _error("type", "unsupported recipient type or missing accountHolderName"))
        recipient_id = next(self._ids)
        self.recipients[recipient_id] = {**body, "id": recipient_id, "active": True}
        return Reply(200, self.recipients[recipient_id])

    def _create_quote(self, request: Request, profile: str) -> Reply:
        self._authorize(request)
        self._profile(profile)
        body = _json(request)
        target = Decimal(str(body.get("targetAmount")))
        quote_id = str(uuid.uuid4())
        quote = {
            "id": quote_id,
            "sourceCurrency": body.get("sourceCurrency"),
            "targetCurrency": body.get("targetCurrency"),
            "targetAmount": float(target),  # JSON numbers on Wise's wire
            "sourceAmount": float(target + FEE),
            "rate": 1,
            "payOut": body.get("payOut"),
            "status": "PENDING",
            "paymentOptions": [
                {
                    "payIn": "BALANCE",
                    "payOut": "BANK_TRANSFER",
                    "fee": {"total": float(FEE)},
                    "sourceAmount": float(target + FEE),
                }
            ],
        }
        self.quotes[quote_id] = quote
        return Reply(200, quote)

    def _create_transfer(self, request: Request) -> Reply:
        self._authorize(request)
        body = _json(request)
        transaction = str(body.get("customerTransactionId") or "")
        try:
            uuid.UUID(transaction)
        except ValueError:
            raise HttpError(422, _error("customerTransactionId", "must be a UUID")) from None
        for transfer in self.transfers.values():  # a repeat of the same customerTransactionId
            if transfer["customerTransactionId"] == transaction:
                return Reply(200, transfer)
        quote = self.quotes.get(str(body.get("quoteUuid")))
        if quote is None or quote["status"] != "PENDING":
            raise HttpError(422, _error("quoteUuid", "quote not found or already used"))
        if int(body.get("targetAccount", 0)) not in self.recipients:
            raise HttpError(422, _error("targetAccount", "recipient not found"))
        quote["status"] = "COMPLETED"
        transfer_id = next(self._ids)
        transfer = {
            "id": transfer_id,
            "user": 1,
            "targetAccount": int(body["targetAccount"]),
            "sourceAccount": None,
            "quoteUuid": quote["id"],
            "status": "incoming_payment_waiting",
            "reference": (body.get("details") or {}).get("reference", ""),
            "rate": 1,
            "created": datetime.fromtimestamp(self.clock(), tz=UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "business": None,
            "details": body.get("details") or {},
            "hasActiveIssues": False,
            "sourceCurrency": quote["sourceCurrency"],
            "sourceValue": quote["sourceAmount"],
            "targetCurrency": quote["targetCurrency"],
            "targetValue": quote["targetAmount"],
            "customerTransactionId": transaction,
        }
        self.transfers[transfer_id] = transfer
        self._changed(transfer, None)
        return Reply(200, transfer)

    def _get_transfer(self, request: Request, transfer_id: str) -> Reply:
        self._authorize(request)
        transfer = self.transfers.get(int(transfer_id))
        if transfer is None:
            raise HttpError(404, _error("transferId", "transfer not found"))
        return Reply(200, transfer)

    def _list_transfers(self, request: Request) -> Reply:
        self._authorize(request)
        self._profile(request.query.get("profile"))
        limit, offset = int(request.query.get("limit") or 100), int(request.query.get("offset") or 0)
        start = request.query.get("createdDateStart") or "0000-00-00"
        rows = [
            t for t in sorted(self.transfers.values(), key=lambda t: -t["id"]) if t["created"][:10] >= start
        ]
        return Reply(200, rows[offset : offset + limit])

    def _fund(self, request: Request, profile: str, transfer_id: str) -> Reply:
        self._authorize(request)
        self._profile(profile)
        transfer = self.transfers.get(int(transfer_id))
        if transfer is None:
            raise HttpError(404, _error("transferId", "transfer not found"))
        if _json(request).get("type") != "BALANCE":
            raise HttpError(422, _error("type", "only BALANCE funding is supported here"))
        if transfer["status"] != "incoming_payment_waiting":
            raise HttpError(409, _error("transferId", "transfer is already funded"))
        cost = Decimal(str(transfer["sourceValue"]))
        if cost > self.balance:
            return Reply(
                200, {"type": "BALANCE", "status": "REJECTED", "errorCode": "transfer.insufficient_funds"}
            )
        self.balance -= cost
        self._move(transfer, "processing")
        return Reply(201, {"type": "BALANCE", "status": "COMPLETED", "errorCode": None})

    # ---- test controls
    def settle(self, transfer_id: int | str) -> None:
        transfer = self.transfers[int(transfer_id)]
        for state in ("funds_converted", "outgoing_payment_sent"):
            self._move(transfer, state)

    def fail(self, transfer_id: int | str) -> None:
        transfer = self.transfers[int(transfer_id)]
        for state in ("cancelled", "funds_refunded"):
            self._move(transfer, state)

    def return_payment(self, transfer_id: int | str) -> None:
        transfer = self.transfers[int(transfer_id)]
        for state in ("bounced_back", "processing", "cancelled", "funds_refunded"):
            self._move(transfer, state)

    def _move(self, transfer: dict[str, Any], state: str) -> None:
        with self._lock:
            previous = transfer["status"]
            transfer["status"] = state
            self._changed(transfer, previous)

    def _changed(self, transfer: dict[str, Any], previous: str | None) -> None:
        self.emit(
            {
                "data": {
                    "resource": {
                        "type": "transfer",
                        "id": transfer["id"],
                        "profile_id": self.profile_id,
                        "account_id": transfer["targetAccount"],
                    },
                    "current_state": transfer["status"],
                    "previous_state": previous,
                    "occurred_at": _iso(self.clock()),
                },
                "subscription_id": self.subscription_id,
                "event_type": "transfers#state-change",
                "schema_version": "2.0.0",
            }
        )

    # ---- webhooks
    def _render(self, event: dict[str, Any], at: float) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({**event, "sent_at": _iso(at)}, separators=(",", ":")).encode()
        return body, {
            "X-Signature-SHA256": wise_signature_header(self.key, body),
            "X-Delivery-Id": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }


def _json(request: Request) -> dict[str, Any]:
    body = json.loads(request.body or b"{}", parse_float=Decimal)
    if not isinstance(body, dict):
        raise HttpError(400, _error("body", "a JSON object is expected"))
    return body


def _error(path: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": "error.validation", "message": message, "path": path}]}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
