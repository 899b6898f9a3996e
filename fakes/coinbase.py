"""A fake of Coinbase Commerce's charges API (create, retrieve, list) with `X-CC-Api-Key` auth; test controls
(`detect`, `confirm`, `underpay`, `resolve`, `expire`) return the webhook delivery Coinbase would send, signed
by `delivery`."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fakes.server import FakeService, HttpError, Reply, Request
from fakes.signing import body_of, coinbase_signature

API_KEY = "cc-propdesk-fake-key"
WEBHOOK_SECRET = "cc-propdesk-fake-webhook-secret"  # noqa: S105 - the fake's own secret


class FakeCoinbaseCommerce(FakeService):
    def __init__(
        self,
        api_key: str = API_KEY,
        webhook_secret: str = WEBHOOK_SECRET,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.charges: dict[str, dict[str, Any]] = {}
        self._codes = itertools.count(1)
        self.route("POST", "/charges", self._create)
        self.route("GET", "/charges", self._list)
        self.route("GET", "/charges/([^/]+)", self._get)

    def _authorize(self, request: Request) -> None:
        if request.header("x-cc-api-key") != self.api_key:
            raise HttpError(401, {"error": {"type": "authorization_error", "message": "invalid API key"}})

    def _create(self, request: Request) -> Reply:
        self._authorize(request)
        body = request.json()
        local = body.get("local_price") or {}
        if body.get("pricing_type") != "fixed_price" or "amount" not in local or "currency" not in local:
            raise HttpError(400, {"error": {"type": "invalid_request", "message": "local_price is required"}})
        charge_id = str(uuid.uuid4())
        now = self._now()
        charge = {
            "id": charge_id,
            "code": f"C{next(self._codes):07d}",
            "name": body.get("name", ""),
            "description": body.get("description", ""),
            "pricing_type": "fixed_price",
            "pricing": {"local": {"amount": str(local["amount"]), "currency": local["currency"]}},
            "metadata": body.get("metadata") or {},
            "payments": [],
            "timeline": [{"status": "NEW", "time": now}],
            "hosted_url": f"{self.url}/pay/{charge_id}",
            "redirect_url": body.get("redirect_url"),
            "cancel_url": body.get("cancel_url"),
            "created_at": now,
            "expires_at": now,
        }
        self.charges[charge_id] = charge
        return Reply(201, {"data": charge, "warnings": []})

    def _get(self, request: Request, code_or_id: str) -> Reply:
        self._authorize(request)
        return Reply(200, {"data": self.charge(code_or_id), "warnings": []})

    def _list(self, request: Request) -> Reply:
        self._authorize(request)
        rows = sorted(self.charges.values(), key=lambda c: (c["created_at"], c["id"]), reverse=True)
        if request.query.get("starting_after"):
            ids = [c["id"] for c in rows]
            rows = rows[ids.index(request.query["starting_after"]) + 1 :]
        limit = int(request.query.get("limit") or 25)
        page = rows[:limit]
        cursor = page[-1]["id"] if len(rows) > limit else None
        return Reply(200, {"pagination": {"limit": limit, "cursor_range": [cursor, cursor]}, "data": page})

    # ---- test controls ----
    def detect(self, code_or_id: str, amount: Decimal | None = None) -> dict[str, Any]:
        """A transaction seen on chain, not yet confirmed: `charge:pending`."""
        charge = self.charge(code_or_id)
        self._pay(charge, amount, status="PENDING")
        charge["timeline"].append({"status": "PENDING", "time": self._now()})
        return self.delivery_event("charge:pending", charge)

    def confirm(self, code_or_id: str, amount: Decimal | None = None) -> dict[str, Any]:
        charge = self.charge(code_or_id)
        if not charge["payments"]:
            self._pay(charge, amount)
        for payment in charge["payments"]:
            payment["status"] = "CONFIRMED"
        if charge["timeline"][-1]["status"] != "PENDING":
            charge["timeline"].append({"status": "PENDING", "time": self._now()})
        charge["timeline"].append({"status": "COMPLETED", "time": self._now()})
        return self.delivery_event("charge:confirmed", charge)

    def resolve(self, code_or_id: str) -> dict[str, Any]:
        """The merchant resolves an unresolved charge in Coinbase Commerce: `charge:resolved`."""
        charge = self.charge(code_or_id)
        charge["timeline"].append({"status": "RESOLVED", "time": self._now()})
        return self.delivery_event("charge:resolved", charge)

    def underpay(self, code_or_id: str, amount: Decimal) -> dict[str, Any]:
        charge = self.charge(code_or_id)
        self._pay(charge, amount)
        charge["timeline"].append({"status": "UNRESOLVED", "time": self._now(), "context": "UNDERPAID"})
        return self.delivery_event("charge:delayed", charge)

    def expire(self, code_or_id: str) -> dict[str, Any]:
        charge = self.charge(code_or_id)
        charge["timeline"].append({"status": "EXPIRED", "time": self._now()})
        return self.delivery_event("charge:failed", charge)

    def delivery_event(self, event_type: str, charge: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "scheduled_for": self._now(),
            "attempt_number": 1,
            "event": {
                "id": str(uuid.uuid4()),
                "resource": "event",
                "type": event_type,
                "api_version": "2018-03-22",
                "created_at": self._now(),
                "data": json.loads(json.dumps(charge)),  # a snapshot, as delivered
            },
        }

    def delivery(self, event: dict[str, Any], secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = body_of(event)
        signature = coinbase_signature(body, secret or self.webhook_secret)
        return body, {"X-CC-Webhook-Signature": signature, "Content-Type": "application/json"}

    def charge(self, code_or_id: str) -> dict[str, Any]:
        for charge in self.charges.values():
            if code_or_id in (charge["id"], charge["code"]):
                return charge
        raise HttpError(404, {"error": {"type": "not_found", "message": f"no charge {code_or_id}"}})

    def _pay(self, charge: dict[str, Any], amount: Decimal | None, status: str = "CONFIRMED") -> None:
        local = charge["pricing"]["local"]
        paid = str(amount if amount is not None else local["amount"])
        charge["payments"].append(
            {
                "network": "base",
                "transaction_id": f"0x{uuid.uuid4().hex}",
                "status": status,
                "value": {"local": {"amount": paid, "currency": local["currency"]}},
            }
        )

    def _now(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
